"""Database errors that go away when the same work is tried again a moment later.

SQLite answers "database is locked" (SQLITE_BUSY / SQLITE_LOCKED) when another
connection holds the write lock longer than the busy timeout, or at once when a
transaction that has read must upgrade to a write after another writer
committed.  PostgreSQL aborts one side of a serialization conflict (40001), of
a deadlock (40P01) or of a lock wait past `lock_timeout` (55P03).  In every
case the transaction was rolled back whole, so redoing it is safe; everything
else (a constraint, a bad value, a lost connection) is not retried here.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)
SQLITE_BUSY_TEXTS = ("database is locked", "database table is locked", "database is busy")
POSTGRES_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03"})


def is_transient(error: BaseException) -> bool:
    """Whether `error` is a lock or serialization conflict that a retry may get past."""
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, sqlite3.OperationalError):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in SQLITE_BUSY_CODES:
            return True
        return any(text in str(original).lower() for text in SQLITE_BUSY_TEXTS)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state in POSTGRES_TRANSIENT_STATES


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait before trying again: doubling delays, capped.

    The defaults wait 0.2 + 0.4 + 0.8 + 1.6 + 3.2 + 5 s ≈ 11 s over six retries,
    on top of SQLite's own 30 s busy wait per attempt: long enough for a request
    that holds the write lock while it ranks, short enough that a job stuck on
    a real fault ends `failed` within a few minutes.
    """

    retries: int = 6
    first: float = 0.2
    cap: float = 5.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.first < 0 or self.cap < self.first:
            raise ValueError("Backoff needs retries >= 0 and 0 <= first <= cap")

    def delays(self) -> Iterator[float]:
        delay = self.first
        for _ in range(self.retries):
            yield delay
            delay = min(delay * 2, self.cap)


def retry_transient(
    work: Callable[[], T],
    *,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Run `work`, again after each transient error, until it succeeds or the retries run out.

    `work` must be a whole transaction (it opens and closes its own session), so
    a retry starts from what is committed.  The last error is raised as is.
    """
    delays = backoff.delays()
    while True:
        try:
            return work()
        except Exception as error:
            delay = next(delays, None) if is_transient(error) else None
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(error, delay)
            sleep(delay)
