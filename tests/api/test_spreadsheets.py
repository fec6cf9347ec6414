"""Spreadsheet import/export and the officers' pages, without a browser.

The import is checked through the service (both backends), the page routes
through the ASGI app with the sign-in cookie, and the `ld import` command with
Typer's runner.  The browser tests are in tests/pages/.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.auth import Principal
from api.cli_import import register
from api.services.spreadsheets import (
    ASSET_COLUMNS,
    ENTERPRISE_COLUMNS,
    FIELD_LABELS,
    PARTNER_COLUMNS,
    ImportReport,
    import_spreadsheet,
    template_csv,
    template_workbook,
)
from api.services.tokens import create_token
from matcher.industry import IndustryTable
from models.db import session_scope
from models.tables import Asset, Enterprise, Partner
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_credit_code
from tests.forms import edit_state

ADMIN = Principal(name="test", role="admin")
E = {c.field: c.label for c in ENTERPRISE_COLUMNS}
A = {c.field: c.label for c in ASSET_COLUMNS}
P = {c.field: c.label for c in PARTNER_COLUMNS}


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def enterprise_rows(*rows: dict[str, Any]) -> list[list[Any]]:
    header = list(E)
    return [[E[f] for f in header], *([row.get(f, "") for f in header] for row in rows)]


def run_import(
    engine: Engine,
    industries: IndustryTable,
    content: bytes,
    *,
    kind: str = "enterprises",
    filename: str = "list.xlsx",
    mode: str = "check",
    principal: Principal = ADMIN,
) -> ImportReport:
    with Session(engine, expire_on_commit=False) as session:
        report = import_spreadsheet(
            session=session,
            kind=kind,
            filename=filename,
            content=content,
            principal=principal,
            industries=industries,
            mode=mode,
        )
        if report.committed:
            session.commit()
        else:
            session.rollback()
    return report


def count(engine: Engine, table: type[Enterprise] | type[Partner] | type[Asset]) -> int:
    with Session(engine) as session:
        return len(session.exec(select(table)).all())


GOOD = {
    "name": "东营市示例化工有限公司",
    "county": "东营区",
    "industry_code": "2614",
    "operating_status": "半停产",
    "capacity_utilization": "45%",
    "employees": "230",
    "problems": "逾期贷款4000万元",
    "financials.total_assets": "30,000",
    "financials.total_liabilities": 26000,
}


def test_every_field_has_one_chinese_label() -> None:
    for entity, labels in FIELD_LABELS.items():
        for field, label in labels.items():
            assert label and not label.isascii(), (entity, field)
    assert len(set(E.values())) == len(E)
    assert len(set(P.values())) == len(P)


def test_template_example_rows_pass_the_api_checks(
    engine: Engine, industries: IndustryTable
) -> None:
    report = run_import(engine, industries, template_workbook("enterprises"))
    assert report.clean, report.errors
    assert report.total == 1 and not report.committed
    partners = run_import(engine, industries, template_workbook("partners"), kind="partners")
    assert partners.clean, partners.errors
    csv_report = run_import(
        engine, industries, template_csv("enterprises"), filename="模板.csv", mode="all"
    )
    assert csv_report.committed and count(engine, Enterprise) == 1
    book = load_workbook(io.BytesIO(template_workbook("enterprises")))
    assert book.sheetnames == ["企业", "资产", "说明"]
    assert [c.value for c in book["企业"][1]] == list(E.values())


def test_errors_are_reported_by_row_and_column_and_nothing_is_imported(
    engine: Engine, industries: IndustryTable
) -> None:
    content = workbook(
        {
            "企业": enterprise_rows(
                GOOD,
                {"name": "", "county": "东营区"},
                {**GOOD, "name": "坏数据公司", "financials.total_assets": "很多", "employees": -3},
                {**GOOD, "name": "未知行业公司", "industry_code": "Z9999"},
                {**GOOD, "name": "坏状态公司", "operating_status": "还行"},
            )
        }
    )
    for mode in ("check", "all"):
        report = run_import(engine, industries, content, mode=mode)
        assert not report.committed
        assert report.valid_rows == [2]
        found = {(e.row, e.column): e.message for e in report.errors}
        assert found[(3, "企业名称")] == "必填"
        assert found[(4, "总资产（万元）")] == "须为数字"
        assert found[(4, "职工人数")] == "不能小于 0"
        assert "Z9999" in found[(5, "行业代码")]
        assert found[(6, "经营状态")].startswith("须为以下之一：正常生产")
        assert all(e.sheet == "企业" for e in report.errors)
    assert count(engine, Enterprise) == 0

    report = run_import(engine, industries, content, mode="valid")
    assert report.committed and len(report.imported_ids) == 1
    with Session(engine) as session:
        [row] = session.exec(select(Enterprise)).all()
    assert row.name == GOOD["name"]
    assert row.capacity_utilization == pytest.approx(0.45)
    assert row.operating_status == "partial" and row.total_assets == 30000
    assert row.industry_code == "C2614"


def test_assets_sheet_is_keyed_by_enterprise_name(
    engine: Engine, industries: IndustryTable
) -> None:
    asset_header = ["企业名称", *A.values()]
    content = workbook(
        {
            "企业": enterprise_rows(GOOD, {**GOOD, "name": "第二家公司"}),
            "资产": [
                asset_header,
                [GOOD["name"], "厂房", "闲置厂房", 12000, "", "", "抵押", "是", "东营区"],
                [GOOD["name"], "土地", "工业用地", "", 800, 900, "无", "否", ""],
                ["第二家公司", "飞机", "", "", "", "", "", "", ""],
                ["不存在的公司", "土地", "", "", "", "", "", "", ""],
            ],
        }
    )
    report = run_import(engine, industries, content, mode="all")
    assert not report.committed
    found = {(e.sheet, e.row, e.column): e.message for e in report.errors}
    assert found[("资产", 4, "资产类型")].startswith("须为以下之一：土地")
    assert found[("资产", 5, "企业名称")] == "在企业表中找不到该企业"
    assert report.valid_rows == [2]

    report = run_import(engine, industries, content, mode="valid")
    assert report.committed
    with Session(engine) as session:
        assets = session.exec(select(Asset).order_by(Asset.id)).all()
    assert [(a.type, a.encumbrance, a.idle) for a in assets] == [
        ("plant", "mortgaged", True),
        ("land", "none", False),
    ]


def test_service_errors_are_the_apis(engine: Engine, industries: IndustryTable) -> None:
    code = make_credit_code()
    content = workbook(
        {
            "企业": enterprise_rows(
                {**GOOD, "credit_code": code},
                {**GOOD, "name": "重复代码公司", "credit_code": code},
                {**GOOD, "name": "外县公司", "county": "利津县"},
                {**GOOD, "name": "错误代码公司", "credit_code": "91370523MA3C0000X0"},
            )
        }
    )
    officer = Principal(name="广饶", role="officer", counties=("东营区",))
    report = run_import(engine, industries, content, principal=officer)
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "已被" in found[(3, "统一社会信用代码")]
    assert "利津县" in found[(4, "县区")]
    assert (5, "统一社会信用代码") in found
    assert report.valid_rows == [2]


def test_partners_import(engine: Engine, industries: IndustryTable) -> None:
    header = list(P)
    rows = [
        {
            "name": "示例资产管理公司",
            "kind": "资产管理公司",
            "industries": "C29、2614",
            "treatment_types": "债务重组，破产重整",
            "asset_interests": "土地;厂房",
            "ticket_min": 100,
            "ticket_max": "5000",
            "active": "是",
        },
        {"name": "规模颠倒基金", "kind": "产业基金", "ticket_min": 900, "ticket_max": 100},
        {"name": "未知类别基金", "treatment_types": "扶贫"},
    ]
    content = workbook(
        {"合作主体": [[P[f] for f in header]] + [[r.get(f, "") for f in header] for r in rows]}
    )
    report = run_import(engine, industries, content, kind="partners", mode="valid")
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "不能小于" in found[(3, "规模上限（万元）")]
    assert found[(4, "参与的施策类别")].startswith("须为以下之一")
    assert report.committed and report.valid_rows == [2]
    with Session(engine) as session:
        [partner] = session.exec(select(Partner)).all()
    assert partner.kind == "amc" and partner.industries == ["C29", "C2614"]
    assert partner.treatment_types == ["debt_restructuring", "judicial_reorganization"]
    assert partner.asset_interests == ["land", "plant"]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("list.xlsx", b"not a workbook", "无法读取"),
        ("list.pdf", b"%PDF", "只支持"),
        ("list.csv", b"\xff\xfe\x00\x00garbage\x00", "CSV"),
        ("list.csv", "名称,类型\n".encode(), "第一行不是模板的列名"),
        ("list.xlsx", workbook({"企业": []}), "是空的"),
    ],
)
def test_unreadable_files_are_reported_not_raised(
    engine: Engine, industries: IndustryTable, filename: str, content: bytes, message: str
) -> None:
    report = run_import(engine, industries, content, filename=filename, mode="all")
    assert not report.committed
    assert message in str(report.errors[0])


def test_csv_in_gbk_with_unknown_column(engine: Engine, industries: IndustryTable) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["企业名称", "县区", "备注"])
    writer.writerow(["东营市GBK编码公司", "垦利区", "随便写写"])
    report = run_import(
        engine, industries, out.getvalue().encode("gb18030"), filename="x.csv", mode="all"
    )
    assert [(e.row, e.column) for e in report.errors] == [(1, "备注")]
    assert not report.committed and report.valid_rows == [2]


# ---------------------------------------------------------------- pages (no browser)


def sign_in(client: TestClient, token: str = ADMIN_TOKEN) -> TestClient:
    client.headers.pop("Authorization", None)
    client.headers["Origin"] = "http://testserver"  # as a browser posts the page's forms
    response = client.post("/ui/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()
    return client


def issue(engine: Engine, role: str, counties: list[str]) -> str:
    with session_scope(engine) as session:
        _, secret = create_token(
            session=session, name=f"{role}-test", role=role, counties=counties, actor="test"
        )
    return secret


def test_pages_need_a_signed_in_token(seeded: TestClient) -> None:
    seeded.headers.pop("Authorization", None)
    seeded.headers["Origin"] = "http://testserver"
    response = seeded.get("/ui/enterprises", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")
    bad = seeded.post("/ui/login", data={"token": "nope"})
    assert bad.status_code == 401 and "访问令牌无效" in bad.text
    assert seeded.get("/", follow_redirects=False).headers["location"] == "/ui"
    evil = seeded.post("/ui/login", data={"token": ADMIN_TOKEN, "next": "https://evil.example/"})
    assert evil.url.path == "/ui"


def test_page_form_errors_name_the_field_in_chinese(seeded: TestClient) -> None:
    sign_in(seeded)
    form = {
        "name": "表单测试公司",
        "county": "东营区",
        "industry_code": "C2614",
        "financials.total_assets": "-5",
        "employees": "abc",
        "assets-0-type": "plant",
        "assets-0-area_m2": "很大",
    }
    response = seeded.post("/ui/enterprises/new", data=form)
    assert response.status_code == 422
    assert "总资产（万元）：不能小于 0" in response.text
    assert "职工人数：须为整数" in response.text
    assert "资产1·面积（平方米）：须为数字" in response.text
    form.update({"financials.total_assets": "5000", "employees": "10", "assets-0-area_m2": "900"})
    created = seeded.post("/ui/enterprises/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    page = seeded.get(created.headers["location"])
    assert page.status_code == 200 and "表单测试公司" in page.text
    assert "推荐合作主体" in page.text and "诊断：分类施策" in page.text


def test_viewer_sees_no_write_buttons_and_cannot_post(seeded: TestClient, engine: Engine) -> None:
    sign_in(seeded, issue(engine, "viewer", []))
    page = seeded.get("/ui/enterprises/1")
    assert page.status_code == 200
    for marker in ("编辑画像", "重新评分", "/review", "改判主要类别", "新建企业"):
        assert marker not in page.text
    refused = seeded.post("/ui/matches/1/review", data={"status": "shortlisted"})
    assert refused.status_code == 403 and "无权" in refused.text
    assert seeded.get("/ui/enterprises/new").status_code == 403
    assert seeded.post("/ui/import/enterprises", files={"file": ("a.csv", b"x")}).status_code == 403


def test_county_scope_holds_on_pages(seeded: TestClient, engine: Engine) -> None:
    sign_in(seeded, issue(engine, "officer", ["广饶县"]))
    listing = seeded.get("/ui/enterprises")
    assert "广饶县" in listing.text and "垦利区" not in listing.text.split("<tbody>")[1]
    with Session(engine) as session:
        other = session.exec(select(Enterprise).where(Enterprise.county == "垦利区")).first()
    assert other is not None
    refused = seeded.get(f"/ui/enterprises/{other.id}")
    assert refused.status_code == 403 and "垦利区" in refused.text
    assert seeded.get(f"/ui/export/enterprises/{other.id}/matches.xlsx").status_code == 403


def test_cross_site_posts_are_refused(seeded: TestClient) -> None:
    sign_in(seeded)
    response = seeded.post(
        "/ui/matches/1/review",
        data={"status": "shortlisted"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_review_from_the_page_and_exports(seeded: TestClient) -> None:
    sign_in(seeded)
    page = seeded.get("/ui/enterprises/1")
    match_id = int(page.text.split('action="/ui/matches/')[1].split("/")[0])
    rejected = seeded.post(f"/ui/matches/{match_id}/review", data={"status": "rejected"})
    assert "说明：标记为“不合适”" in rejected.text
    moved = seeded.post(f"/ui/matches/{match_id}/review", data={"status": "shortlisted"})
    assert "标记为“入选”" in moved.text
    board = seeded.get("/ui/pipeline")
    assert f"/ui/matches/{match_id}/review" in board.text
    dashboard = seeded.get("/ui")
    assert dashboard.status_code == 200 and "每月新签约" in dashboard.text

    export = seeded.get("/ui/export/enterprises/1/matches.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["排名", "合作主体", "主体类型", "总分"] and "施策类别" in header
    assert sheet.max_row > 2
    pipeline = load_workbook(io.BytesIO(seeded.get("/ui/export/pipeline.xlsx").content)).active
    assert pipeline.cell(2, 1).value == "入选"


def test_templates_download_with_a_chinese_name(seeded: TestClient) -> None:
    sign_in(seeded)
    template = seeded.get("/ui/import/template/partners.xlsx")
    assert (
        template.status_code == 200
        and "filename*=UTF-8''" in template.headers["content-disposition"]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/ui/enterprises?page=0",
        "/ui/enterprises?category=nope",
        "/ui/enterprises?q=%00",
        "/ui/enterprises/99999",
        "/ui/enterprises/abc",
        "/ui/partners?kind=x",
        "/ui/jobs/99999",
        "/ui/import/template/../../etc/passwd",
        "/ui/static/..%2Fapi%2Fmain.py",
        "/ui/export/enterprises/0/matches.xlsx",
    ],
)
def test_bad_page_inputs_never_answer_500(seeded: TestClient, url: str) -> None:
    sign_in(seeded)
    assert seeded.get(url).status_code in (400, 404, 422)


def test_bad_form_posts_never_answer_500(seeded: TestClient) -> None:
    sign_in(seeded)
    posts = [
        ("/ui/enterprises/new", {"name": "x" * 300, "capacity_utilization": "2"}),
        ("/ui/enterprises/1/edit", {"name": "", "credit_code": "123"}),
        ("/ui/enterprises/1/override", {"primary": "nope", "reason": "x"}),
        ("/ui/enterprises/1/override", {"primary": "relief", "reason": ""}),
        ("/ui/matches/999999/review", {"status": "signed"}),
        ("/ui/partners/new", {"name": "", "ticket_min": "nan"}),
        ("/ui/rescore", {"enterprise_id": "99999999999"}),
        ("/ui/import/enterprises/confirm", {"stash": "../../x", "mode": "valid"}),
        ("/ui/import/enterprises", {"mode": "all"}),
    ]
    for url, data in posts:
        response = seeded.post(url, data=data)
        assert response.status_code < 500, (url, response.status_code)


# ---------------------------------------------------------------- CLI


def test_cli_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI works on its own SQLite file (LD_DATA_DIR), whatever the test backend."""
    from api.config import get_settings

    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LD_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)

    @app.command()
    def noop() -> None:  # a group needs a second command to keep `import` as a subcommand
        """Nothing."""

    path = tmp_path / "企业.xlsx"
    path.write_bytes(workbook({"企业": enterprise_rows(GOOD, {"name": "", "county": "x"})}))
    runner = CliRunner()
    try:
        strict = runner.invoke(app, ["import", "enterprises", str(path)])
        assert strict.exit_code == 1
        assert "企业 表第 3 行「企业名称」：必填" in strict.output
        assert "nothing imported" in strict.output
        loose = runner.invoke(app, ["import", "enterprises", str(path), "--valid-only"])
        assert loose.exit_code == 0, loose.output
        assert "imported 1 of 2 rows" in loose.output
    finally:
        get_settings.cache_clear()


def test_edit_form_saves_profile_and_assets_in_one_go(seeded: TestClient, engine: Engine) -> None:
    sign_in(seeded)
    form = seeded.get("/ui/enterprises/1/edit")
    assert form.status_code == 200 and 'value="148000"' in form.text  # no "148000.0"
    with Session(engine) as session:
        assets = session.exec(select(Asset).where(Asset.enterprise_id == 1)).all()
    first, second = assets[0], assets[1]
    data = {
        **edit_state(form.text),
        "name": "广饶县沛晟轮胎有限公司",
        "county": "广饶县",
        "industry_code": "C2911",
        "operating_status": "partial",
        "financials.overdue_debt": "1500",
        "assets-0-id": str(first.id),
        "assets-0-type": first.type,
        "assets-0-description": "改过的描述",
        "assets-0-encumbrance": "seized",
        "assets-1-id": str(second.id),
        "assets-1-type": second.type,
        "assets-1-remove": "1",
        "assets-2-type": "equipment",
        "assets-2-description": "新增设备",
        "assets-2-book_value": "-1",
    }
    refused = seeded.post("/ui/enterprises/1/edit", data=data)
    assert refused.status_code == 422 and "资产·账面价值（万元）" not in refused.text
    assert "账面价值（万元）：不能小于 0" in refused.text
    data["assets-2-book_value"] = "300"
    saved = seeded.post("/ui/enterprises/1/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303
    with Session(engine) as session:
        row = session.get(Enterprise, 1)
        live = session.exec(
            select(Asset).where(Asset.enterprise_id == 1, Asset.archived == False)  # noqa: E712
        ).all()
    assert row is not None and row.operating_status == "partial" and row.overdue_debt == 1500
    assert row.description == ""  # a blank field in a full form clears the text
    described = {a.description: a.encumbrance for a in live}
    assert described["改过的描述"] == "seized" and "新增设备" in described
    assert second.id not in {a.id for a in live}


def test_partner_edit_form(seeded: TestClient, engine: Engine) -> None:
    sign_in(seeded)
    form = seeded.get("/ui/partners/2/edit")
    assert form.status_code == 200
    with Session(engine) as session:
        before = session.get(Partner, 2)
    assert before is not None
    data = {
        **edit_state(form.text),
        "name": before.name,
        "kind": before.kind,
        "industries": "、".join(before.industries),
        "treatment_types": ["relief", "debt_restructuring"],
        "ticket_min": "50",
        "ticket_max": "",
        "preferred_regions": "东营市，滨州市",
    }
    saved = seeded.post("/ui/partners/2/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303
    with Session(engine) as session:
        after = session.get(Partner, 2)
    assert after is not None and not after.active  # the unticked checkbox
    assert after.treatment_types == ["relief", "debt_restructuring"]
    assert after.ticket_min == 50 and after.ticket_max is None
    assert after.preferred_regions == ["东营市", "滨州市"]
    officer = issue(engine, "officer", [])
    sign_in(seeded, officer)
    assert seeded.get("/ui/partners/2/edit").status_code == 403
    assert (
        "编辑" not in seeded.get("/ui/partners/2").text.split("<main>")[1].split("</h1>")[1][:400]
    )


def test_page_text_is_escaped(seeded: TestClient) -> None:
    sign_in(seeded)
    name = '<script>alert("x")</script>公司'
    created = seeded.post(
        "/ui/enterprises/new", data={"name": name, "county": "东营区"}, follow_redirects=False
    )
    assert created.status_code == 303
    page = seeded.get(created.headers["location"])
    assert name not in page.text and "&lt;script&gt;" in page.text
