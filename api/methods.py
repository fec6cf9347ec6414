"""405 answers that say which methods a path does take (RFC 9110 §15.5.6: an `Allow` header).

Starlette answers 405 from the first route whose path matches, naming only that
route's methods; a path served by several routes (GET and PATCH of one
enterprise are two routes) got an `Allow` header missing most of them.  Here
every route of the app is asked whether the path is its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

METHOD_NOT_ALLOWED = "{path} 不支持 {method} 请求（可用：{allowed}）"
NO_SUCH_PATH = "路径 {path} 不存在"


def _routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with the prefix it is served under, through included routers.

    FastAPI keeps an included router as one entry that holds the original
    router (and the prefix given to include_router), not as a flat list.
    """
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            extra = getattr(context, "prefix", "") or ""
            yield from _routes(included.routes, prefix + extra)
        else:
            yield prefix, route


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route of the app serves at this path, sorted."""
    methods: set[str] = set()
    for prefix, route in _routes(app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is None or not path.startswith(prefix):
            continue
        if regex.match(path[len(prefix) :]):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def add_method_not_allowed_handler(app: FastAPI) -> None:
    """Answer 405 with the full `Allow` header, a path no route serves in Chinese; other HTTP
    errors as FastAPI does."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and error.detail == "Not Found":
            return JSONResponse(
                status_code=404, content={"detail": NO_SUCH_PATH.format(path=request.url.path)}
            )
        if error.status_code != 405:
            return await http_exception_handler(request, error)
        allowed = allowed_methods(app, request.url.path)
        detail = METHOD_NOT_ALLOWED.format(
            path=request.url.path, method=request.method, allowed="、".join(allowed) or "无"
        )
        return JSONResponse(
            status_code=405, content={"detail": detail}, headers={"Allow": ", ".join(allowed)}
        )
