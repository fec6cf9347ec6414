"""Request-scoped dependencies: the session, the caller, and the loaded heavy objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.auth import Principal, resolve_token
from api.config import Settings
from api.errors import BAD_TOKEN, DEPARTMENT_ONLY_CASES, MISSING_TOKEN, DomainError, Forbidden
from api.runtime import Runtime
from matcher.industry import IndustryTable

_bearer = HTTPBearer(auto_error=False, description="API token (ld create-token) or LD_ADMIN_TOKEN")


class Unauthorized(DomainError):
    status_code = 401


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, closed afterwards; handlers commit what they change."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized(MISSING_TOKEN)
    principal = resolve_token(
        session=session, token=credentials.credentials, admin_token=settings.admin_token
    )
    if principal is None:
        raise Unauthorized(BAD_TOKEN)
    return principal


def get_staff_principal(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The caller, unless it is a department token: those reach only the case routes."""
    if principal.is_department:
        raise Forbidden(DEPARTMENT_ONLY_CASES)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_staff_principal)]
"""Any token but a department's (the default: a new route is closed to departments)."""
CasePrincipalDep = Annotated[Principal, Depends(get_principal)]
"""Any token, departments included: for the routes of the cases they are invited to."""


def get_industries(request: Request) -> IndustryTable:
    table: IndustryTable = request.app.state.industries
    return table


IndustriesDep = Annotated[IndustryTable, Depends(get_industries)]


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
