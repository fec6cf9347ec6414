"""The officers' pages in a real Chromium at 1366×768, against the real app and engine.

Each main page is saved as a screenshot under test-output/screenshots/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from api.services.spreadsheets import ENTERPRISE_COLUMNS
from matcher.matching.registry import STANDARD_REGISTRY
from tests.pages.conftest import LiveApp, sign_in

NEW_NAME = "东营市测试新材料有限公司"


def shot(page: Any, screenshots: Path, name: str) -> None:
    """Save the viewport and check the page fits 1366 px without a horizontal scrollbar."""
    page.screenshot(path=str(screenshots / f"{name}.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"{name}: the page is {width}px wide"


def navigate(page: Any, target: Any) -> None:
    """Click something that loads a new page (a form post, a link) and wait for that page."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def field_error(page: Any, name: str) -> Any:
    return page.locator(f'label.field:has([name="{name}"]) .field-error')


def test_sign_in_with_a_token(page: Any, live_app: LiveApp, screenshots: Path) -> None:
    page.goto(live_app.url + "/ui/enterprises")
    assert "/ui/login" in page.url
    shot(page, screenshots, "login")
    page.fill("input[name=token]", "not-a-token")
    navigate(page, "button[type=submit]")
    assert "访问令牌：访问令牌无效或已被吊销" in page.inner_text(".field-error")
    page.fill("input[name=token]", live_app.admin_token)
    navigate(page, "button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/enterprises$"))
    [cookie] = [c for c in page.context.cookies() if c["name"] == "ld_token"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("ld_token") == -1
    shot(page, screenshots, "enterprises")
    page.select_option("select[name=county]", "广饶县")
    navigate(page, "form.filters button")
    rows = page.locator("table.table tbody tr")
    assert rows.count() >= 1
    assert all("广饶县" in rows.nth(i).inner_text() for i in range(rows.count()))
    page.goto(live_app.url + "/ui")
    assert page.inner_text("h1") == "工作台"
    assert "分类施策（主要类别）" in page.content()
    shot(page, screenshots, "dashboard")


def test_create_an_enterprise_through_the_form(
    page: Any, live_app: LiveApp, screenshots: Path
) -> None:
    sign_in(page, live_app, live_app.officer_token)
    navigate(page, "text=新建企业")
    page.wait_for_url(re.compile(r"/ui/enterprises/new$"))
    assert page.input_value("input[name=county]") == "广饶县"
    page.fill("input[name=name]", NEW_NAME)
    page.fill("input[name=industry_code]", "C2614")
    page.select_option("select[name=operating_status]", "partial")
    page.fill("input[name=capacity_utilization]", "45%")
    page.fill(
        "textarea[name=problems]", "银行抽贷5000万元，逾期债务6000万元，担保链代偿压力大，半停产"
    )
    page.fill("textarea[name=demands]", "希望引入战略投资者或产业资本，协调银行展期")
    page.fill('input[name="financials.total_assets"]', "-100")
    page.fill('input[name="financials.total_liabilities"]', "41000")
    page.fill('input[name="financials.overdue_debt"]', "6000")
    page.select_option('select[name="assets-0-type"]', "plant")
    page.fill('input[name="assets-0-description"]', "闲置厂房两栋")
    page.fill('input[name="assets-0-area_m2"]', "很大")
    navigate(page, "button[type=submit].primary")
    assert field_error(page, "financials.total_assets").inner_text() == "总资产（万元）：不能小于 0"
    area_error = page.locator('td:has([name="assets-0-area_m2"]) .field-error').inner_text()
    assert area_error == "资产1·面积（平方米）：须为数字"
    assert page.input_value("input[name=name]") == NEW_NAME  # the form keeps what was typed
    shot(page, screenshots, "enterprise_form_errors")

    page.fill('input[name="financials.total_assets"]', "52000")
    page.fill('input[name="assets-0-area_m2"]', "18000")
    navigate(page, "button[type=submit].primary")
    page.wait_for_url(re.compile(r"/ui/enterprises/\d+$"))
    assert page.inner_text("h1") == NEW_NAME
    assert "已创建企业" in page.inner_text(".flash")
    assert page.locator("#diagnosis .primary-cat b").inner_text()
    assert page.locator("#diagnosis .cat-row").count() >= 1
    assert page.locator("article.match").count() >= 1
    first = page.locator("article.match").first
    parts = len(STANDARD_REGISTRY.parts)  # one bar per part of the score, coverage included
    assert first.locator(".comp").count() == parts and first.locator(".reasons li").count() >= 1
    assert first.locator(".tag.role").inner_text()  # the partner's role (issue 14)
    shot(page, screenshots, "enterprise")
    page.locator("#matches").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "enterprise_matches.png"))


def test_the_diagnosis_shows_its_findings_and_what_to_ask_next(
    page: Any, live_app: LiveApp, screenshots: Path
) -> None:
    sign_in(page, live_app, live_app.officer_token)
    navigate(page, "text=新建企业")
    page.fill("input[name=name]", "东营市资料不全机械有限公司")
    page.fill("input[name=industry_code]", "C3412")
    page.fill(
        "textarea[name=problems]",
        "企业资不抵债，贷款已逾期，无对外担保；设备完好，老客户仍在下单。",
    )
    navigate(page, "button[type=submit].primary")
    page.wait_for_url(re.compile(r"/ui/enterprises/\d+$"))
    rows = page.locator("#diagnosis-findings tr.finding")
    assert rows.count() >= 6
    solvency = rows.filter(has_text="偿债能力").inner_text()
    assert "资不抵债" in solvency and "文字" in solvency and "「企业资不抵债」" in solvency
    guarantee = rows.filter(has_text="担保链风险").inner_text()
    assert "文字称无对外担保" in guarantee
    assert page.locator("#diagnosis-findings tr.src-unknown").count() >= 1
    missing = page.locator("#diagnosis-missing li")
    assert missing.count() >= 1
    assert any("可区分债务重组与破产重整" in t for t in missing.all_inner_texts())
    page.locator("#diagnosis").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "enterprise_findings.png"))


def test_review_a_match_and_follow_it_on_the_board(
    page: Any, live_app: LiveApp, screenshots: Path
) -> None:
    sign_in(page, live_app, live_app.admin_token)
    page.goto(live_app.url + "/ui/enterprises/1")
    first = page.locator("article.match").first
    partner = first.locator(".pname").inner_text()
    first.locator("input[name=note]").fill("已电话联系，对方有意向")
    navigate(page, first.locator("button[value=shortlisted]"))
    assert f"已将“{partner}”标记为“入选”" in page.inner_text(".flash.ok")
    card = page.locator("article.match", has_text=partner).first
    assert card.locator(".stage").inner_text() == "入选"

    navigate(page, card.locator("button[value=rejected]"))  # without the required note
    assert "说明：标记为“不合适”" in page.inner_text(".flash.error")

    page.goto(live_app.url + "/ui/pipeline")
    lane = page.locator("section.lane-shortlisted")
    assert partner in lane.inner_text()
    navigate(page, lane.locator("article.kcard", has_text=partner).locator("button[value=signed]"))
    assert partner in page.locator("section.lane-signed").inner_text()
    shot(page, screenshots, "pipeline")

    page.goto(live_app.url + "/ui")
    assert page.locator("svg.chart rect.col").count() == 1
    shot(page, screenshots, "dashboard_signed")


def _spreadsheet(path: Path) -> Path:
    labels = [c.label for c in ENTERPRISE_COLUMNS]
    book = Workbook()
    sheet = book.active
    sheet.title = "企业"
    sheet.append(labels)
    good = {"企业名称": "东营市导入测试有限公司", "县区": "东营区", "行业代码": "C3311"}
    bad = {"企业名称": "东营市坏行公司", "县区": "东营区", "职工人数": "很多"}
    for row in (good, bad):
        sheet.append([row.get(label, "") for label in labels])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_import_a_spreadsheet_with_an_error(
    page: Any, live_app: LiveApp, screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, live_app, live_app.admin_token)
    page.goto(live_app.url + "/ui/import")
    shot(page, screenshots, "import")
    form = page.locator("#import-enterprises")
    form.locator("input[type=file]").set_input_files(str(_spreadsheet(tmp_path / "名单.xlsx")))
    navigate(page, form.locator("button[value=check]"))
    page.wait_for_selector(".flash.error", timeout=60_000)  # after the progress page
    assert "未导入任何数据" in page.inner_text(".flash.error")
    row = page.locator("table.errors tbody tr").first
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == [
        "企业",
        "3",
        "职工人数",
        "须为整数",
    ]
    shot(page, screenshots, "import_errors")
    navigate(page, "text=仅导入有效的 1 行")
    page.wait_for_selector(".flash.ok", timeout=60_000)
    assert "已导入 1 行" in page.inner_text(".flash.ok")
    page.goto(live_app.url + "/ui/enterprises?q=导入测试")
    assert "东营市导入测试有限公司" in page.inner_text("table.table")
    page.goto(live_app.url + "/ui/enterprises?q=坏行公司")
    assert "没有符合条件的企业" in page.inner_text("table.table")


def test_rescore_shows_live_progress(page: Any, live_app: LiveApp, screenshots: Path) -> None:
    sign_in(page, live_app, live_app.admin_token)
    page.goto(live_app.url + "/ui/enterprises/2")
    navigate(page, "button[data-rescore]")
    page.wait_for_url(re.compile(r"job=\d+"))
    box = page.locator(".job")
    assert "重新评分任务" in box.inner_text()
    page.wait_for_selector(".job.done", timeout=120_000)
    assert page.inner_text(".job-state") == "已完成"
    done, total = page.inner_text(".job-count").split(" / ")
    assert done == total == "1"
    assert page.locator(".job-cancel").is_hidden()  # nothing left to cancel
    shot(page, screenshots, "rescore_done")
    page.wait_for_url(re.compile(r"/ui/enterprises/2$"), timeout=10_000)  # reloads itself


def test_viewer_sees_no_write_buttons(page: Any, live_app: LiveApp, screenshots: Path) -> None:
    sign_in(page, live_app, live_app.viewer_token)
    page.goto(live_app.url + "/ui/enterprises/1")
    assert page.locator("article.match").count() >= 1
    for selector in ("form[action*=review]", "button[data-rescore]", "text=编辑画像", "text=改判"):
        assert page.locator(selector).count() == 0, selector
    page.goto(live_app.url + "/ui/partners")
    assert page.locator("text=新建合作主体").count() == 0
    shot(page, screenshots, "partners")
    page.goto(live_app.url + "/ui/enterprises/new")
    assert page.inner_text("h1") == "无权访问"


def test_partner_form_errors(page: Any, live_app: LiveApp, screenshots: Path) -> None:
    sign_in(page, live_app, live_app.admin_token)
    page.goto(live_app.url + "/ui/partners/new")
    page.select_option("select[name=kind]", "amc")
    page.fill("input[name=ticket_min]", "900")
    page.fill("input[name=ticket_max]", "100")
    page.fill("input[name=industries]", "C29、X99")
    navigate(page, "form.form button.primary")
    assert field_error(page, "name").inner_text() == "合作主体名称：必填"
    assert "规模上限（万元）：" in field_error(page, "ticket_max").inner_text()
    shot(page, screenshots, "partner_form_errors")
    page.fill("input[name=name]", "山东测试资产管理有限公司")
    page.fill("input[name=ticket_max]", "90000")
    navigate(page, "form.form button.primary")
    assert "投资/经营行业：" in field_error(page, "industries").inner_text()
    page.fill("input[name=industries]", "C29、C26")
    page.check("input[name=treatment_types][value=debt_restructuring]")
    navigate(page, "form.form button.primary")
    page.wait_for_url(re.compile(r"/ui/partners/\d+$"))
    assert "债务重组" in page.inner_text("main")
    shot(page, screenshots, "partner")
