"""Sign-in with a token (kept in an HttpOnly cookie) and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, resolve_token
from api.config import Settings
from api.deps import GuardDep, SessionDep, SettingsDep
from api.errors import BAD_TOKEN, TooManyFailures
from api.guard import Guard, attempt_of
from api.pages.common import COOKIE, COOKIE_PATH, PageRoute, form_text, redirect, render, safe_next

router = APIRouter(prefix="/ui", route_class=PageRoute)

SESSION_SECONDS = 12 * 3600
TOKEN_REQUIRED = "请输入访问令牌"
TOKEN_MAX = 200


def cookie_secure(request: Request, settings: Settings) -> bool:
    """The sign-in cookie's Secure flag: LD_COOKIE_SECURE, or (auto) whether the request is
    https, which behind a TLS proxy is what its X-Forwarded-Proto says when uvicorn trusts
    the proxy (--forwarded-allow-ips / FORWARDED_ALLOW_IPS)."""
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "true"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next), "error": None})


def _check_token(
    request: Request, session: Session, settings: Settings, guard: Guard, token: str
) -> Principal | None:
    """The token's principal, or None (a failure, counted and recorded); 429 when locked."""
    attempt = attempt_of(request, token)
    guard.check(attempt)
    principal = (
        resolve_token(session=session, token=token, admin_token=settings.admin_token)
        if len(token) <= TOKEN_MAX
        else None
    )
    if principal is None:
        guard.record(attempt, kind="login_failed", status=401)
        guard.wrong_token(attempt)
    return principal


@router.post("/login", response_model=None)
async def login(
    request: Request, session: SessionDep, settings: SettingsDep, guard: GuardDep
) -> Response:
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await request.form()
    token = form_text(form, "token").strip()
    target = safe_next(form_text(form, "next"))
    if not token:
        return render(request, "login.html", {"next": target, "error": TOKEN_REQUIRED}, 401)
    try:
        principal = await run_in_threadpool(_check_token, request, session, settings, guard, token)
    except TooManyFailures as refused:
        page = render(request, "login.html", {"next": target, "error": refused.message}, 429)
        page.headers.update(refused.headers or {})
        return page
    if principal is None:
        return render(request, "login.html", {"next": target, "error": BAD_TOKEN}, 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request, settings),
        path=COOKIE_PATH,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    """Forget the token."""
    response = redirect("/ui/login", "已退出登录")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
