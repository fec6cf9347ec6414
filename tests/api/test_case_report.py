"""The case document (.docx): opened with python-docx, it holds the whole case."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.services.case_report import DOCX_MEDIA_TYPE
from tests.api.case_helpers import add_measure, auth, department_token, invite, with_departments
from tests.factories import issue_token

OPINIONS = {
    "税务局": "同意对欠缴税款办理延期缴纳，配合修复纳税信用。",
    "人民法院": "暂不宜进入破产程序，可先行庭外重组。",
}
MEASURES = {"协调债权银行续贷展期": "债权银行", "办理欠税延期缴纳": "税务局"}


def _all_text(document: Document) -> str:  # type: ignore[valid-type]
    parts = [p.text for p in document.paragraphs]  # type: ignore[attr-defined]
    for table in document.tables:  # type: ignore[attr-defined]
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def test_the_case_document_holds_name_diagnosis_opinions_and_measures(
    seeded: TestClient, engine: Engine
) -> None:
    with_departments(engine)
    enterprise = seeded.get("/enterprises/1").json()
    diagnosis = seeded.post("/enterprises/1/diagnosis").json()
    for department, opinion in OPINIONS.items():
        invite(seeded, 1, department)
        seeded.post("/enterprises/1/opinions", json={"department": department, "opinion": opinion})
    for title, department in MEASURES.items():
        measure = add_measure(seeded, 1, title=title, department=department)
    seeded.post(f"/measures/{measure['id']}/progress", json={"note": "已向税务机关提交申请"})

    response = seeded.get("/enterprises/1/report.docx")
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    text = _all_text(document)
    assert enterprise["name"] in text
    primary_name = next(
        c["name"] for c in diagnosis["categories"] if c["code"] == diagnosis["primary"]
    )
    assert f"系统诊断主要类别：{primary_name}" in text
    assert diagnosis["categories"][0]["reasons"][0] in text
    for department, opinion in OPINIONS.items():
        assert opinion in text and department in text
    measures_table = next(t for t in document.tables if t.rows[0].cells[1].text == "措施")
    rows = {r.cells[1].text: (r.cells[2].text, r.cells[4].text) for r in measures_table.rows[1:]}
    assert rows == {title: (dept, "未启动") for title, dept in MEASURES.items()}
    assert "已向税务机关提交申请" in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:1] == ["一、企业概况"] and "三、帮扶方案（一企一策）" in headings

    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体"


def test_the_case_document_answers_401_403_404(client: TestClient, engine: Engine) -> None:
    with_departments(engine)
    created = client.post("/enterprises", json={"name": "报告测试企业", "county": "广饶县"}).json()
    path = f"/enterprises/{created['id']}/report.docx"
    assert client.get(path, headers={"Authorization": ""}).status_code == 401
    assert client.get("/enterprises/99999/report.docx").status_code == 404
    elsewhere = auth(issue_token(client, "officer", ["利津县"]))
    assert client.get(path, headers=elsewhere).status_code == 403
    invite(client, created["id"], "税务局")
    assert client.get(path, headers=auth(department_token(client, "税务局"))).status_code == 403
    empty = client.get(path)  # no partners, no opinions, no plan: still a document
    assert empty.status_code == 200
    text = _all_text(Document(io.BytesIO(empty.content)))
    assert "暂无可推荐的合作主体" in text and "尚未制定措施" in text and "尚无部门意见" in text


def test_control_characters_in_stored_text_do_not_break_the_document(
    client: TestClient, engine: Engine
) -> None:
    """XML cannot hold most control characters; the document shows a mark in their place."""
    with_departments(engine)
    created = client.post(
        "/enterprises", json={"name": "控制\x01字符企业", "problems": "银行抽贷\x0b资金链紧张"}
    ).json()
    assert created["problems"] == "银行抽贷\x0b资金链紧张"  # stored unchanged
    invite(client, created["id"], "税务局")
    opinion = {"department": "税务局", "opinion": "意见\x1f正文"}
    assert client.post(f"/enterprises/{created['id']}/opinions", json=opinion).status_code == 201
    response = client.get(f"/enterprises/{created['id']}/report.docx")
    assert response.status_code == 200
    text = _all_text(Document(io.BytesIO(response.content)))
    assert "控制\ufffd字符企业" in text and "银行抽贷\ufffd资金链紧张" in text
    assert "意见\ufffd正文" in text
