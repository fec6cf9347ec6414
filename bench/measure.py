"""Timing, percentiles, peak memory and a description of the machine.

Peak memory is measured two ways, and each figure says which:

* ``rss_peak_mb``: the process's peak resident set size during a stage (Linux
  VmHWM, reset before the stage by writing 5 to /proc/<pid>/clear_refs), and
  ``rss_delta_mb`` its rise over the resident size at the stage's start.  It
  counts everything: NumPy, torch, SciPy and the interpreter.  Where the reset
  is not possible it falls back to ``resource.getrusage`` ru_maxrss, which is
  the process's all-time peak (said in ``rss_method``).
* ``py_peak_mb``: tracemalloc's peak of Python-level allocations (NumPy arrays
  included, torch tensors not) for one extra, untimed call, since tracing
  slows Python code several-fold.
"""

from __future__ import annotations

import os
import platform
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MB = 1024 * 1024


def _status_kb(pid: int | str, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak(pid: int | str = "self") -> bool:
    """Reset the peak RSS (VmHWM) of a process; False where Linux does not allow it."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def rss_mb(pid: int | str = "self") -> float | None:
    kb = _status_kb(pid, "VmRSS")
    return None if kb is None else kb / 1024


def peak_rss_mb(pid: int | str = "self") -> float | None:
    kb = _status_kb(pid, "VmHWM")
    if kb is None and pid == "self":
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return None if kb is None else kb / 1024


@dataclass
class Memory:
    rss_peak_mb: float | None = None
    rss_delta_mb: float | None = None
    rss_method: str = ""
    py_peak_mb: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@contextmanager
def peak_memory(pid: int | str = "self") -> Iterator[Memory]:
    """Peak RSS of `pid` while the block runs (see the module docstring)."""
    mem = Memory()
    exact = reset_peak(pid)
    start = rss_mb(pid)
    mem.rss_method = "VmHWM reset per stage" if exact else "ru_maxrss (all-time peak)"
    try:
        yield mem
    finally:
        peak = peak_rss_mb(pid)
        mem.rss_peak_mb = peak
        if peak is not None and start is not None:
            mem.rss_delta_mb = max(0.0, peak - start)


def traced_peak_mb(fn: Callable[[], object]) -> float:
    """tracemalloc's peak over one call of `fn`, in MiB (the call is not timed)."""
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    if not was:
        tracemalloc.stop()
    return (peak - base) / MB


@dataclass
class Samples:
    """Wall-clock seconds of repeated calls."""

    seconds: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.seconds)

    def pct(self, q: float) -> float:
        return float(np.percentile(self.seconds, q)) if self.seconds else float("nan")

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p99(self) -> float:
        return self.pct(99)

    @property
    def mean(self) -> float:
        return float(np.mean(self.seconds)) if self.seconds else float("nan")

    @property
    def total(self) -> float:
        return float(np.sum(self.seconds))

    def summary_ms(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "p50_ms": round(self.p50 * 1e3, 3),
            "p99_ms": round(self.p99 * 1e3, 3),
            "mean_ms": round(self.mean * 1e3, 3),
        }


def repeat(
    fn: Callable[[int], object],
    *,
    min_runs: int,
    max_runs: int,
    budget_s: float,
    warmup: int = 1,
) -> Samples:
    """Call fn(i) for i = 0, 1, … at least `min_runs` times, at most `max_runs` or `budget_s`."""
    for i in range(warmup):
        fn(i)
    out = Samples()
    started = time.perf_counter()
    for i in range(max_runs):
        t0 = time.perf_counter()
        fn(i)
        out.seconds.append(time.perf_counter() - t0)
        if i + 1 >= min_runs and time.perf_counter() - started > budget_s:
            break
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
        for line in text.splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """What the figures were measured on (CPU, memory, BLAS, library versions, load)."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    kb = _status_kb("self", "VmRSS")  # keeps the helper honest on non-Linux systems
    if kb is not None:
        try:
            mem = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()[0]
            info["memory_gib"] = round(int(mem.split()[1]) / 1024 / 1024, 1)
        except (OSError, ValueError, IndexError):
            pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
            f"threads={p.get('num_threads')}"
            for p in threadpool_info()
        ]
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    try:
        import torch

        info["torch"] = f"{torch.__version__} threads={torch.get_num_threads()}"
    except ImportError:  # pragma: no cover
        pass
    info["env"] = {
        k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS") if k in os.environ
    }
    return info


def held_bytes(obj: Any, _seen: set[int] | None = None) -> int:
    """Bytes of the NumPy arrays and SciPy sparse matrices reachable from `obj`.

    Walks dataclasses, plain objects, tuples, lists and dicts (each object once),
    so a PartnerIndex reports what its arrays hold: the embedding grid, the
    lexical index and every component's prepared state.  Python objects (the
    profiles, the id strings) are not counted.
    """
    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) if obj.base is None or id(obj.base) not in seen else 0
    if hasattr(obj, "tocsr") and hasattr(obj, "indptr"):
        return sum(int(getattr(obj, a).nbytes) for a in ("data", "indices", "indptr"))
    if isinstance(obj, dict):
        return sum(held_bytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(held_bytes(v, seen) for v in obj if not isinstance(v, (str, int, float)))
    if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
        return 0
    fields = getattr(obj, "__dict__", None)
    if fields is None:
        slots = getattr(type(obj), "__slots__", ())
        fields = {k: getattr(obj, k) for k in slots if hasattr(obj, k)}
    return sum(held_bytes(v, seen) for v in fields.values())
