"""The request-body limit (spec: over 16 MB is refused with 413)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.config import Settings
from api.errors import BODY_TOO_LARGE
from api.main import create_app
from api.runtime import Runtime
from tests.conftest import ADMIN_TOKEN
from tests.servers import running_server

LIMIT = 16 * 1024 * 1024


def test_declared_oversized_body_is_413(client: TestClient) -> None:
    body = b'{"name": "' + b"x" * (LIMIT + 10) + b'"}'
    response = client.post(
        "/enterprises", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "上限" in response.json()["detail"]


def test_chunked_oversized_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(17):
            yield b"y" * (1024 * 1024)
        yield b'"}'

    response = client.post(
        "/partners/bulk", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert client.get("/partners").json()["count"] == 0


def test_body_under_the_limit_is_read(client: TestClient) -> None:
    response = client.post("/enterprises", json={"name": "甲", "description": "述" * 19_000})
    assert response.status_code == 201


# --- a real server: what clients that write the whole body before reading see -------------


@pytest.fixture
def live_url(settings: Settings, engine: Engine, runtime: Runtime) -> Iterator[str]:
    with running_server(create_app(settings, engine, runtime)) as url:
        yield url


def _post(url: str, data: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_urllib_reads_the_413_of_a_30_mb_body(live_url: str) -> None:
    body = b'{"name": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    status, answer = _post(live_url + "/enterprises", body, HEADERS)
    assert status == 413
    assert answer["detail"] == BODY_TOO_LARGE.format(limit=LIMIT)


def test_urllib_reads_the_413_of_a_chunked_body(live_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(30):
            yield b"y" * (1024 * 1024)
        yield b'"}'

    headers = {**HEADERS, "Transfer-Encoding": "chunked"}
    status, answer = _post(live_url + "/partners/bulk", chunks(), headers)
    assert status == 413
    assert "上限" in answer["detail"]


def test_the_server_still_answers_after_refusing(live_url: str) -> None:
    _post(live_url + "/enterprises", b"{" + b" " * (20 * 1024 * 1024) + b"}", HEADERS)
    status, answer = _post(live_url + "/enterprises", b'{"name": "\xe7\x94\xb2"}', HEADERS)
    assert (status, answer["name"]) == (201, "甲")
