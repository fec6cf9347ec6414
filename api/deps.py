"""Request-scoped dependencies: the session, the caller, and the loaded heavy objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, bootstrap_principal, resolve_token
from api.config import Settings
from api.errors import BAD_TOKEN, DEPARTMENT_ONLY_CASES, MISSING_TOKEN, DomainError, Forbidden
from api.etags import parse_if_match
from api.guard import Guard, attempt_of
from api.runtime import Runtime
from api.services.config_state import sync_runtime
from api.services.diagnosis_models import sync_diagnosis_model
from matcher.industry import IndustryTable

_bearer = HTTPBearer(auto_error=False, description="API token (ld create-token) or LD_ADMIN_TOKEN")


class Unauthorized(DomainError):
    status_code = 401

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
        """The security event it is recorded as: missing_token or bad_token."""


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, closed afterwards; handlers commit what they change.

    Async, with only the close in a worker thread: opening a session does no I/O
    (it connects on its first statement), and FastAPI runs a plain generator's
    entry and exit each in a thread of its own.  Every thread hop costs the
    event loop a wake-up; a stored `GET …/matches` made nine (bench/README.md).
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)  # returns the connection: a rollback
        else:
            session.close()  # it never connected (the stored GET): nothing to wait for


SessionDep = Annotated[Session, Depends(get_session)]


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_guard(request: Request) -> Guard:
    guard: Guard = request.app.state.guard
    return guard


GuardDep = Annotated[Guard, Depends(get_guard)]


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a bearer token; wrong tokens count against the client's failure budget.

    The failure budget is in memory; the token's lookup and a failure's record are
    database work, done in a worker thread (LD_ADMIN_TOKEN needs no lookup), the
    lookup in a session of its own there.  The session, the settings and the guard
    are not dependencies of this one: every authenticated request solves it, and
    each dependant (a generator's most) costs FastAPI more to solve than what it
    gives (cProfile, issue 17); a route that needs a session takes SessionDep."""
    settings: Settings = request.app.state.settings
    guard: Guard = request.app.state.guard
    if credentials is None or not credentials.credentials:
        raise Unauthorized(MISSING_TOKEN, kind="missing_token")
    token = credentials.credentials
    attempt = attempt_of(request, token)
    guard.check(attempt)
    principal = bootstrap_principal(token, settings.admin_token) or await run_in_threadpool(
        _look_up, request.app.state.engine, token, settings.admin_token
    )
    if principal is None:
        await run_in_threadpool(guard.wrong_token, attempt)
        raise Unauthorized(BAD_TOKEN, kind="bad_token")
    request.state.principal = principal
    return principal


def _look_up(engine: Engine, token: str, admin_token: str | None) -> Principal | None:
    with Session(engine) as session:
        return resolve_token(session=session, token=token, admin_token=admin_token)


async def get_staff_principal(
    principal: Annotated[Principal, Depends(get_principal)],
) -> Principal:
    """The caller, unless it is a department token: those reach only the case routes.

    The dependencies that only read the app's state are `async def`: FastAPI would
    run a plain function in a worker thread, a hop that costs more than the read."""
    if principal.is_department:
        raise Forbidden(DEPARTMENT_ONLY_CASES)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_staff_principal)]
"""Any token but a department's (the default: a new route is closed to departments)."""
CasePrincipalDep = Annotated[Principal, Depends(get_principal)]
"""Any token, departments included: for the routes of the cases they are invited to."""


async def get_industries(request: Request) -> IndustryTable:
    table: IndustryTable = request.app.state.industries
    return table


IndustriesDep = Annotated[IndustryTable, Depends(get_industries)]


def get_runtime(request: Request, session: SessionDep) -> Runtime:
    """The loaded engine, following the active matcher config and diagnosis model (one
    primary-key read each)."""
    runtime: Runtime = request.app.state.runtime
    sync_runtime(session, runtime)
    sync_diagnosis_model(session, runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


IF_MATCH_DOC = (
    'The ETag of your last read (e.g. "3"; W/"3", a list of tags and * are understood): the '
    "write is done only if the record is still at that version, otherwise 412 — as is a value "
    "that names none of our versions (RFC 9110 §13.1.1: a condition that does not hold). "
    "Without the header the write is applied to the current version, atomically."
)


def get_if_match(
    if_match: Annotated[str | None, Header(description=IF_MATCH_DOC, max_length=1000)] = None,
) -> frozenset[int] | None:
    return parse_if_match(if_match)


IfMatchDep = Annotated[frozenset[int] | None, Depends(get_if_match)]
"""The versions the caller's If-Match accepts (None: no condition)."""
