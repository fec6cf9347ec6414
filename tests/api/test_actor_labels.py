"""Pages and the case document name people, not the token numbers the audit keeps."""

from __future__ import annotations

import io

import pytest
from docx import Document
from fastapi.testclient import TestClient

from api.auth import BOOTSTRAP_LABEL, CLI_ACTOR, SYSTEM_ACTOR, Principal, actor_label
from tests.api.test_edit_forms import sign_in


@pytest.mark.parametrize(
    ("actor", "label"),
    [
        ("token#7:张三", "张三"),
        ("token#12:市招商局:李四", "市招商局:李四"),
        ("admin:bootstrap", BOOTSTRAP_LABEL),
        ("officer:王五", "王五"),
        (SYSTEM_ACTOR, "系统（自动）"),
        (f"admin:{CLI_ACTOR}", "命令行（管理员）"),
        (CLI_ACTOR, "命令行（管理员）"),
        ("", "—"),
        (None, "—"),
        ("某个外部写入者", "某个外部写入者"),
    ],
)
def test_actor_label(actor: str | None, label: str) -> None:
    assert actor_label(actor) == label


def test_a_principal_label_is_the_label_of_its_actor() -> None:
    officer = Principal(name="张三", role="officer", token_id=3)
    assert officer.actor == "token#3:张三"
    assert officer.label == "张三"


def test_the_enterprise_page_and_the_case_document_name_the_officer(seeded: TestClient) -> None:
    issued = seeded.post("/tokens", json={"name": "张三", "role": "officer"})
    assert issued.status_code == 201, issued.text
    officer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert seeded.post("/enterprises/1/diagnosis", headers=officer).status_code == 200
    overridden = seeded.post(
        "/enterprises/1/diagnosis/override",
        json={"primary": "judicial_reorganization", "reason": "法院已受理重整申请"},
        headers=officer,
    )
    assert overridden.status_code == 200, overridden.text
    # The API keeps the exact actor; people read the name.
    assert overridden.json()["override"]["actor"] == f"token#{issued.json()['id']}:张三"

    client = sign_in(seeded)
    page = client.get("/ui/enterprises/1")
    assert page.status_code == 200
    assert "张三 于" in page.text
    assert "token#" not in page.text

    report = client.get("/ui/enterprises/1/report.docx")
    assert report.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(report.content)).paragraphs)
    assert "张三" in text and "token#" not in text
