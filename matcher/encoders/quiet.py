"""Quiet model loading: the libraries' start-up notes are not for officers or operators."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_model_loading() -> Iterator[None]:
    """Silence transformers' and sentence-transformers' notes and progress bars for a while.

    Loading or converting the bundled model prints a weight-loading report
    (the pooler e5 never uses is "MISSING"), progress bars and a default-prompt
    notice on every start; none of it is for an officer or an operator.  The
    previous settings come back afterwards, warnings of other code included.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    st_logger = logging.getLogger("sentence_transformers")
    st_level = st_logger.level
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        st_logger.setLevel(st_level)
