"""Issue 11, item 2: imports off the event loop, in the background, with progress; the stash.

The pages run on a database file (SQLite) or the run's PostgreSQL schema, since the
import's worker thread and the page requests use connections of their own.  The reading
happens in real child processes; /health is timed on a real uvicorn server.
"""

from __future__ import annotations

import gzip
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine

from api.config import Settings
from api.main import create_app
from api.runtime import Runtime
from api.services.spreadsheets.importing import ParsedImport, parse_import
from api.services.spreadsheets.isolation import CHILD_DIED, ReaderPool, ReaderSettings
from api.services.spreadsheets.limits import ReadLimits, out_of_memory
from api.services.spreadsheets.stash import STASH_TTL_SECONDS
from models.db import make_engine
from models.tables import Enterprise
from tests.api import hostile_files as hostile
from tests.api.test_spreadsheets import GOOD, count, enterprise_rows, issue, sign_in, workbook
from tests.conftest import ADMIN_TOKEN
from tests.servers import running_server

RUN_URL = "/ui/import/runs/"
PROGRESS = 'class="card import-run"'


@pytest.fixture
def app_settings(shared_url: str, tmp_path: Path) -> Settings:
    return Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        database_url=shared_url,
        run_migrations=False,
        start_worker=False,
    )


@pytest.fixture
def file_engine(shared_url: str) -> Iterator[Engine]:
    engine = make_engine(shared_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pages(app_settings: Settings, file_engine: Engine, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, file_engine, runtime)) as client:
        yield sign_in(client)


def uploads(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def finish(client: TestClient | httpx.Client, url: str, seen: list[str] | None = None) -> str:
    """Follow a run's page until it shows the result; the pages seen on the way in `seen`."""
    deadline = time.monotonic() + 120
    while True:
        page = client.get(url)
        assert page.status_code == 200, page.text[:300]
        if PROGRESS not in page.text:
            return page.text
        if seen is not None:
            seen.append(page.text)
        assert time.monotonic() < deadline, "the import run did not finish"
        time.sleep(0.1)


def upload(client: TestClient, content: bytes, name: str = "名单.xlsx", mode: str = "check") -> str:
    """Post the file; the run's page URL it redirects to."""
    response = client.post(
        "/ui/import/enterprises",
        data={"mode": mode},
        files={"file": (name, content)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith(RUN_URL)
    return location


def stash_of(page: str) -> str:
    return page.split('name="stash" value="')[1].split('"')[0]


# ---------------------------------------------------------------- the reader processes


def test_the_child_reads_as_the_service_would(tmp_path: Path) -> None:
    pool = ReaderPool()
    try:
        content = hostile.honest_csv(300)
        stages: list[str] = []
        parsed = pool.parse(
            "enterprises", "x.csv", content, progress=lambda s, d, t: stages.append(s)
        )
        assert parsed == parse_import("enterprises", "x.csv", content)
        [child] = pool._idle
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, child.process.pid) == min(19, ours + 10)
        bomb = pool.parse("enterprises", "x.xlsx", hostile.shared_strings_bomb())
        assert "16.0 MB 的上限" in bomb.errors[0].message
        assert pool._idle == [child]  # the same warm process served both
    finally:
        pool.close()
    assert not child.process.is_alive()


def test_a_child_past_its_deadline_is_killed_and_replaced() -> None:
    pool = ReaderPool(ReaderSettings(grace_seconds=-30.0))  # the deadline is already past
    try:
        parsed = pool.parse("enterprises", "x.csv", hostile.honest_csv(50))
        [error] = parsed.errors
        assert "30 秒的时间上限" in error.message and pool._idle == []
        pool.settings = ReaderSettings()
        again = pool.parse("enterprises", "x.csv", hostile.honest_csv(50))
        assert again.errors == [] and len(again.candidates) == 50
    finally:
        pool.close()


def test_a_child_that_dies_is_a_file_error_and_replaced() -> None:
    pool = ReaderPool()
    big = ReadLimits(max_rows=100_000, max_row_span=100_000, max_cells=10**7)
    found: list[ParsedImport] = []
    try:
        reading = threading.Thread(
            target=lambda: found.append(
                pool.parse("enterprises", "x.csv", hostile.honest_csv(60_000), limits=big)
            )
        )
        reading.start()
        deadline = time.monotonic() + 30
        while not multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        for child in multiprocessing.active_children():
            child.kill()
        reading.join(30)
        [error] = found[0].errors
        assert error.message == CHILD_DIED
        assert len(pool.parse("enterprises", "x.csv", hostile.honest_csv(5)).candidates) == 5
    finally:
        pool.close()


def test_a_child_out_of_memory_is_a_file_error() -> None:
    pool = ReaderPool(ReaderSettings(memory_bytes=64 * 1024 * 1024))  # below what it has
    try:
        [error] = pool.parse("enterprises", "x.csv", hostile.honest_csv(5000)).errors
        assert error.message in (out_of_memory(), CHILD_DIED)
    finally:
        pool.close()


# ---------------------------------------------------------------- the pages


def test_the_check_runs_in_the_background_and_shows_progress(
    pages: TestClient, file_engine: Engine
) -> None:
    url = upload(pages, hostile.honest_csv(1500), "名单.csv")
    seen: list[str] = []
    result = finish(pages, url, seen)
    assert seen, "the page answered with the result at once: nothing ran in the background"
    assert all('http-equiv="refresh"' in page for page in seen)
    assert any("与数据库核对" in page or "逐行检查" in page or "读取文件" in page for page in seen)
    assert "检查通过：1500 行全部有效，尚未导入" in result
    assert count(file_engine, Enterprise) == 0


@pytest.mark.parametrize(
    ("build", "names"),
    [
        (hostile.blank_rows_xlsx, "10000 行的上限（空行也计入）"),
        (hostile.shared_strings_bomb, "超过 16.0 MB 的上限"),
        (hostile.huge_cell_xlsx, "200.0 MB，超过 16.0 MB 的上限"),
    ],
)
def test_hostile_files_get_the_limit_on_the_result_page(
    pages: TestClient, build: object, names: str
) -> None:
    assert callable(build)
    result = finish(pages, upload(pages, build()))
    assert names in result and "检查通过" not in result and "未导入任何数据" in result


def test_a_file_with_no_data_rows_is_an_error_on_the_page(pages: TestClient) -> None:
    result = finish(pages, upload(pages, workbook({"企业": enterprise_rows()})))
    assert "文件没有数据行" in result and "检查通过" not in result


def test_import_through_the_page(
    pages: TestClient, file_engine: Engine, app_settings: Settings
) -> None:
    content = workbook(
        {"企业": enterprise_rows(GOOD, {**GOOD, "name": "坏公司", "employees": "很多"})}
    )
    checked = finish(pages, upload(pages, content, mode="all"))
    assert "职工人数" in checked and "须为整数" in checked and "未导入任何数据" in checked
    assert count(file_engine, Enterprise) == 0
    stash = stash_of(checked)
    confirm = {"stash": stash, "mode": "valid"}
    started = pages.post("/ui/import/enterprises/confirm", data=confirm, follow_redirects=False)
    assert started.status_code == 303
    done = finish(pages, started.headers["location"])
    assert "已导入 1 行，跳过 1 行有问题的行" in done and "须为整数" in done
    assert count(file_engine, Enterprise) == 1
    assert uploads(app_settings) == []  # the stash went with the confirmation
    again = pages.post("/ui/import/enterprises/confirm", data=confirm)
    assert again.status_code == 400 and count(file_engine, Enterprise) == 1


def test_a_check_keeps_the_valid_rows_not_the_file(
    pages: TestClient, app_settings: Settings
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "企业"
    for row in enterprise_rows(GOOD, {**GOOD, "name": "第二家公司"}):
        sheet.append(row)
    notes = book.create_sheet("说明")
    for i in range(6_000):  # bulk the officer's file carries and the import never needs
        notes.append([f"说明文字第 {i} 行：" + os.urandom(24).hex()])
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    assert len(content) > 200_000

    checked = finish(pages, upload(pages, content))
    assert "检查通过：2 行全部有效" in checked
    [kept] = uploads(app_settings)
    assert kept.name == f"{stash_of(checked)}.rows.json.gz"
    assert kept.stat().st_size < 2_000 < len(content) // 100
    text = gzip.decompress(kept.read_bytes()).decode()
    assert GOOD["name"] in text and "第二家公司" in text and "说明文字" not in text


def test_nothing_is_kept_when_no_row_is_valid(pages: TestClient, app_settings: Settings) -> None:
    content = workbook({"企业": enterprise_rows({"name": "", "county": "东营区"})})
    result = finish(pages, upload(pages, content))
    assert "没有可导入的有效行" in result or 'name="stash"' not in result
    assert uploads(app_settings) == []


def test_stashes_expire_and_old_raw_uploads_are_removed(
    pages: TestClient, app_settings: Settings
) -> None:
    checked = finish(pages, upload(pages, workbook({"企业": enterprise_rows(GOOD)})))
    [kept] = uploads(app_settings)
    legacy = kept.parent / ("ab" * 16 + ".xlsx")  # what the previous version left for 24 h
    legacy.write_bytes(b"PK raw upload")
    old = time.time() - STASH_TTL_SECONDS - 5
    os.utime(kept, (old, old))
    refused = pages.post(
        "/ui/import/enterprises/confirm", data={"stash": stash_of(checked), "mode": "all"}
    )
    assert refused.status_code == 400 and "已失效" in refused.text
    finish(pages, upload(pages, workbook({"企业": enterprise_rows({"name": ""})})))  # sweeps
    assert uploads(app_settings) == []


def test_a_stash_is_its_owners_alone(
    pages: TestClient, file_engine: Engine, app_settings: Settings
) -> None:
    checked = finish(pages, upload(pages, workbook({"企业": enterprise_rows(GOOD)})))
    stash = stash_of(checked)
    run_url = checked and pages.get("/ui/import").url  # keep the admin's cookie page alive
    assert run_url
    sign_in(pages, issue(file_engine, "officer", ["东营区"]))
    refused = pages.post("/ui/import/enterprises/confirm", data={"stash": stash, "mode": "all"})
    assert refused.status_code == 400
    assert len(uploads(app_settings)) == 1  # still there for its owner
    sign_in(pages)
    done = pages.post("/ui/import/enterprises/confirm", data={"stash": stash, "mode": "all"})
    assert "已导入 1 行" in finish(pages, str(done.url))


def test_runs_are_their_owners_alone(pages: TestClient, file_engine: Engine) -> None:
    officer = issue(file_engine, "officer", ["东营区"])
    sign_in(pages, officer)
    url = upload(pages, workbook({"企业": enterprise_rows(GOOD)}))
    finish(pages, url)
    sign_in(pages, issue(file_engine, "officer", ["广饶县"]))
    assert pages.get(url).status_code == 404
    assert pages.get(RUN_URL + "0" * 32).status_code == 404


# ---------------------------------------------------------------- the event loop


def _probe(client: httpx.Client, timings: list[float]) -> None:
    started = time.perf_counter()
    assert client.get("/health").status_code == 200
    timings.append(time.perf_counter() - started)
    time.sleep(0.05)


def test_health_answers_quickly_while_hostile_files_are_checked(
    app_settings: Settings, file_engine: Engine, runtime: Runtime
) -> None:
    """The issue's four files, uploaded to a real server: /health stays under 100 ms.

    Before, each was read and checked on the event loop: /health waited 57 s for the
    blank rows, 9–12 s for the bomb, 3–8 s for the 200 MB cell, 9.8 s for the 5,000 rows.
    95 % of the probes must answer within 100 ms, and every one within a second: on the
    shared two-core machines the tests run on, a probe of an idle server is itself now
    and then 30–100 ms late (the scheduler, not the service; measured by the baseline
    below and reported on failure).
    """
    files = [
        ("blank.xlsx", hostile.blank_rows_xlsx()),
        ("bomb.xlsx", hostile.shared_strings_bomb()),
        ("cell.xlsx", hostile.huge_cell_xlsx()),
        ("honest.csv", hostile.honest_csv(5000)),
    ]
    app = create_app(app_settings, file_engine, runtime)
    with running_server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        client.headers["Origin"] = base
        signed = client.post("/ui/login", data={"token": ADMIN_TOKEN})
        assert signed.status_code == 303, signed.text[:200]
        client.get("/ui/import")  # warms a reader, as the officer's visit does
        assert app.state.imports.pool._idle[0].wait_ready(120)
        runs: list[str] = []

        def post_all() -> None:
            for name, content in files:
                if len(runs) >= 2:  # the page allows two unfinished runs per officer
                    finish(client, runs[-2])
                response = client.post(
                    "/ui/import/enterprises",
                    data={"mode": "check"},
                    files={"file": (name, content)},
                    follow_redirects=False,
                )
                assert response.status_code == 303, response.text[:300]
                runs.append(response.headers["location"])
            for url in runs:
                finish(client, url)

        baseline: list[float] = []
        timings: list[float] = []
        with httpx.Client(base_url=base, timeout=10) as probe:
            while len(baseline) < 60:
                _probe(probe, baseline)
            poster = threading.Thread(target=post_all)
            poster.start()
            while poster.is_alive():
                _probe(probe, timings)
            poster.join()
        results = [finish(client, url) for url in runs]
    slowest = [round(t * 1000) for t in sorted(timings)[-5:]]
    noise = f"{slowest} ms; idle server: {round(max(baseline) * 1000)} ms"
    assert sorted(timings)[int(len(timings) * 0.95)] < 0.1, noise
    assert max(timings) < 1.0, noise
    assert "10000 行的上限" in results[0]
    assert "16.0 MB 的上限" in results[1] and "16.0 MB 的上限" in results[2]
    assert "检查通过：5000 行全部有效" in results[3]
