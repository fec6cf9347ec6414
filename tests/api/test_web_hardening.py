"""Web hardening: same-origin form posts, security headers, the cookie's Secure flag."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.auth import BOOTSTRAP_LABEL
from api.config import Settings
from api.main import create_app
from api.middleware import DOCS_POLICY, PAGE_POLICY
from api.pages.common import CROSS_SITE, PageRoute
from api.runtime import Runtime
from tests.conftest import ADMIN_TOKEN
from tests.servers import running_server

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"
OWN = "http://testserver"


def _app(engine: Engine, runtime: Runtime, tmp_path: Path, **overrides: Any) -> Any:
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        run_migrations=False,
        start_worker=False,
        **overrides,
    )
    return create_app(settings, engine, runtime)


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """A client without a bearer token, like a browser on the pages."""
    client.headers.pop("Authorization", None)
    return client


def _login(client: TestClient, **headers: str) -> Any:
    return client.post(
        "/ui/login", data={"token": ADMIN_TOKEN}, headers=headers, follow_redirects=False
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "null"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/ui/login"},
        {"Origin": "file://"},
    ],
    ids=["none", "null", "other site", "look-alike", "foreign referer", "file"],
)
def test_sign_in_from_elsewhere_is_refused(browser: TestClient, headers: dict[str, str]) -> None:
    response = _login(browser, **headers)
    assert response.status_code == 403
    assert CROSS_SITE in response.text and "无权访问" in response.text
    assert "ld_token" not in response.headers.get("set-cookie", "")


def test_sign_in_from_the_page_itself(browser: TestClient) -> None:
    assert _login(browser, Origin=OWN).status_code == 303
    browser.cookies.clear()
    # An older browser that sends only the Referer on a same-origin post.
    assert _login(browser, Referer=f"{OWN}/ui/login?next=/ui").status_code == 303


def test_state_changing_pages_refuse_foreign_posts(seeded: TestClient, engine: Engine) -> None:
    seeded.headers.pop("Authorization", None)
    assert _login(seeded, Origin=OWN).status_code == 303
    page = seeded.get("/ui/enterprises/1")
    match_id = int(page.text.split('action="/ui/matches/')[1].split("/")[0])
    posts = [
        (f"/ui/matches/{match_id}/review", {"status": "shortlisted"}),
        ("/ui/enterprises/new", {"name": "跨站创建的企业"}),
        ("/ui/enterprises/1/diagnose", {}),
        ("/ui/rescore", {"enterprise_id": "1"}),
        ("/ui/logout", {}),
    ]
    for url, data in posts:
        for headers in ({"Origin": "null"}, {}, {"Origin": "https://evil.example"}):
            response = seeded.post(url, data=data, headers=headers, follow_redirects=False)
            assert response.status_code == 403, (url, headers)
            assert CROSS_SITE in response.text
    assert seeded.get("/ui/enterprises?q=跨站创建").text.count("跨站创建的企业") == 0
    assert seeded.get("/ui", follow_redirects=False).status_code == 200  # still signed in
    signed_out = seeded.post("/ui/logout", headers={"Origin": OWN}, follow_redirects=False)
    assert signed_out.status_code == 303


def test_an_http_origin_is_refused_on_an_https_request(
    engine: Engine, runtime: Runtime, tmp_path: Path
) -> None:
    with TestClient(_app(engine, runtime, tmp_path), base_url="https://testserver") as client:
        assert _login(client, Origin="http://testserver").status_code == 403
        assert _login(client, Origin="https://testserver").status_code == 303


def test_trusted_origins_are_accepted(engine: Engine, runtime: Runtime, tmp_path: Path) -> None:
    app = _app(engine, runtime, tmp_path, trusted_origins=["https://zs.example.gov.cn/"])
    with TestClient(app) as client:
        assert _login(client, Origin="https://zs.example.gov.cn").status_code == 303
        assert _login(client, Origin="https://other.example.gov.cn").status_code == 403


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/health", PAGE_POLICY),
        ("/enterprises", PAGE_POLICY),
        ("/enterprises/99999", PAGE_POLICY),
        ("/ui/login", PAGE_POLICY),
        ("/ui/static/app.css", PAGE_POLICY),
        ("/openapi.json", PAGE_POLICY),
        ("/docs", DOCS_POLICY),
        ("/redoc", DOCS_POLICY),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: TestClient, path: str, policy: str
) -> None:
    response = client.get(path)
    assert response.headers["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_413_carries_them_too(client: TestClient) -> None:
    response = client.post(
        "/enterprises",
        content=b"x" * (17 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.headers["x-frame-options"] == "DENY"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_need_no_inline_script_or_style(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    for pattern, what in INLINE:
        assert not pattern.search(source), f"{template}: {what} (the CSP forbids it)"


def _cookie(response: Any) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("ld_token=")]
    return cookie.lower()


@pytest.mark.parametrize(
    ("setting", "base_url", "secure"),
    [
        ("auto", "http://testserver", False),
        ("auto", "https://testserver", True),
        ("true", "http://testserver", True),
        ("false", "https://testserver", False),
    ],
)
def test_the_cookie_secure_setting(
    engine: Engine, runtime: Runtime, tmp_path: Path, setting: str, base_url: str, secure: bool
) -> None:
    app = _app(engine, runtime, tmp_path, cookie_secure=setting)
    with TestClient(app, base_url=base_url) as client:
        cookie = _cookie(_login(client, Origin=base_url))
    assert ("; secure" in cookie) is secure
    assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.fixture
def behind_proxy(
    request: pytest.FixtureRequest, engine: Engine, runtime: Runtime, tmp_path: Path
) -> Iterator[str]:
    """A real uvicorn that trusts (or not) X-Forwarded-* from 127.0.0.1, as `ld serve` does."""
    allowed = request.param
    with running_server(_app(engine, runtime, tmp_path), forwarded_allow_ips=allowed) as url:
        yield url


def _login_via(url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    body = urllib.parse.urlencode({"token": ADMIN_TOKEN})
    connection.request(
        "POST",
        "/ui/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    return connection.getresponse()


@pytest.mark.parametrize(
    ("behind_proxy", "secure"), [("127.0.0.1", True), ("", False)], indirect=["behind_proxy"]
)
def test_behind_a_tls_proxy_the_cookie_is_secure(behind_proxy: str, secure: bool) -> None:
    host = urllib.parse.urlsplit(behind_proxy).netloc
    origin = f"https://{host}" if secure else f"http://{host}"
    response = _login_via(
        behind_proxy,
        {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.8.7", "Origin": origin},
    )
    assert response.status == 303, response.read()
    cookie = response.getheader("set-cookie", "").lower()
    assert ("; secure" in cookie) is secure


def test_the_bootstrap_admin_is_shown_by_what_it_is(browser: TestClient) -> None:
    _login(browser, Origin=OWN)
    page = browser.get("/ui").text
    assert BOOTSTRAP_LABEL in page
    assert '<span class="name" title="admin:bootstrap">bootstrap</span>' not in page


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        nested = getattr(route, "original_router", None)  # an included router (FastAPI ≥ 0.16x)
        yield from _routes(nested.routes) if nested is not None else [route]


def test_every_page_route_checks_the_origin(client: TestClient) -> None:
    """A page added later gets the same-origin check only as a PageRoute: hold every one to it."""
    page_routes = [
        r
        for r in _routes(client.app.routes)
        if isinstance(r, APIRoute) and r.path.startswith("/ui")
    ]
    unsafe = [r for r in page_routes if r.methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert len(unsafe) >= 8
    assert [r.path for r in page_routes if not isinstance(r, PageRoute)] == []
