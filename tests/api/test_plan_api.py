"""The plan (一企一策) through the HTTP API: measures, versions, progress, overdue, category."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Principal
from api.errors import PreconditionFailed
from api.routes.plan import get_today
from api.services import plan as service
from api.services.enterprises import create_enterprise as create_enterprise_row
from api.services.plan import DEPARTMENT_STATUS_ONLY, MATCH_OF_OTHER
from api.services.plan_board import MeasureTally, local_today, measure_summary
from matcher.industry import IndustryTable
from models.consultation_schemas import MeasureCreate, MeasureUpdate
from models.schemas import EnterpriseCreate
from tests.api.case_helpers import add_measure, auth, department_token, invite, with_departments
from tests.factories import create_enterprise, issue_token

TODAY = date(2026, 6, 15)
ADMIN = Principal(name="市局", role="admin")
GUANGRAO = Principal(name="广饶县招商局", role="officer", counties=("广饶县",))


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Iterator[TestClient]:
    """The client with the default departments and the clock at TODAY (Beijing time)."""
    with_departments(engine)
    client.app.dependency_overrides[get_today] = lambda: TODAY  # type: ignore[attr-defined]
    yield client
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def test_a_measure_is_created_changed_with_if_match_and_followed(api: TestClient) -> None:
    enterprise = create_enterprise(api)["id"]
    created = api.post(
        f"/enterprises/{enterprise}/plan/measures",
        json={"title": "协调债权银行续贷展期", "department": "债权银行", "due_date": "2026-07-31"},
    )
    assert created.status_code == 201, created.text
    measure = created.json()
    assert (measure["status"], measure["status_label"], measure["version"]) == (
        "not_started",
        "未启动",
        1,
    )
    assert created.headers["etag"] == '"1"'
    case = api.get(f"/enterprises/{enterprise}/case").json()
    assert [i["department"] for i in case["invitations"]] == ["债权银行"]  # invited as owner

    path = f"/measures/{measure['id']}"
    moved = api.patch(path, json={"status": "in_progress"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200 and moved.json()["version"] == 2
    assert moved.headers["etag"] == '"2"'
    stale = api.patch(path, json={"title": "另一个标题"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.get(path).json()["title"] == "协调债权银行续贷展期"  # the stale edit changed nothing
    # No If-Match: based on the version read now (old clients keep working).
    unversioned = api.patch(path, json={"title": "协调债权银行续贷展期"})
    assert unversioned.status_code == 200 and unversioned.json()["version"] == 3
    done = api.patch(path, json={"status": "done", "due_date": "2026-08-15", "version": 3})
    assert done.status_code == 200
    assert done.json()["completed_at"] is not None and done.json()["due_date"] == "2026-08-15"

    for note in ("已召开银企协调会", "银行同意展期一年"):
        assert api.post(f"{path}/progress", json={"note": note}).status_code == 201
    plan = api.get(f"/enterprises/{enterprise}/plan").json()
    [shown] = plan["measures"]
    assert [p["note"] for p in shown["progress"]] == ["已召开银企协调会", "银行同意展期一年"]
    assert plan["counts"] == {"not_started": 0, "in_progress": 0, "done": 1, "cancelled": 0}
    audit = api.get("/audit", params={"entity": "measure", "entity_id": measure["id"]}).json()
    assert [e["action"] for e in audit["data"]] == [
        "progress",
        "progress",
        "update",
        "update",
        "update",
        "create",
    ]
    assert audit["data"][2]["changes"]["status"] == ["in_progress", "done"]


def test_an_edit_based_on_a_version_overtaken_in_between_is_refused(
    engine: Engine, industries: IndustryTable
) -> None:
    """Two editors read version 1; the second to write gets 412, not a silent overwrite.

    The second editor's own read still says version 1, so only the compare-and-swap
    in the UPDATE itself can notice that the first has written meanwhile.
    """
    with_departments(engine)
    officer = Principal(name="甲", role="admin")
    with Session(engine, expire_on_commit=False) as setup:
        row = create_enterprise_row(
            session=setup,
            data=EnterpriseCreate(name="并发测试"),
            industries=industries,
            principal=officer,
        )
        measure = service.add_measure(
            session=setup,
            enterprise_id=row.id or 0,
            data=MeasureCreate(title="措施", department="税务局", due_date=date(2026, 7, 1)),
            principal=officer,
        )
        setup.commit()
    with Session(engine) as first, Session(engine) as second:
        # Held, so each session keeps the version it read (the identity map is weak).
        read_first = service.get_measure(
            session=first, measure_id=measure.id or 0, principal=officer
        )
        read_second = service.get_measure(
            session=second, measure_id=measure.id or 0, principal=officer
        )
        assert read_first.version == read_second.version == 1
        service.update_measure(
            session=second,
            measure_id=measure.id or 0,
            data=MeasureUpdate(title="乙的标题"),
            if_match=frozenset({1}),
            principal=officer,
        )
        second.commit()
        with pytest.raises(PreconditionFailed):
            service.update_measure(
                session=first,
                measure_id=measure.id or 0,
                data=MeasureUpdate(title="甲的标题"),
                if_match=frozenset({1}),
                principal=officer,
            )
        assert read_first.version == 1  # its read is stale, yet the write was refused
        first.rollback()
    with Session(engine) as check:
        reread = service.get_measure(session=check, measure_id=measure.id or 0, principal=officer)
        assert (reread.title, reread.version) == ("乙的标题", 2)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"department": "债权银行", "due_date": "2026-07-01"}, ["body", "title"]),
        ({"title": "措施", "department": "债权银行", "due_date": "明天"}, ["body", "due_date"]),
        (
            {"title": "措施", "department": "债权银行", "due_date": "2026-02-30"},
            ["body", "due_date"],
        ),
        (
            {"title": "措施", "department": "不存在的局", "due_date": "2026-07-01"},
            ["body", "department"],
        ),
        (
            {"title": "措施", "department": 0, "due_date": "2026-07-01"},
            ["body", "department"],
        ),
        (
            {"title": "措施", "department": "税务局", "due_date": "2026-07-01", "match_id": 99999},
            ["body", "match_id"],
        ),
        ({"title": " ", "department": "税务局", "due_date": "2026-07-01"}, ["body", "title"]),
    ],
)
def test_bad_measures_are_422_naming_the_field(
    api: TestClient, body: dict[str, object], loc: list[str]
) -> None:
    enterprise = create_enterprise(api)["id"]
    response = api.post(f"/enterprises/{enterprise}/plan/measures", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == loc  # a union adds its branch after
    assert api.get(f"/enterprises/{enterprise}/plan").json()["measures"] == []


def test_a_measure_may_only_name_a_match_of_its_own_enterprise(
    seeded: TestClient, engine: Engine
) -> None:
    with_departments(engine)
    [theirs] = seeded.get("/enterprises/2/matches", params={"limit": 1}).json()["items"]
    body = {"title": "对接", "department": "招商局（投资促进局）", "due_date": "2030-01-01"}
    refused = seeded.post(
        "/enterprises/1/plan/measures", json={**body, "match_id": theirs["match_id"]}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == MATCH_OF_OTHER.format(
        id=theirs["match_id"], enterprise=1
    )
    [ours] = seeded.get("/enterprises/1/matches", params={"limit": 1}).json()["items"]
    seeded.post(
        f"/matches/{ours['match_id']}/review", json={"status": "contacted", "note": "已联系"}
    )
    measure = add_measure(seeded, 1, **body, match_id=ours["match_id"])
    assert measure["partner_name"] == ours["partner_name"]
    assert measure["pipeline_status"] == "contacted"


def test_plan_answers_401_403_404(api: TestClient) -> None:
    enterprise = create_enterprise(api, county="广饶县")["id"]
    measure = add_measure(api, enterprise)
    body = {"title": "措施", "department": "税务局", "due_date": "2026-07-01"}
    no_token = {"Authorization": ""}
    for method, path in [
        ("post", f"/enterprises/{enterprise}/plan/measures"),
        ("get", f"/enterprises/{enterprise}/plan"),
        ("patch", f"/measures/{measure['id']}"),
        ("post", f"/measures/{measure['id']}/progress"),
        ("get", "/measures/overdue"),
        ("get", f"/enterprises/{enterprise}/report.docx"),
    ]:
        assert api.request(method, path, json=body, headers=no_token).status_code == 401, path
    viewer = auth(issue_token(api, "viewer"))
    assert (
        api.post(f"/enterprises/{enterprise}/plan/measures", json=body, headers=viewer).status_code
        == 403
    )
    assert api.get(f"/enterprises/{enterprise}/plan", headers=viewer).status_code == 200
    patch = api.patch(
        f"/measures/{measure['id']}", json={"status": "done", "version": 1}, headers=viewer
    )
    assert patch.status_code == 403
    elsewhere = auth(issue_token(api, "officer", ["利津县"]))
    assert api.get(f"/enterprises/{enterprise}/plan", headers=elsewhere).status_code == 403
    assert api.get(f"/measures/{measure['id']}", headers=elsewhere).status_code == 403
    assert api.post("/enterprises/99999/plan/measures", json=body).status_code == 404
    assert api.get("/enterprises/99999/plan").status_code == 404
    assert api.patch("/measures/99999", json={"status": "done", "version": 1}).status_code == 404
    assert api.post("/measures/99999/progress", json={"note": "x"}).status_code == 404
    assert api.post(f"/measures/{measure['id']}/progress", json={"note": ""}).status_code == 422
    bad_status = api.patch(f"/measures/{measure['id']}", json={"status": "finished", "version": 1})
    assert bad_status.status_code == 422
    assert (
        api.patch(
            f"/measures/{measure['id']}", json={"status": "done"}, headers={"If-Match": "abc"}
        ).status_code
        == 412
    )


def test_overdue_measures_are_open_ones_past_their_deadline_within_scope(api: TestClient) -> None:
    here = create_enterprise(api, county="广饶县", name="广饶企业")["id"]
    there = create_enterprise(api, county="利津县", name="利津企业")["id"]
    late = add_measure(api, here, title="逾期未启动", due_date="2026-06-14")
    add_measure(api, here, title="今天到期", due_date="2026-06-15")
    finished = add_measure(api, here, title="逾期但已完成", due_date="2026-05-01")
    api.patch(f"/measures/{finished['id']}", json={"status": "done", "version": 1})
    cancelled = add_measure(api, here, title="已取消", due_date="2026-05-01")
    api.patch(f"/measures/{cancelled['id']}", json={"status": "cancelled", "version": 1})
    running = add_measure(
        api, there, title="推进中逾期", department="税务局", due_date="2026-01-31"
    )
    api.patch(f"/measures/{running['id']}", json={"status": "in_progress", "version": 1})

    everyone = api.get("/measures/overdue").json()
    assert [m["title"] for m in everyone["data"]] == ["推进中逾期", "逾期未启动"]  # oldest first
    assert all(m["overdue"] for m in everyone["data"])
    county = auth(issue_token(api, "officer", ["广饶县"]))
    assert [m["id"] for m in api.get("/measures/overdue", headers=county).json()["data"]] == [
        late["id"]
    ]
    by_owner = api.get("/measures/overdue", params={"department": "税务局"}).json()
    assert [m["id"] for m in by_owner["data"]] == [running["id"]]
    by_county = api.get("/measures/overdue", params={"county": "广饶县"}).json()
    assert by_county["count"] == 1
    second = api.get("/measures/overdue", params={"offset": 1, "limit": 1}).json()
    assert [m["title"] for m in second["data"]] == ["逾期未启动"] and second["count"] == 2
    assert api.get("/measures/overdue", params={"department": "无此部门"}).status_code == 422
    plan = api.get(f"/enterprises/{here}/plan").json()
    assert plan["overdue"] == 1


def test_the_dashboard_counts_open_and_overdue_measures_by_department_and_county(
    api: TestClient, engine: Engine
) -> None:
    here = create_enterprise(api, county="广饶县")["id"]
    there = create_enterprise(api, county="利津县")["id"]
    add_measure(api, here, department="债权银行", due_date="2026-06-01")
    add_measure(api, here, department="债权银行", due_date="2026-12-31")
    add_measure(api, there, department="税务局", due_date="2026-06-01")
    finished = add_measure(api, there, department="税务局", due_date="2026-06-01")
    api.patch(f"/measures/{finished['id']}", json={"status": "done", "version": 1})
    with Session(engine) as session:
        everyone = measure_summary(session=session, principal=ADMIN, today=TODAY)
        county = measure_summary(session=session, principal=GUANGRAO, today=TODAY)
    assert (everyone.open, everyone.overdue) == (3, 2)
    assert everyone.by_department == [
        MeasureTally("债权银行", 2, 1),
        MeasureTally("税务局", 1, 1),
    ]
    assert everyone.by_county == [MeasureTally("广饶县", 2, 1), MeasureTally("利津县", 1, 1)]
    assert county.by_county == [MeasureTally("广饶县", 2, 1)] and county.open == 2


def test_a_department_follows_its_own_measures_only(api: TestClient) -> None:
    enterprise = create_enterprise(api)["id"]
    bank_measure = add_measure(api, enterprise, department="债权银行", due_date="2026-06-01")
    tax_measure = add_measure(api, enterprise, title="办理延期缴税", department="税务局")
    other = create_enterprise(api, name="别家企业")["id"]
    add_measure(api, other, department="人民法院", due_date="2026-06-01")
    bank = auth(department_token(api, "债权银行", name="某银行联络员"))

    assert api.get(f"/enterprises/{enterprise}/plan", headers=bank).status_code == 200
    assert api.get(f"/enterprises/{other}/plan", headers=bank).status_code == 403
    overdue = api.get("/measures/overdue", headers=bank).json()
    assert [m["id"] for m in overdue["data"]] == [bank_measure["id"]]
    path = f"/measures/{bank_measure['id']}"
    moved = api.patch(path, json={"status": "in_progress"}, headers={**bank, "If-Match": '"1"'})
    assert moved.status_code == 200
    assert (
        api.post(f"{path}/progress", json={"note": "已受理展期申请"}, headers=bank).status_code
        == 201
    )
    retitled = api.patch(path, json={"title": "改标题", "version": 2}, headers=bank)
    assert retitled.status_code == 403 and retitled.json()["detail"] == DEPARTMENT_STATUS_ONLY
    theirs = f"/measures/{tax_measure['id']}"
    assert api.patch(theirs, json={"status": "done", "version": 1}, headers=bank).status_code == 403
    assert api.post(f"{theirs}/progress", json={"note": "x"}, headers=bank).status_code == 403
    create = {"title": "x", "department": "债权银行", "due_date": "2026-07-01"}
    assert (
        api.post(f"/enterprises/{enterprise}/plan/measures", json=create, headers=bank).status_code
        == 403
    )


def test_the_plan_category_is_decided_from_a_named_source(api: TestClient) -> None:
    enterprise = create_enterprise(api)["id"]
    path = f"/enterprises/{enterprise}/plan/category"
    assert api.put(path, json={"source": "diagnosis"}).status_code == 422  # not diagnosed yet
    engine_primary = api.post(f"/enterprises/{enterprise}/diagnosis").json()["primary"]
    from_engine = api.put(path, json={"source": "diagnosis"})
    assert from_engine.status_code == 200 and from_engine.json()["category"] == engine_primary
    assert api.put(path, json={"source": "override"}).json()["detail"][0]["loc"] == [
        "body",
        "source",
    ]
    api.post(
        f"/enterprises/{enterprise}/diagnosis/override",
        json={"primary": "asset_revitalization", "reason": "闲置厂房可盘活"},
    )
    assert api.put(path, json={"source": "override"}).json()["category"] == "asset_revitalization"
    invite(api, enterprise, "人民法院")
    silent = api.post(
        f"/enterprises/{enterprise}/opinions", json={"department": "人民法院", "opinion": "无意见"}
    )
    court = api.post(
        f"/enterprises/{enterprise}/opinions",
        json={
            "department": "人民法院",
            "opinion": "建议预重整",
            "category": "judicial_reorganization",
        },
    )
    assert api.put(path, json={"source": "opinion"}).json()["detail"][0]["loc"] == [
        "body",
        "opinion_id",
    ]
    no_category = api.put(path, json={"source": "opinion", "opinion_id": silent.json()["id"]})
    assert no_category.status_code == 422
    chosen = api.put(
        path, json={"source": "opinion", "opinion_id": court.json()["id"], "note": "会诊决定"}
    )
    assert chosen.json()["category"] == "judicial_reorganization"
    assert chosen.json()["source_label"] == "部门意见"
    plan = api.get(f"/enterprises/{enterprise}/plan").json()
    assert plan["category"]["opinion_id"] == court.json()["id"]
    assert [d["source"] for d in plan["decisions"]] == ["opinion", "override", "diagnosis"]
    viewer = auth(issue_token(api, "viewer"))
    assert api.put(path, json={"source": "diagnosis"}, headers=viewer).status_code == 403


def test_local_today_is_the_date_in_beijing() -> None:
    assert local_today(datetime(2026, 6, 14, 16, 30, tzinfo=UTC)) == date(2026, 6, 15)
    assert local_today(datetime(2026, 6, 14, 15, 59, tzinfo=UTC)) == date(2026, 6, 14)
