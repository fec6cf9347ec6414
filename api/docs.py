"""The API's documentation pages (/docs, /redoc), served with no network at all.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a government
intranet /docs is a blank page.  The two JavaScript bundles ship inside the
`fastapi-offline` wheel; only its static files are used here.  The pages are
static HTML whose one start-up script is a file of ours (no inline script),
so they hold under the service's Content-Security-Policy.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from api.errors import NOT_FOUND, NotFound

ASSETS_PREFIX = "/docs/assets"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_OWN_STATIC = Path(__file__).resolve().parent / "static"

_SWAGGER = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title} · 接口文档</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/ui/static/docs-init.js"></script>
</body></html>
"""

_REDOC = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title} · 接口文档（ReDoc）</title>
<link rel="icon" href="{assets}/favicon.png">
</head><body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body></html>
"""


def asset_path(name: str) -> Path:
    """Where a documentation asset lies inside the installed fastapi-offline package."""
    return Path(str(files("fastapi_offline") / "static" / name))


def add_offline_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from this process (create the app with
    docs_url=None and redoc_url=None)."""
    openapi = app.openapi_url or "/openapi.json"
    values = {"title": app.title, "assets": ASSETS_PREFIX, "openapi": openapi}

    @app.get("/docs", include_in_schema=False)
    def swagger_page() -> HTMLResponse:
        return HTMLResponse(_SWAGGER.format(**values))

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return HTMLResponse(_REDOC.format(**values))

    @app.get(ASSETS_PREFIX + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if name not in ASSET_TYPES:
            raise NotFound(NOT_FOUND.format(entity="文件", id=name))
        return FileResponse(
            asset_path(name),
            media_type=ASSET_TYPES[name],
            headers={"Cache-Control": "max-age=86400"},
        )
