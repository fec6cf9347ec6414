"""/docs and /redoc render in a real Chromium with every request off this server refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.conftest import LiveApp


def _offline(page: Any, live_app: LiveApp) -> list[str]:
    """Refuse every request that does not go to the app; return the refused URLs and any
    Content-Security-Policy violation the console reports."""
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(live_app.url) or url.startswith(("blob:", "data:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused.append(f"CSP: {message.text}")
        ),
    )
    return refused


def test_swagger_ui_works_offline(page: Any, live_app: LiveApp) -> None:
    refused = _offline(page, live_app)
    page.goto(live_app.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    assert "联动诊疗匹配服务" in page.inner_text(".info .title")
    assert refused == []


def test_redoc_works_offline(page: Any, live_app: LiveApp) -> None:
    refused = _offline(page, live_app)
    page.goto(live_app.url + "/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function("document.body.innerText.includes('/enterprises')", timeout=30_000)
    assert "联动诊疗匹配服务" in page.inner_text("h1")
    # ReDoc's "powered by" footer names a logo on its CDN; the page does not need it
    # (and the service's CSP keeps images to this origin).
    assert [u for u in refused if "/logo-mini.svg" not in u] == []


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"])
def test_docs_assets_are_served_here(live_app: LiveApp, name: str) -> None:
    import httpx

    answer = httpx.get(f"{live_app.url}/docs/assets/{name}", timeout=10)
    assert answer.status_code == 200 and len(answer.content) > 100_000
    assert httpx.get(f"{live_app.url}/docs/assets/../main.py", timeout=10).status_code == 404
