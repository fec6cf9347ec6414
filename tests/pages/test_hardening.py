"""The pages in a real Chromium under the Content-Security-Policy, and two officers at once."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.pages.conftest import VIEWPORT, LiveApp, sign_in
from tests.pages.test_browser import navigate

CONFLICT_ENTERPRISE = "广饶县翊川纸业有限公司"


@pytest.fixture
def csp_watch(page: Any) -> Iterator[list[str]]:
    """Every console message the browser logs about the Content-Security-Policy."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    yield violations


def test_the_pages_keep_to_the_content_security_policy(
    page: Any, live_app: LiveApp, csp_watch: list[str]
) -> None:
    sign_in(page, live_app, live_app.admin_token)
    for path in (
        "/ui",
        "/ui/enterprises",
        "/ui/enterprises/1",
        "/ui/enterprises/1/edit",
        "/ui/enterprises/new",
        "/ui/pipeline",
        "/ui/partners",
        "/ui/partners/1",
        "/ui/partners/1/edit",
        "/ui/import",
        "/ui/enterprises/99999",
    ):
        response = page.goto(live_app.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY"
    # Bars get their length from classes, not inline styles: they are drawn.
    page.goto(live_app.url + "/ui/enterprises/1")
    widths = page.eval_on_selector_all(
        ".comp-fill", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert widths and max(widths) > 0
    page.goto(live_app.url + "/ui")
    widths = page.eval_on_selector_all(
        ".hbar-fill", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert widths and max(widths) > 0
    # Behaviour that used to be inline script still works: the board's county filter,
    # the error page's back link.
    page.goto(live_app.url + "/ui/pipeline")
    with page.expect_navigation():
        page.select_option("select[name=county]", "广饶县")
    assert "county=" in page.url
    page.goto(live_app.url + "/ui/enterprises")
    page.goto(live_app.url + "/ui/enterprises/99999")
    with page.expect_navigation():
        page.click("a[data-back]")
    assert page.url.endswith("/ui/enterprises")
    assert csp_watch == []


def _enterprise_id(live_app: LiveApp, name: str) -> int:
    query = urllib.parse.urlencode({"q": name})
    request = urllib.request.Request(
        f"{live_app.url}/enterprises?{query}",
        headers={"Authorization": f"Bearer {live_app.admin_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        [found] = json.loads(response.read())["data"]
    return int(found["id"])


def test_two_officers_edit_one_enterprise(browser: Any, live_app: LiveApp) -> None:
    enterprise_id = _enterprise_id(live_app, CONFLICT_ENTERPRISE)
    edit = f"{live_app.url}/ui/enterprises/{enterprise_id}/edit"
    contexts = [browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        sign_in(first, live_app, live_app.admin_token)
        sign_in(second, live_app, live_app.officer_token)
        first.goto(edit)
        second.goto(edit)

        first.fill("textarea[name=demands]", "甲：协调银行续贷三千万元")
        first.fill('input[name="financials.overdue_debt"]', "1200")
        navigate(first, "button[type=submit].primary")
        assert "已保存" in first.inner_text(".flash")

        second.fill("textarea[name=problems]", "乙：核实后的主要困难")
        second.fill('input[name="financials.overdue_debt"]', "1800")
        navigate(second, "button[type=submit].primary")
        notice = second.inner_text(".flash.conflict")
        assert "已被他人修改" in notice and "本次未保存" in notice
        assert "他人已改为“1200”，您填写的是“1800”" in notice
        assert second.locator(".flash.conflict a", has_text="重新载入").count() == 1
        # The other officer's change is in the form; one's own changes are kept too.
        assert second.input_value("textarea[name=demands]") == "甲：协调银行续贷三千万元"
        assert second.input_value("textarea[name=problems]") == "乙：核实后的主要困难"
        assert second.input_value('input[name="financials.overdue_debt"]') == "1800"

        second.fill('input[name="financials.overdue_debt"]', "1200")
        navigate(second, "button[type=submit].primary")
        assert "已保存" in second.inner_text(".flash")
        second.wait_for_url(re.compile(rf"/ui/enterprises/{enterprise_id}$"))
        profile = second.inner_text("main")
        assert "甲：协调银行续贷三千万元" in profile and "乙：核实后的主要困难" in profile
    finally:
        for context in contexts:
            context.close()
