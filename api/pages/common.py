"""What every page shares: templates, the cookie sign-in, error pages and flash messages.

The page acts with the token the officer signed in with: it is kept in an
HttpOnly, SameSite=Strict cookie (so another site cannot make the browser post
a form with it), resolved on each request exactly as a bearer token is, and
the resulting Principal is passed to the same services the JSON API calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError

from api.auth import Principal, resolve_token
from api.deps import SessionDep, SettingsDep
from api.errors import DEPARTMENT_ONLY_CASES, DomainError, Forbidden
from api.services.spreadsheets import COMPONENT_LABELS, FIELD_LABELS
from api.text_format import local_time, money, percent, wan
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    MEASURE_STATUSES,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
)

COOKIE = "ld_token"
FLASH_COOKIE = "ld_flash"
COOKIE_PATH = "/ui"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
ROLE_LABELS = {"admin": "管理员", "officer": "办案人员", "viewer": "只读", "department": "部门"}
BAD_PARAMS = "请求参数不合法"
CROSS_SITE = "拒绝来自其他站点的提交"


class LoginRequired(Exception):
    """No valid token in the cookie: the page sends the browser to the sign-in form."""


TEMPLATES.env.filters.update(money=money, wan=wan, percent=percent, local=local_time)
TEMPLATES.env.globals.update(
    CATEGORIES=CATEGORIES,
    STATUSES=OPERATING_STATUSES,
    ASSET_TYPES=ASSET_TYPES,
    ENCUMBRANCES=ENCUMBRANCES,
    KINDS=PARTNER_KINDS,
    REVIEW=REVIEW_STATUSES,
    MEASURES=MEASURE_STATUSES,
    ROLES=ROLE_LABELS,
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


def get_page_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The principal of the cookie's token; a cross-site form post is refused."""
    if request.method == "POST":
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            raise CrossSite(CROSS_SITE)
    token = request.cookies.get(COOKIE)
    principal = (
        resolve_token(session=session, token=token, admin_token=settings.admin_token)
        if token
        else None
    )
    if principal is None:
        raise LoginRequired
    request.state.principal = principal
    return principal


class CrossSite(DomainError):
    status_code = 403


def get_staff_page_principal(
    principal: Annotated[Principal, Depends(get_page_principal)],
) -> Principal:
    """As get_page_principal, but a department token reaches only its cases' pages."""
    if principal.is_department:
        raise Forbidden(DEPARTMENT_ONLY_CASES)
    return principal


PagePrincipal = Annotated[Principal, Depends(get_staff_page_principal)]
CasePagePrincipal = Annotated[Principal, Depends(get_page_principal)]


class PageRoute(APIRoute):
    """Errors on a page become a page (or the sign-in form), never the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except LoginRequired:
                target = request.url.path if request.method == "GET" else "/ui"
                if request.url.query and request.method == "GET":
                    target += "?" + request.url.query
                return RedirectResponse("/ui/login?next=" + quote(target), status_code=303)
            except DomainError as error:
                return error_page(request, error.status_code, error.message)
            except RequestValidationError:
                return error_page(request, 400, BAD_PARAMS)
            except SQLAlchemyError:
                return error_page(request, 409, "数据库拒绝了该操作，请检查输入后重试")

        return handler


ERROR_TITLES = {400: "请求有误", 401: "未登录", 403: "无权访问", 404: "未找到", 409: "操作冲突"}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = ERROR_TITLES.get(status, "出错了")
    return render(request, "error.html", {"title": title, "message": message}, status)


def form_text(form: Mapping[str, Any], name: str) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
