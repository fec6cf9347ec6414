"""BLAS on one thread for the engine's small linear algebra (one home for the limit).

The treatment model's predictions and the weight learner's fits work on tiny
matrices (tens of columns): OpenBLAS's threads cost more to wake than the
arithmetic takes, and on a shared two-core machine they spin against every other
process.  Measured on the learner (`learn` over 1,672 simulated decisions of
../shared/devset-judged): 55.8 s with the default two BLAS threads, 3.6 s on one.
"""

from __future__ import annotations

import functools
from typing import Any

from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_threaded() -> Any:
    """A context in which BLAS (and OpenMP) use one thread: the matrices are tiny."""
    return _controller().limit(limits=1)
