"""A failure budget per key (a client address, a token prefix), kept in this process's memory.

After `limit` failures within `window` seconds a key is locked for `lockout`
seconds.  The counts live in memory, so each service process keeps its own
and a restart forgets them: enough to turn a guessing run of thousands of
tries a minute into a few dozen, without a shared store.  The table is bounded
(`max_keys`, oldest forgotten first), so rotating keys cannot exhaust memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class FailureBudget:
    def __init__(
        self,
        *,
        limit: int,
        window: float,
        lockout: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if limit < 1 or window <= 0 or lockout <= 0:
            raise ValueError("limit must be ≥ 1, window and lockout > 0")
        self.limit, self.window, self.lockout = limit, window, lockout
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._locked: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: Hashable) -> int | None:
        """Whole seconds left in the key's lock-out, or None when it is not locked."""
        with self._lock:
            until = self._locked.get(key)
            if until is None:
                return None
            left = until - self._clock()
            if left <= 0:
                del self._locked[key]
                return None
            return max(1, math.ceil(left))

    def fail(self, key: Hashable) -> bool:
        """Count a failure; True when it uses up the budget and starts a lock-out."""
        with self._lock:
            now = self._clock()
            recent = self._failures.pop(key, None) or deque()
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            recent.append(now)
            while len(recent) > self.limit:
                recent.popleft()
            self._failures[key] = recent
            self._forget_oldest(self._failures)
            if len(recent) < self.limit:
                return False
            self._locked.pop(key, None)
            self._locked[key] = now + self.lockout
            self._forget_oldest(self._locked)
            return True

    def _forget_oldest(self, table: OrderedDict[Hashable, object]) -> None:
        while len(table) > self._max_keys:
            table.popitem(last=False)
