"""The request-body limit (spec: over 16 MB is refused with 413)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

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
