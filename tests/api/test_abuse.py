"""Audit and abuse: diagnoses audited, refusals recorded (never the secret), guessing throttled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.config import Settings
from api.errors import BAD_TOKEN, CREDIT_CODE_TAKEN_UNSEEN
from api.main import create_app
from api.runtime import Runtime
from api.throttle import FailureBudget
from tests.conftest import ADMIN_TOKEN
from tests.factories import create_enterprise, enterprise_payload, issue_token, make_credit_code

ORIGIN = {"Origin": "http://testserver"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def events(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/security-events", params=params, headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_running_a_diagnosis_is_audited(client: TestClient) -> None:
    officer = bearer(issue_token(client, "officer"))
    created = create_enterprise(client)
    diagnosis = client.post(f"/enterprises/{created['id']}/diagnosis", headers=officer).json()
    page = TestClient(client.app, headers=ORIGIN)
    page.post("/ui/login", data={"token": ADMIN_TOKEN})
    assert page.post(f"/ui/enterprises/{created['id']}/diagnose").status_code == 200
    entries = client.get("/audit", params={"entity": "diagnosis"}).json()["data"]
    assert [(e["action"], e["actor"].split(":")[-1]) for e in entries] == [
        ("diagnose", "bootstrap"),
        ("diagnose", "officer-测试"),
    ]
    assert entries[1]["entity_id"] == str(diagnosis["id"])
    assert entries[1]["changes"]["enterprise_id"] == created["id"]
    assert entries[1]["changes"]["primary"] == diagnosis["primary"]


def test_refusals_are_recorded_without_the_secret(client: TestClient, engine: Engine) -> None:
    viewer_token = issue_token(client, "viewer")
    wrong = "ld_this-is-a-wrong-token-0123456789"
    assert client.get("/partners", headers=bearer(wrong)).status_code == 401
    assert client.get("/partners", headers={"Authorization": ""}).status_code == 401
    assert (
        client.delete("/enterprises/1", headers=bearer(viewer_token)).status_code == 403
    )  # a forbidden write, whatever the id
    page = TestClient(client.app, headers=ORIGIN)
    assert page.post("/ui/login", data={"token": "wrong-password"}).status_code == 401
    cross = page.post("/ui/logout", headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403

    found = {e["kind"]: e for e in events(client)}
    assert {"bad_token", "missing_token", "forbidden", "login_failed", "cross_site"} <= set(found)
    assert found["bad_token"]["status"] == 401 and found["bad_token"]["path"] == "/partners"
    assert found["bad_token"]["client"] == "testclient"
    assert len(found["bad_token"]["token_hash_prefix"]) == 12
    assert found["forbidden"]["token_id"] is not None
    assert found["forbidden"]["actor"].endswith("viewer-测试")
    assert found["login_failed"]["path"] == "/ui/login"
    assert "evil.example" in found["cross_site"]["detail"]
    with engine.connect() as connection:
        stored = " ".join(
            str(v) for row in connection.execute(text("SELECT * FROM security_event")) for v in row
        )
    for secret in (wrong, viewer_token, "wrong-password", ADMIN_TOKEN):
        assert secret not in stored


def test_only_admins_read_security_events(client: TestClient) -> None:
    officer = bearer(issue_token(client, "officer"))
    assert client.get("/security-events", headers=officer).status_code == 403
    assert client.get("/security-events", params={"kind": "nope"}).status_code == 422
    assert events(client, kind="forbidden")[0]["path"] == "/security-events"


@pytest.fixture
def throttled(engine: Engine, runtime: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        run_migrations=False,
        start_worker=False,
        auth_failure_limit=20,
        auth_failure_window_seconds=60,
        auth_lockout_seconds=60,
    )
    with TestClient(create_app(settings, engine, runtime)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield client


def test_guessing_tokens_is_throttled_per_client(throttled: TestClient) -> None:
    app = throttled.app
    attacker = TestClient(app, client=("10.0.0.66", 50000))
    colleague = TestClient(app, client=("10.0.0.7", 50000))
    started = time.monotonic()
    answers = [
        attacker.get("/partners", headers=bearer(f"guess-{n:04d}")).status_code for n in range(400)
    ]
    elapsed = time.monotonic() - started
    assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}, answers[:25]
    refused = attacker.get("/partners", headers=bearer(ADMIN_TOKEN))
    assert refused.status_code == 429  # not even a right token is looked at meanwhile
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "秒后再试" in refused.json()["detail"]
    assert colleague.get("/partners", headers=bearer(ADMIN_TOKEN)).status_code == 200
    assert colleague.get("/partners", headers=bearer("wrong")).status_code == 401
    locked = [e for e in events(colleague) if e["kind"] == "locked_out"]
    assert [e["client"] for e in locked] == ["10.0.0.66"]
    print(f"400 wrong tokens from one client: {elapsed:.2f} s, {answers.count(429)} refused")


def test_the_page_sign_in_shares_the_budget(throttled: TestClient) -> None:
    browser = TestClient(throttled.app, client=("10.0.0.9", 50000), headers=ORIGIN)
    statuses = [
        browser.post("/ui/login", data={"token": f"try-{n}"}).status_code for n in range(21)
    ]
    assert statuses == [401] * 20 + [429]
    page = browser.post("/ui/login", data={"token": ADMIN_TOKEN})
    assert page.status_code == 429 and "秒后再试" in page.text
    assert browser.get("/partners", headers=bearer("api-too")).status_code == 429
    # A forged cookie is a guess as well.
    cookie_guess = TestClient(throttled.app, client=("10.0.0.10", 50000))
    for n in range(20):
        cookie_guess.cookies.set("ld_token", f"forged-{n}", path="/ui")
        cookie_guess.get("/ui", follow_redirects=False)
    assert cookie_guess.get("/ui", follow_redirects=False).status_code == 429


def test_a_token_prefix_budget_never_refuses_the_valid_token(throttled: TestClient) -> None:
    token = issue_token(throttled, "viewer")
    for n in range(25):
        guesser = TestClient(throttled.app, client=(f"10.1.0.{n}", 50000))
        status = guesser.get("/partners", headers=bearer(token[:10] + "x" * 33)).status_code
        assert status == (401 if n < 19 else 429), n
    owner = TestClient(throttled.app, client=("10.2.0.1", 50000))
    assert owner.get("/partners", headers=bearer(token)).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lock_out_ends_and_a_repeat_offender_is_locked_again() -> None:
    clock = Clock()
    budget = FailureBudget(limit=3, window=60, lockout=30, clock=clock)
    assert [budget.fail("a") for _ in range(3)] == [False, False, True]
    assert budget.retry_after("a") == 30 and budget.retry_after("b") is None
    clock.now += 29.5
    assert budget.retry_after("a") == 1
    clock.now += 1
    assert budget.retry_after("a") is None
    assert budget.fail("a") is True  # still 3 failures in the window: locked again at once
    clock.now += 91
    assert budget.retry_after("a") is None
    assert budget.fail("a") is False  # the window has passed: a fresh budget


def test_the_budget_forgets_the_oldest_keys_first() -> None:
    budget = FailureBudget(limit=2, window=60, lockout=60, clock=Clock(), max_keys=100)
    for n in range(1000):
        budget.fail(f"client-{n}")
    budget.fail("client-999")
    assert budget.retry_after("client-999") == 60
    assert len(budget._failures) <= 100 and len(budget._locked) <= 100


def test_a_limit_of_zero_turns_the_budget_off(
    engine: Engine, runtime: Runtime, tmp_path: Path
) -> None:
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path,
        run_migrations=False,
        start_worker=False,
        auth_failure_limit=0,
    )
    with TestClient(create_app(settings, engine, runtime)) as client:
        answers = {client.get("/partners", headers=bearer(f"g{n}")).status_code for n in range(40)}
    assert answers == {401}


def test_a_duplicate_code_in_an_unseen_county_names_no_record(client: TestClient) -> None:
    code = make_credit_code()
    theirs = create_enterprise(client, county="利津县", credit_code=code)
    officer = bearer(issue_token(client, "officer", ["广饶县"]))
    body = enterprise_payload(county="广饶县", name="重复代码公司", credit_code=code)
    refused = client.post("/enterprises", json=body, headers=officer)
    assert refused.status_code == 409
    assert refused.json()["detail"] == CREDIT_CODE_TAKEN_UNSEEN.format(code=code)
    assert f"企业 {theirs['id']}" not in refused.json()["detail"]
    mine = create_enterprise(client, county="广饶县", credit_code=None, name="本县企业")
    patched = client.patch(
        f"/enterprises/{mine['id']}", json={"credit_code": code}, headers=officer
    )
    assert patched.status_code == 409 and "利津" not in patched.json()["detail"]
    admin = client.post("/enterprises", json=body)
    assert admin.status_code == 409 and f"企业 {theirs['id']}" in admin.json()["detail"]


def test_wrong_token_message_is_unchanged(client: TestClient) -> None:
    assert client.get("/partners", headers=bearer("x")).json()["detail"] == BAD_TOKEN
