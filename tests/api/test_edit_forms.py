"""The officers' edit forms under concurrent editing: nothing another officer saved is lost.

Each form is read from the served page and posted back as a browser would
(tests/forms.py), so untouched fields arrive exactly as a browser sends them.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session

from api.pages.edits import FORM_EXPIRED, NO_CHANGE
from models.tables import Enterprise, Partner
from tests.conftest import ADMIN_TOKEN
from tests.forms import form_fields

EDIT = "/ui/enterprises/1/edit"


def sign_in(client: TestClient) -> TestClient:
    client.headers.pop("Authorization", None)
    client.headers["Origin"] = "http://testserver"
    assert client.post("/ui/login", data={"token": ADMIN_TOKEN}).status_code == 200
    return client


def load(client: TestClient, url: str = EDIT) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    return form_fields(page.text)


def save(client: TestClient, fields: dict[str, Any], url: str = EDIT) -> Any:
    return client.post(url, data=fields, follow_redirects=False)


def stored(engine: Engine, model: Any = Enterprise, row_id: int = 1) -> Any:
    with Session(engine) as session:
        return session.get(model, row_id)


def test_saving_a_stale_form_keeps_the_other_officers_change(
    seeded: TestClient, engine: Engine
) -> None:
    client = sign_in(seeded)
    first, second = load(client), load(client)
    first["demands"] = "甲：协调银行续贷"
    assert save(client, first).status_code == 303
    second["problems"] = "乙：核实后的主要困难"
    refused = save(client, second)
    assert refused.status_code == 409
    assert "已被他人修改" in refused.text and "本次未保存" in refused.text
    row = stored(engine)
    assert (row.demands, row.version) == ("甲：协调银行续贷", 2)
    assert row.problems != "乙：核实后的主要困难"
    # The form came back with the other officer's change and one's own, at the new version.
    again = form_fields(refused.text)
    assert again["demands"] == "甲：协调银行续贷".replace("\n", "\r\n")
    assert again["problems"] == "乙：核实后的主要困难"
    assert again["_version"] == "2"
    assert save(client, again).status_code == 303
    row = stored(engine)
    assert (row.demands, row.problems, row.version) == (
        "甲：协调银行续贷",
        "乙：核实后的主要困难",
        3,
    )


def test_a_field_both_changed_shows_both_values(seeded: TestClient, engine: Engine) -> None:
    client = sign_in(seeded)
    first, second = load(client), load(client)
    first["financials.overdue_debt"] = "1500"
    save(client, first)
    second["financials.overdue_debt"] = "2600"
    refused = save(client, second)
    assert refused.status_code == 409
    assert "他人已改为“1500”，您填写的是“2600”" in refused.text
    assert "1 处您和他人都改了" in refused.text
    assert stored(engine).overdue_debt == 1500
    assert form_fields(refused.text)["financials.overdue_debt"] == "2600"


def test_an_untouched_form_saves_nothing(seeded: TestClient, engine: Engine) -> None:
    client = sign_in(seeded)
    before = stored(engine)
    response = save(client, load(client))
    assert response.status_code == 303
    assert NO_CHANGE in client.get(response.headers["location"]).text
    after = stored(engine)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert after.model_dump() == before.model_dump()


def test_only_changed_fields_are_checked_and_written(seeded: TestClient, engine: Engine) -> None:
    # A code the old check (last character only) accepted and the full check refuses.
    legacy = "91370523MA3C0000X0"
    with Session(engine) as session:
        session.exec(update(Enterprise).where(Enterprise.id == 1).values(credit_code=legacy))  # type: ignore[call-overload]
        session.commit()
    client = sign_in(seeded)
    fields = load(client)
    fields["employees"] = "88"
    assert save(client, fields).status_code == 303
    row = stored(engine)
    assert (row.employees, row.credit_code) == (88, legacy)


def test_an_asset_changed_or_removed_meanwhile(seeded: TestClient, engine: Engine) -> None:
    client = sign_in(seeded)
    first, second = load(client), load(client)
    first["assets-0-description"] = "甲改的资产描述"
    first["assets-1-remove"] = "1"
    assert save(client, first).status_code == 303
    second["assets-0-description"] = "乙改的资产描述"
    second["assets-1-location"] = "乙补充的位置"
    refused = save(client, second)
    assert refused.status_code == 409
    assert "他人已改为“甲改的资产描述”，您填写的是“乙改的资产描述”" in refused.text
    assert "已被他人删除" in refused.text
    assert "甲改的资产描述" in {a.description for a in _assets(engine)}


def _assets(engine: Engine) -> list[Any]:
    from sqlmodel import select

    from models.tables import Asset

    with Session(engine) as session:
        return list(session.exec(select(Asset).where(Asset.enterprise_id == 1)).all())


def test_a_form_without_its_version_saves_nothing(seeded: TestClient, engine: Engine) -> None:
    client = sign_in(seeded)
    fields = load(client)
    del fields["_version"], fields["_base"]
    fields["demands"] = "没有版本的提交"
    refused = save(client, fields)
    assert refused.status_code == 409 and FORM_EXPIRED in refused.text
    assert stored(engine).demands != "没有版本的提交"


def test_partner_form_conflict(seeded: TestClient, engine: Engine) -> None:
    client = sign_in(seeded)
    url = "/ui/partners/2/edit"
    first, second = load(client, url), load(client, url)
    first["interests"] = "甲：东营市化工企业"
    assert save(client, first, url).status_code == 303
    second["ticket_min"] = "77"
    refused = save(client, second, url)
    assert refused.status_code == 409 and "该合作主体在您编辑期间已被他人修改" in refused.text
    partner = stored(engine, Partner, 2)
    assert partner.interests == "甲：东营市化工企业" and partner.ticket_min != 77
    assert save(client, form_fields(refused.text), url).status_code == 303
    partner = stored(engine, Partner, 2)
    assert (partner.interests, partner.ticket_min) == ("甲：东营市化工企业", 77)
