"""会诊 and 一企一策 in a real Chromium: an officer invites a department, the department gives
its opinion, the officer adds a measure, marks it done and downloads the case document.

Screenshots of the new sections go to test-output/screenshots/ with the downloaded .docx.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
from docx import Document

from tests.pages.conftest import VIEWPORT, LiveApp, sign_in
from tests.pages.test_browser import navigate, shot

ENTERPRISE = "广饶县骁垣橡胶有限公司"
OPINION = "该企业欠缴税款可办理延期缴纳，建议先行清算处置闲置资产。"
MEASURE = "协调债权银行续贷展期一年"
LATE_MEASURE = "盘活闲置厂房对接租赁方"


def _department_token(live_app: LiveApp, department: str) -> str:
    response = httpx.post(
        live_app.url + "/tokens",
        json={"name": f"{department}联络员", "role": "department", "department": department},
        headers={"Authorization": f"Bearer {live_app.admin_token}"},
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def _open_enterprise(page: Any, live_app: LiveApp) -> str:
    page.goto(live_app.url + "/ui/enterprises?q=" + ENTERPRISE)
    navigate(page, page.locator("table.table tbody a", has_text=ENTERPRISE).first)
    page.wait_for_url(re.compile(r"/ui/enterprises/\d+$"))
    return str(page.url)


def test_consultation_plan_and_case_document(
    browser: Any, page: Any, live_app: LiveApp, screenshots: Path
) -> None:
    sign_in(page, live_app, live_app.officer_token)
    enterprise_url = _open_enterprise(page, live_app)
    engine = page.inner_text("#case .engine-primary b")
    assert engine and engine != "尚未诊断"  # the page diagnosed it on the way

    page.select_option("#case select[name=department]", label="税务局")
    navigate(page, "#case .invite-form button")
    assert "已邀请“税务局”参加会诊" in page.inner_text(".flash.ok")
    assert "待提交意见" in page.locator("#case .dept-chip", has_text="税务局").inner_text()

    # The department signs in with its own token and sees this case only.
    tax = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    department = tax.new_page()
    department.goto(live_app.url + "/ui/login")
    department.fill("input[name=token]", _department_token(live_app, "税务局"))
    navigate(department, "button[type=submit]")
    department.wait_for_url(re.compile(r"/ui/enterprises$"))
    rows = department.locator("table.table tbody tr")
    assert rows.count() == 1 and ENTERPRISE in rows.first.inner_text()
    navigate(department, rows.first.locator("a").first)
    assert department.locator("#matches").count() == 0  # no partners for a department
    category = "清算出清" if engine != "清算出清" else "帮扶纾困"  # not the engine's
    department.select_option("#case select[name=category]", label=category)
    department.fill("#case textarea[name=opinion]", OPINION)
    navigate(department, "#case .opinion-form button.primary")
    assert "已记录“税务局”的意见" in department.inner_text(".flash.ok")
    department.screenshot(path=str(screenshots / "case_department_view.png"))
    department.goto(live_app.url + "/ui")
    assert department.url.endswith("/ui/enterprises")  # no dashboard for a department
    tax.close()

    page.goto(enterprise_url)
    row = page.locator("#case table.opinions tr.differs", has_text="税务局")
    assert OPINION in row.inner_text() and "与系统诊断不同" in row.inner_text()
    page.locator("#case").screenshot(path=str(screenshots / "case_consultation.png"))

    page.fill("#plan input[name=title]", MEASURE)
    page.select_option("#plan select[name=department]", label="债权银行")
    page.fill("#plan input[name=due_date]", "2030-06-30")
    page.select_option("#plan select[name=match_id]", index=1)
    navigate(page, "#plan .add-measure button.primary")
    assert f"已添加措施“{MEASURE}”" in page.inner_text(".flash.ok")
    card = page.locator(".plane-not_started .mcard", has_text=MEASURE)
    assert "债权银行" in card.inner_text() and "↔" in card.inner_text()
    card.locator("input[name=note]").fill("已召开银企协调会，银行原则同意展期")
    navigate(page, card.locator(".progress-form button"))
    assert "已记录进展" in page.inner_text(".flash.ok")
    card = page.locator(".mcard", has_text=MEASURE)
    navigate(page, card.locator("button[data-status=done]"))
    assert f"已将“{MEASURE}”标记为“已完成”" in page.inner_text(".flash.ok")
    done = page.locator(".plane-done .mcard", has_text=MEASURE)
    assert "银行原则同意展期" in done.inner_text()

    page.fill("#plan input[name=title]", LATE_MEASURE)
    page.select_option("#plan select[name=department]", label="自然资源和规划局")
    page.fill("#plan input[name=due_date]", "2025-03-31")
    navigate(page, "#plan .add-measure button.primary")
    assert "逾期" in page.locator(".mcard.overdue", has_text=LATE_MEASURE).inner_text()
    navigate(page, page.locator("#plan form:has(input[value=diagnosis]) button"))
    assert "方案施策类别" in page.inner_text(".flash.ok")
    page.locator("#plan").screenshot(path=str(screenshots / "case_plan_board.png"))

    with page.expect_download() as downloading:
        page.click("#plan a[data-download]")
    saved = screenshots / "case_report.docx"
    downloading.value.save_as(str(saved))
    document = Document(io.BytesIO(saved.read_bytes()))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    for expected in (ENTERPRISE, OPINION, MEASURE, LATE_MEASURE, f"系统诊断主要类别：{engine}"):
        assert expected in text, expected

    page.goto(enterprise_url + "/report")
    assert page.inner_text("h1") == f"{ENTERPRISE}联动诊疗情况报告"
    assert MEASURE in page.inner_text(".sheet") and OPINION in page.inner_text(".sheet")
    page.screenshot(path=str(screenshots / "case_print_view.png"), full_page=True)

    page.goto(live_app.url + "/ui")
    follow_ups = page.locator("#follow-ups")
    assert LATE_MEASURE in follow_ups.locator(".followup-measure").inner_text()
    tally = page.locator("#measures table.measure-tally").first
    assert "自然资源和规划局" in tally.inner_text()
    page.locator(".plan-dashboard").screenshot(path=str(screenshots / "dashboard_measures.png"))
    shot(page, screenshots, "dashboard_with_measures")
