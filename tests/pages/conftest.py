"""A real app in a background uvicorn thread and a real Chromium driven by Playwright.

The app runs on a SQLite file seeded with the demo fixtures, with its worker
on (re-score jobs really run).  Without Chromium the browser tests are skipped
locally but fail loudly in CI (CI=true), where .ci/install-browser provides it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import Runtime
from api.services.seed import seed_fixtures
from api.services.tokens import create_token
from models.db import make_engine, run_migrations, session_scope

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
ADMIN_TOKEN = "pages-admin-token"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@dataclass(frozen=True)
class LiveApp:
    url: str
    admin_token: str
    officer_token: str
    viewer_token: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, runtime: Runtime) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("pages")
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'pages.db'}",
        run_migrations=False,
        start_worker=True,
    )
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
        _, officer = create_token(
            session=session, name="广饶县招商局", role="officer", counties=["广饶县"], actor="test"
        )
        _, viewer = create_token(
            session=session, name="市局观察员", role="viewer", counties=[], actor="test"
        )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine, runtime), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", ADMIN_TOKEN, officer, viewer, data_dir)
    server.should_exit = True
    thread.join(30)
    engine.dispose()


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} is missing (run .ci/install-browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = _browser_missing()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def sign_in(page: Any, live_app: LiveApp, token: str) -> None:
    page.goto(live_app.url + "/ui/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(live_app.url + "/ui")
