"""Guarding sign-in: a failure budget per client address and token prefix, and the record.

The API (bearer tokens), the page's sign-in form and its cookie all pass
through one Guard on `app.state.guard`, so a client cannot switch channels to
keep guessing.  A client whose budget is spent is refused before its token is
even looked at (a correct guess would otherwise still be told apart); other
clients are not affected.  A token prefix whose budget is spent makes further
wrong tokens with that prefix a 429 too, but never refuses a valid token.

Recording is rate-limited per client as well, so that refused requests cannot
fill the database; a lock-out is always recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.requests import Request

from api.auth import Principal
from api.errors import TooManyFailures
from api.services.security import Attempt, record_security_event
from api.throttle import FailureBudget

RECORDS_PER_WINDOW = 100
"""Events kept per client address per failure window; more are counted but not stored."""
PREFIX_CHARS = 10
"""As many characters as an issued token's stored `token_prefix` (ld_ and 7 more)."""


def attempt_of(request: Request, token: str | None, principal: Principal | None = None) -> Attempt:
    client = request.client.host if request.client else ""
    return Attempt(request.method, request.url.path, client, token or None, principal)


class Guard:
    def __init__(
        self,
        *,
        engine: Engine,
        limit: int,
        window: float,
        lockout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`limit` wrong tokens per `window` seconds, then `lockout` seconds; limit 0: no budget."""
        self.engine = engine
        self._budget = (
            FailureBudget(limit=limit, window=window, lockout=lockout, clock=clock)
            if limit > 0
            else None
        )
        self._records = FailureBudget(
            limit=RECORDS_PER_WINDOW, window=window, lockout=window, clock=clock
        )

    def check(self, attempt: Attempt) -> None:
        """Refuse a client whose budget is spent (429), before its token is looked at."""
        if self._budget is not None:
            wait = self._budget.retry_after(("client", attempt.client))
            if wait is not None:
                raise TooManyFailures(wait)

    def wrong_token(self, attempt: Attempt) -> None:
        """Count a wrong token; 429 if its prefix's budget is spent (else the caller says 401)."""
        if self._budget is None:
            return
        keys = [("client", attempt.client)]
        if attempt.token:
            keys.append(("prefix", attempt.token[:PREFIX_CHARS]))
        for key in keys:
            if self._budget.fail(key):
                record_security_event(
                    engine=self.engine,
                    attempt=attempt,
                    kind="locked_out",
                    status=429,
                    detail=f"{key[0]} 的认证失败次数用尽，锁定 {self._budget.lockout:g} 秒",
                )
        if attempt.token:
            wait = self._budget.retry_after(("prefix", attempt.token[:PREFIX_CHARS]))
            if wait is not None:
                raise TooManyFailures(wait)

    def record(self, attempt: Attempt, *, kind: str, status: int, detail: str = "") -> None:
        """Keep a security event, unless this client has had its share of the window."""
        if self._records.retry_after(attempt.client) is not None:
            return
        self._records.fail(attempt.client)
        record_security_event(
            engine=self.engine, attempt=attempt, kind=kind, status=status, detail=detail
        )
