"""The page's override and review forms go through the API's OverrideIn and ReviewIn.

A refused form names each field in Chinese in the flash message; what the API
accepts, the page accepts.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN


def _sign_in(client: TestClient) -> None:
    client.headers.pop("Authorization", None)
    client.headers["Origin"] = "http://testserver"  # as a browser posts the page's forms
    assert client.post("/ui/login", data={"token": ADMIN_TOKEN}).status_code == 200


def _match_id(client: TestClient) -> int:
    page = client.get("/ui/enterprises/1")
    return int(page.text.split('action="/ui/matches/')[1].split("/")[0])


def test_a_refused_override_names_each_field(seeded: TestClient) -> None:
    _sign_in(seeded)
    url = "/ui/enterprises/1/override"
    bad_category = seeded.post(url, data={"primary": "nope", "reason": "核实后改判"})
    assert "主要类别：须为以下之一：帮扶纾困" in bad_category.text
    blank = seeded.post(url, data={"primary": "relief", "reason": "   "})
    assert "改判理由：不能为空" in blank.text
    both = seeded.post(url, data={"primary": "", "reason": ""})
    assert "主要类别：" in both.text and "改判理由：不能为空" in both.text
    too_long = seeded.post(url, data={"primary": "relief", "reason": "长" * 20_001})
    assert "改判理由：不能超过 20000 个字符" in too_long.text
    accepted = seeded.post(url, data={"primary": "debt_restructuring", "reason": "核实后改判"})
    assert "已改判为“债务重组”" in accepted.text


def test_a_refused_review_names_each_field(seeded: TestClient) -> None:
    _sign_in(seeded)
    url = f"/ui/matches/{_match_id(seeded)}/review"
    bad_status = seeded.post(url, data={"status": "won", "note": ""})
    assert "状态：须为以下之一：入选" in bad_status.text
    too_long = seeded.post(url, data={"status": "shortlisted", "note": "长" * 20_001})
    assert "说明：不能超过 20000 个字符" in too_long.text
    accepted = seeded.post(url, data={"status": "shortlisted", "note": "  已电话联系  "})
    assert "标记为“入选”" in accepted.text
