"""The matcher config page in a real Chromium: versions, their comparison, activate, roll back.

Admins only: an officer has neither the menu entry nor the page.  The candidate
is stored in the live app's database as the learner stores one; learning itself
(from reviews through the service) is tested in tests/api/test_matcher_configs.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.config import FIXTURES_DIR
from matcher.matching.config import MatcherConfig
from matcher.matching.learning_data import Overlay
from models.config_tables import MatcherConfigVersion
from models.db import make_engine, session_scope
from tests.pages.conftest import LiveApp, sign_in
from tests.pages.test_browser import navigate, shot

METRICS = {
    "overall": {
        "enterprises": 4,
        "ndcg_active": 0.61,
        "ndcg_candidate": 0.7,
        "delta": 0.09,
        "rejected_top3_active": 2,
        "rejected_top3_candidate": 1,
    },
    "relief": {
        "enterprises": 4,
        "ndcg_active": 0.61,
        "ndcg_candidate": 0.7,
        "delta": 0.09,
        "rejected_top3_active": 2,
        "rejected_top3_candidate": 1,
    },
}


def store_candidate(live_app: LiveApp) -> str:
    base = MatcherConfig.from_toml(FIXTURES_DIR / "matcher_config.toml")
    overlay = Overlay.of(base)
    overlay.levels["region"]["county"] = 1.2
    version = "v-page"
    engine = make_engine(f"sqlite:///{live_app.data_dir / 'pages.db'}")
    with session_scope(engine) as session:
        session.add(
            MatcherConfigVersion(
                version=version,
                overlay=overlay.to_dict(),
                base_hash=base.config_hash(),
                config_hash=overlay.apply(base, f"{base.version}+{version}").config_hash(),
                data={
                    "decisions": 40,
                    "pairs": 60,
                    "enterprises": 8,
                    "hash": "0123456789abcdef",
                    "from": "2026-11-01T00:00:00",
                    "to": "2026-11-20T00:00:00",
                },
                held_out={"decisions": 12, "pairs": 20, "enterprises": 4},
                metrics=METRICS,
                compared_with="base",
                created_by="admin:测试",
            )
        )
    engine.dispose()
    return version


def test_admin_compares_activates_and_rolls_back(
    page: Any, live_app: LiveApp, screenshots: Path
) -> None:
    version = store_candidate(live_app)
    sign_in(page, live_app, live_app.admin_token)
    navigate(page, 'nav a[href="/ui/configs"]')
    card = page.locator(f'section.config[data-version="{version}"]')
    assert card.locator("[data-active]").count() == 0
    row = card.locator('tr[data-group="relief"]').inner_text()
    assert "纾困" in row and "0.610" in row and "0.700" in row and "+0.090" in row
    assert "40 条审核决策" in card.inner_text()
    base = page.locator('section.config[data-version="base"]')
    assert base.locator("[data-active]").count() == 1
    assert base.locator("[data-activate]").count() == 0  # the active one has no button
    shot(page, screenshots, "matcher_configs")

    navigate(page, f'[data-activate="{version}"]')
    assert f"已启用 {version}" in page.inner_text(".flash")
    assert page.locator(f'section.config[data-version="{version}"] [data-active]').count() == 1

    navigate(page, '[data-activate="base"]')
    assert "已启用 base" in page.inner_text(".flash")
    assert page.locator('section.config[data-version="base"] [data-active]').count() == 1

    # While the learner works (a minute with many decisions), the button says so.
    page.evaluate(
        "document.querySelector('[data-learn]').form"
        ".addEventListener('submit', (e) => e.preventDefault())"
    )
    page.locator("[data-learn]").click()
    page.wait_for_function("document.querySelector('[data-learn]').disabled")
    assert page.inner_text("[data-learn]").startswith("正在学习")
    page.reload()
    navigate(page, "[data-learn]")  # the demo data has too few decisions: the count, no config
    assert "至少需要 30 条" in page.inner_text("main")


def test_officers_have_no_config_page(page: Any, live_app: LiveApp) -> None:
    sign_in(page, live_app, live_app.officer_token)
    assert page.locator('nav a[href="/ui/configs"]').count() == 0
    response = page.goto(live_app.url + "/ui/configs")
    assert response.status == 403


def test_dashboard_says_what_the_decisions_say(page: Any, live_app: LiveApp) -> None:
    sign_in(page, live_app, live_app.admin_token)
    section = page.locator("#decisions")
    assert "决策反馈" in section.inner_text()
    assert "落地项目中引擎前五名的占比" in section.inner_text()
