"""What every page shares: templates, the cookie sign-in, error pages and flash messages.

The page acts with the token the officer signed in with: it is kept in an
HttpOnly, SameSite=Strict cookie (so another site cannot make the browser post
a form with it), resolved on each request exactly as a bearer token is, and
the resulting Principal is passed to the same services the JSON API calls.

Every state-changing page request (sign-in and sign-out included) must also
come from the page itself: its Origin (or, without one, its Referer) must be
this service's own, or one of LD_TRUSTED_ORIGINS.  SameSite alone does not
cover sign-in (no cookie yet: a login CSRF) nor a browser that ignores it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.auth import Principal, actor_label, resolve_token
from api.deps import GuardDep, SessionDep, SettingsDep
from api.errors import DEPARTMENT_ONLY_CASES, DomainError, Forbidden
from api.guard import attempt_of
from api.services.spreadsheets import COMPONENT_LABELS, FIELD_LABELS
from api.text_format import local_time, money, percent, wan
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    FINANCIAL_FIELDS,
    MEASURE_STATUSES,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
)
from models.enums import ROLES

COOKIE = "ld_token"
FLASH_COOKIE = "ld_flash"
COOKIE_PATH = "/ui"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
BAD_PARAMS = "请求参数不合法"
CROSS_SITE = (
    "拒绝来自其他站点或来源不明的提交：请在本系统的页面上操作（如仍出现，请刷新页面后重试）"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """No valid token in the cookie: the page sends the browser to the sign-in form."""


class CrossSite(DomainError):
    """A state-changing page request that does not come from the service's own pages."""

    status_code = 403


def _step(value: float | None) -> int:
    """A percentage as the bar class it picks (w-0 … w-100 in app.css): no inline styles,
    so that the Content-Security-Policy can forbid them."""
    if value is None or not math.isfinite(value):
        return 0
    return max(0, min(100, round(value)))


TEMPLATES.env.filters.update(
    money=money, wan=wan, percent=percent, local=local_time, step=_step, who=actor_label
)
TEMPLATES.env.globals.update(
    CATEGORIES=CATEGORIES,
    STATUSES=OPERATING_STATUSES,
    ASSET_TYPES=ASSET_TYPES,
    ENCUMBRANCES=ENCUMBRANCES,
    FINANCIALS=FINANCIAL_FIELDS,
    KINDS=PARTNER_KINDS,
    REVIEW=REVIEW_STATUSES,
    MEASURES=MEASURE_STATUSES,
    ROLES=ROLES,
    LABELS=FIELD_LABELS,
    COMPONENTS=COMPONENT_LABELS,
)


def render(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in principal and a pending flash message."""
    flash = request.cookies.get(FLASH_COOKIE)
    data = {
        "principal": getattr(request.state, "principal", None),
        "flash": _read_flash(flash),
        "path": request.url.path,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, data, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    response.headers["Cache-Control"] = "no-store"
    return response


def _read_flash(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    level, _, text = unquote(raw).partition("|")
    return (level if level in ("ok", "error") else "ok", text[:500])


def redirect(url: str, flash: str | None = None, level: str = "ok") -> RedirectResponse:
    """A 303 to `url` (after a POST), optionally carrying a one-time message."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(f"{level}|{flash[:500]}"),
            httponly=True,
            samesite="strict",
            path=COOKIE_PATH,
        )
    return response


def safe_next(target: str | None, default: str = "/ui") -> str:
    """Only a local page path may follow the sign-in (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui") or "\\" in target:
        return default
    return target


def get_page_principal(
    request: Request, session: SessionDep, settings: SettingsDep, guard: GuardDep
) -> Principal:
    """The principal of the cookie's token; a wrong one counts like a wrong bearer token."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired
    attempt = attempt_of(request, token)
    guard.check(attempt)
    principal = resolve_token(session=session, token=token, admin_token=settings.admin_token)
    if principal is None:
        guard.record(attempt, kind="bad_cookie", status=401)
        guard.wrong_token(attempt)
        raise LoginRequired
    request.state.principal = principal
    return principal


def same_origin(request: Request, trusted: Iterable[str] = ()) -> bool:
    """Whether a state-changing request comes from this service's own pages.

    The Origin header decides; without one (some older browsers on same-origin
    posts) the Referer's origin does; with neither, or `Origin: null` (a
    sandboxed frame, a file: page, a redirect chain), the request is refused.
    The host must be the request's own Host; the scheme may be http behind a
    proxy that terminates TLS, but an http origin is refused on an https request.
    """
    origin = request.headers.get("origin")
    if origin is None:
        referer = urlsplit(request.headers.get("referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else None
    if not origin or origin == "null":
        return False
    if origin.rstrip("/") in {t.rstrip("/") for t in trusted}:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if parts.netloc.lower() != request.url.netloc.lower():
        return False
    return not (request.url.scheme == "https" and parts.scheme != "https")


def get_staff_page_principal(
    principal: Annotated[Principal, Depends(get_page_principal)],
) -> Principal:
    """As get_page_principal, but a department token reaches only its cases' pages."""
    if principal.is_department:
        raise Forbidden(DEPARTMENT_ONLY_CASES)
    return principal


PagePrincipal = Annotated[Principal, Depends(get_staff_page_principal)]
CasePagePrincipal = Annotated[Principal, Depends(get_page_principal)]


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that the handler itself can be a plain
    function: FastAPI runs those in its thread pool, and their database work then never
    holds up other requests."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


class PageRoute(APIRoute):
    """Errors on a page become a page (or the sign-in form), never the API's JSON; a
    state-changing request from elsewhere is refused before the handler runs."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method in UNSAFE_METHODS:
                    settings = request.app.state.settings
                    if not same_origin(request, settings.trusted_origins):
                        raise CrossSite(CROSS_SITE)
                return await original(request)
            except LoginRequired:
                target = request.url.path if request.method == "GET" else "/ui"
                if request.url.query and request.method == "GET":
                    target += "?" + request.url.query
                response = RedirectResponse("/ui/login?next=" + quote(target), status_code=303)
                if request.cookies.get(COOKIE):
                    response.delete_cookie(COOKIE, path=COOKIE_PATH)  # a stale or wrong token
                return response
            except DomainError as error:
                if error.status_code == 403:
                    await run_in_threadpool(_record_refusal, request, error)
                response = error_page(request, error.status_code, error.message)
                response.headers.update(error.headers or {})
                return response
            except RequestValidationError:
                return error_page(request, 400, BAD_PARAMS)
            except SQLAlchemyError:
                return error_page(request, 409, "数据库拒绝了该操作，请检查输入后重试")

        return handler


def _record_refusal(request: Request, error: DomainError) -> None:
    attempt = attempt_of(
        request, request.cookies.get(COOKIE), getattr(request.state, "principal", None)
    )
    kind = "cross_site" if isinstance(error, CrossSite) else "forbidden"
    detail = f"Origin: {request.headers.get('origin', '（无）')}" if kind == "cross_site" else ""
    request.app.state.guard.record(attempt, kind=kind, status=403, detail=detail or error.message)


ERROR_TITLES = {
    400: "请求有误",
    401: "未登录",
    403: "无权访问",
    404: "未找到",
    409: "操作冲突",
    429: "请稍后再试",
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = ERROR_TITLES.get(status, "出错了")
    return render(request, "error.html", {"title": title, "message": message}, status)


def form_text(form: Mapping[str, Any], name: str) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
