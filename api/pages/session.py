"""Sign-in with a token (kept in an HttpOnly cookie) and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import resolve_token
from api.deps import SessionDep, SettingsDep
from api.errors import BAD_TOKEN
from api.pages.common import COOKIE, COOKIE_PATH, PageRoute, form_text, redirect, render, safe_next

router = APIRouter(prefix="/ui", route_class=PageRoute)

SESSION_SECONDS = 12 * 3600
TOKEN_REQUIRED = "请输入访问令牌"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_model=None)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await request.form()
    token = form_text(form, "token").strip()
    target = safe_next(form_text(form, "next"))
    principal = (
        resolve_token(session=session, token=token, admin_token=settings.admin_token)
        if token and len(token) <= 200
        else None
    )
    if principal is None:
        error = BAD_TOKEN if token else TOKEN_REQUIRED
        return render(request, "login.html", {"next": target, "error": error}, 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=COOKIE_PATH,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    """Forget the token."""
    response = redirect("/ui/login", "已退出登录")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
