"""Issue 14 through the route: roles on each result, the engagement matrix and the
per-treatment weights in the stored levels, and the fit floor (`qualified`,
`include_weak`)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from matcher.matching.config import MatcherConfig
from matcher.matching.roles import ROLES
from tests.factories import enterprise_payload, make_credit_code, partner_payload


def _override(client: TestClient, enterprise_id: int, primary: str) -> None:
    assert client.post(f"/enterprises/{enterprise_id}/diagnosis").status_code == 200
    response = client.post(
        f"/enterprises/{enterprise_id}/diagnosis/override",
        json={"primary": primary, "reason": "会商后改判"},
    )
    assert response.status_code == 200, response.text


def _add(client: TestClient, **overrides: object) -> int:
    body = partner_payload(credit_code=make_credit_code("370500"), **overrides)
    response = client.post("/partners", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_every_result_says_its_role_and_how_many_qualified(seeded: TestClient) -> None:
    body = seeded.get("/enterprises/1/matches", params={"limit": 100}).json()
    items = body["items"]
    assert items
    assert isinstance(body["qualified"], int) and body["qualified"] >= len(items)
    for item in items:
        assert item["role"] in ROLES and item["role_title"] == ROLES[item["role"]]
        assert item["weak"] is False
        assert "role" in item["levels"] and "coverage" in item["components"]


def test_weak_results_only_on_request_and_marked(seeded: TestClient) -> None:
    floor = MatcherConfig().fit_floor
    plain = seeded.get("/enterprises/1/matches", params={"limit": 100}).json()
    weak = seeded.get("/enterprises/1/matches", params={"limit": 100, "include_weak": True}).json()
    assert weak["qualified"] == plain["qualified"]
    strong = [i for i in weak["items"] if not i["weak"]]
    marked = [i for i in weak["items"] if i["weak"]]
    assert [i["partner_id"] for i in strong] == [i["partner_id"] for i in plain["items"]]
    assert marked, "the demo pool has partners below the fit floor"
    for item in marked:
        assert item["reasons"][0].startswith("不建议")
        assert item["score"] - item["components"]["coverage"] < floor
    # Weak ones come after every recommendation.
    flags = [i["weak"] for i in weak["items"]]
    assert flags == sorted(flags)


def test_matrix_and_treatment_weights_reach_the_route(seeded: TestClient) -> None:
    enterprise = seeded.get("/enterprises/1").json()
    code = enterprise["industry_code"]
    buyer = _add(
        seeded,
        name="某产业集团有限公司",
        kind="private_leader",
        industries=[code],
        capabilities="行业龙头，整合同业产能。",
        interests="并购同行业企业",
        treatment_types=["merger_restructuring"],
        preferred_regions=[],
        ticket_min=None,
        ticket_max=None,
    )
    _override(seeded, 1, "judicial_reorganization")
    reorg = {
        i["partner_id"]: i
        for i in seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    }
    assert buyer in reorg, "an industrial buyer doing mergers is a reorganisation candidate"
    assert reorg[buyer]["levels"]["treatment"] == "natural"
    assert reorg[buyer]["role"] == "industrial" and reorg[buyer]["levels"]["role"] == "lead"
    assert any("重整投资人" in r for r in reorg[buyer]["reasons"])
    _override(seeded, 1, "merger_restructuring")
    merger = {
        i["partner_id"]: i
        for i in seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    }
    assert merger[buyer]["levels"]["treatment"] == "primary"
    # The same industry level weighs as much in a reorganisation as in a merger (the 重整投资人
    # is the same-chain buyer) and far less in a liquidation, where the channel decides.
    assert merger[buyer]["levels"]["industry"] == reorg[buyer]["levels"]["industry"]
    assert merger[buyer]["components"]["industry"] == reorg[buyer]["components"]["industry"]
    _override(seeded, 1, "exit_liquidation")
    exit_ = {
        i["partner_id"]: i
        for i in seeded.get(
            "/enterprises/1/matches", params={"limit": 100, "include_weak": True}
        ).json()["items"]
    }
    assert exit_[buyer]["levels"]["industry"] == merger[buyer]["levels"]["industry"]
    assert exit_[buyer]["components"]["industry"] < reorg[buyer]["components"]["industry"]


def test_a_trader_and_a_one_trade_fund_are_shown_as_industrial_buyers(seeded: TestClient) -> None:
    """In a 重整 a supply-chain group under 51 trading the debtor's goods is at trade_chain and a
    fund whose industries lie in the debtor's 大类 is an industrial investor: the stored list
    shows both as 产业投资人 (the fund was 金融机构), with the reason of the trade."""
    code = seeded.get("/enterprises/1").json()["industry_code"]
    common = {"preferred_regions": [], "ticket_min": None, "ticket_max": None}
    trader = _add(
        seeded,
        name="某物产供应链集团有限公司",
        kind="local_soe",
        industries=["F51"],
        capabilities="国资控股的大宗商品供应链企业，经营橡胶、轮胎及化工原料",
        interests="借供应链优势并购制造业资产",
        treatment_types=["merger_restructuring", "judicial_reorganization"],
        **common,
    )
    fund = _add(
        seeded,
        name="某橡胶产业结构调整基金合伙企业（有限合伙）",
        kind="industrial_fund",
        industries=[code[:3]],
        capabilities="龙头企业牵头设立的行业结构调整基金",
        interests="本行业企业重组",
        treatment_types=["judicial_reorganization"],
        **common,
    )
    _override(seeded, 1, "judicial_reorganization")
    items = {
        i["partner_id"]: i
        for i in seeded.get(
            "/enterprises/1/matches", params={"limit": 100, "include_weak": True}
        ).json()["items"]
    }
    assert items[trader]["role"] == "industrial" and items[fund]["role"] == "industrial"
    assert items[fund]["role_title"] == ROLES["industrial"]
    assert items[trader]["levels"]["industry"] == "trade_chain"
    assert any("供应链贸易覆盖" in r for r in items[trader]["reasons"])
    assert items[fund]["levels"]["role"] == "lead"


def test_a_reorganisation_list_puts_investors_before_professional_services(
    seeded: TestClient,
) -> None:
    """In a 重整 (issue 14) the stored list shows the 民营龙头 of the trade as a typical taker and
    the AMC as not; a law firm listing no industry is no industry fit (不限行业), below the AMC
    that lists none either."""
    code = seeded.get("/enterprises/1").json()["industry_code"]
    common = {"preferred_regions": [], "ticket_min": None, "ticket_max": None}
    buyer = _add(
        seeded,
        name="某民营产业集团有限公司",
        kind="private_leader",
        industries=[code[:3]],
        capabilities="行业龙头，整合同业产能。",
        interests="并购或重整同行业企业",
        treatment_types=["merger_restructuring", "judicial_reorganization"],
        **common,
    )
    amc = _add(seeded, name="某资产管理股份有限公司", **common)
    firm = _add(
        seeded,
        name="某律师事务所",
        kind="other",
        capabilities="律师事务所，担任破产管理人，办理破产重整和清算。",
        interests="担任破产管理人、重整方案设计",
        treatment_types=["judicial_reorganization", "exit_liquidation"],
        asset_interests=[],
        **common,
    )
    _override(seeded, 1, "judicial_reorganization")
    items = {
        i["partner_id"]: i
        for i in seeded.get(
            "/enterprises/1/matches", params={"limit": 100, "include_weak": True}
        ).json()["items"]
    }
    assert items[buyer]["levels"]["kind"] == "typical"
    assert any("民营龙头常牵头破产重整" in r for r in items[buyer]["reasons"])
    assert items[amc]["levels"]["kind"] == "else"
    assert items[amc]["levels"]["industry"] == "agnostic_fit"
    assert items[firm]["role"] == "professional"
    assert items[firm]["levels"]["industry"] == "agnostic"
    assert items[firm]["components"]["industry"] < items[amc]["components"]["industry"]
    assert items[buyer]["score"] > items[amc]["score"]


def test_a_county_investment_platform_is_shown_as_a_platform(seeded: TestClient) -> None:
    """广饶县坤源城乡发展投资集团 lists 担保链风险化解 among its duties: that is a platform's
    work, not a guarantee business, so the route shows it as 平台 (it was 金融机构)."""
    rows = seeded.get("/partners", params={"q": "坤源城乡发展"}).json()["data"]
    kunyuan = next(p["id"] for p in rows if p["name"].startswith("广饶县坤源城乡发展"))
    seen = []
    for enterprise_id in (1, 9, 12):  # the three 广饶 enterprises of the demo
        items = seeded.get(
            f"/enterprises/{enterprise_id}/matches", params={"limit": 100, "include_weak": True}
        ).json()["items"]
        seen += [i for i in items if i["partner_id"] == kunyuan]
    assert seen, "the county platform is in the demo pool of its own county's enterprises"
    assert {i["role"] for i in seen} == {"platform"}
    assert {i["role_title"] for i in seen} == {ROLES["platform"]}


def test_an_engagement_read_from_the_kind_ranks_below_the_stated_one(seeded: TestClient) -> None:
    """Two AMCs alike but for their lists: the route shows the one that wrote 破产重整 at
    `primary` and above the one whose engagements were inferred from its kind (`inferred`)."""
    stated = _add(seeded, name="甲资产管理有限公司", preferred_regions=[])
    guessed = _add(seeded, name="乙资产管理有限公司", preferred_regions=[], treatment_types=[])
    _override(seeded, 1, "judicial_reorganization")
    items = seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    rank = {i["partner_id"]: n for n, i in enumerate(items)}
    by_id = {i["partner_id"]: i for i in items}
    assert by_id[stated]["levels"]["treatment"] == "primary"
    assert by_id[guessed]["levels"]["treatment"] == "inferred"
    assert by_id[stated]["score"] > by_id[guessed]["score"]
    assert rank[stated] < rank[guessed]
    assert any("未列明" in r and "按资产管理公司类型推断" in r for r in by_id[guessed]["reasons"])


def test_the_countys_own_taker_ranks_first_through_the_route(client: TestClient) -> None:
    """Through the route, in a 资产盘活: the taker that names the enterprise's county comes
    before a city-wide one whose trade is one step closer (same 小类 against same 中类); the
    stored region part is the county level times the treatment's region weight."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    assert (enterprise["county"], enterprise["city"]) == ("广饶县", "东营市")
    common = {
        "kind": "private_leader",
        "capabilities": "轮胎产能整合，承接同业闲置厂房。",
        "interests": "收购或租赁闲置厂房",
        "treatment_types": ["asset_revitalization"],
        "asset_interests": ["plant"],
        "ticket_min": 500,
        "ticket_max": 50000,
    }
    county = _add(
        client, name="甲轮胎有限公司", industries=["C291"], preferred_regions=["广饶县"], **common
    )
    city = _add(
        client, name="乙轮胎有限公司", industries=["C2911"], preferred_regions=["东营市"], **common
    )
    _override(client, enterprise["id"], "asset_revitalization")
    items = client.get(f"/enterprises/{enterprise['id']}/matches", params={"limit": 10}).json()[
        "items"
    ]
    order = [i["partner_id"] for i in items]
    assert order.index(county) < order.index(city), order
    by_id = {i["partner_id"]: i for i in items}
    assert (by_id[county]["levels"]["region"], by_id[city]["levels"]["region"]) == (
        "county",
        "city",
    )
    cfg = MatcherConfig()
    weight = cfg.treatment_weight("asset_revitalization", "region")
    assert by_id[county]["components"]["region"] == pytest.approx(
        cfg.level_weight("region", "county") * weight
    )
    assert by_id[county]["components"]["region"] == pytest.approx(1.0 * weight)


def test_the_text_part_is_not_damped_by_a_known_industry_code(client: TestClient) -> None:
    """Through the route, for an enterprise with an industry code: the lexical part of the
    partner whose text says what the enterprise needs exceeds anything the former quarter
    weight could give (0.25 · lexical_weight · clip), and it is the largest of the list."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    assert enterprise["industry_code"]
    texts = [
        ("甲资产管理有限公司", "银行抽贷后协调续贷，缓解流动资金紧张，引入纾困资金"),
        ("乙资产管理有限公司", "不良资产包批量收购"),
        ("丙资产管理有限公司", "上市公司股权质押纾解"),
        ("丁资产管理有限公司", "房地产项目盘活"),
        ("戊资产管理有限公司", "跨境并购财务顾问"),
    ]
    ids = [
        _add(client, name=name, capabilities=text, interests=text, preferred_regions=[])
        for name, text in texts
    ]
    _override(client, enterprise["id"], "debt_restructuring")
    items = client.get(f"/enterprises/{enterprise['id']}/matches", params={"limit": 10}).json()[
        "items"
    ]
    lexical = {i["partner_id"]: i["components"]["lexical"] for i in items}
    assert set(ids) <= set(lexical)
    cfg = MatcherConfig()
    quarter = 0.25 * cfg.lexical_weight * cfg.similarity_clip
    assert max(lexical.values()) == lexical[ids[0]]
    assert lexical[ids[0]] > quarter


def test_a_debt_restructuring_keeps_six_financiers_through_the_route(client: TestClient) -> None:
    """Through the route, in a 债务重组: six financiers alike keep their places (no coverage
    part on any of them) and the accountant a little below them stays seventh."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    funds = [
        _add(client, name=f"某特殊机会投资基金{i}号（有限合伙）", kind="pe_vc") for i in range(6)
    ]
    accountant = _add(client, name="某会计师事务所（特殊普通合伙）", kind="other")
    _override(client, enterprise["id"], "debt_restructuring")
    items = client.get(f"/enterprises/{enterprise['id']}/matches", params={"limit": 10}).json()[
        "items"
    ]
    order = [i["partner_id"] for i in items]
    assert set(order[:6]) == set(funds) and order[6] == accountant, order
    by_id = {i["partner_id"]: i for i in items}
    assert {by_id[f]["role"] for f in funds} == {"financial"}
    assert all(by_id[f]["components"].get("coverage", 0.0) == 0.0 for f in funds)


def test_a_firm_of_another_trade_is_shown_as_no_lead_of_a_merger(client: TestClient) -> None:
    """Issue 14 through the route: in the tyre maker's 兼并重组 a meat packer that lists 兼并重组
    and names the enterprise's city is stored at role level `off_trade` with its reason and
    ranks below the tyre group, which keeps `lead`."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    common = {
        "kind": "private_leader",
        "interests": "并购整合",
        "treatment_types": ["merger_restructuring"],
        "asset_interests": [],
        "ticket_min": None,
        "ticket_max": None,
    }
    packer = _add(
        client,
        name="某肉类食品集团有限公司",
        industries=["C1351"],
        capabilities="肉类加工龙头",
        preferred_regions=["东营市"],
        **common,
    )
    tyres = _add(
        client,
        name="某轮胎集团有限公司",
        industries=["C2911"],
        capabilities="轮胎行业龙头",
        preferred_regions=[],
        **common,
    )
    _override(client, enterprise["id"], "merger_restructuring")
    items = client.get(
        f"/enterprises/{enterprise['id']}/matches", params={"limit": 100, "include_weak": True}
    ).json()["items"]
    by_id = {i["partner_id"]: i for i in items}
    assert by_id[packer]["role"] == "industrial"
    assert by_id[packer]["levels"]["role"] == "off_trade"
    assert by_id[packer]["components"]["role"] < 0
    assert any("不在企业的行业或产业链内" in r for r in by_id[packer]["reasons"])
    assert by_id[tyres]["levels"]["role"] == "lead"
    rank = {i["partner_id"]: n for n, i in enumerate(items)}
    assert rank[tyres] < rank[packer]


def test_an_unstated_equity_ask_is_priced_on_the_net_assets_through_the_route(
    client: TestClient,
) -> None:
    """Issue 14 through the route: a 引进战投 that names no amount is sized at half the net
    assets (52000 - 46800 = 5200万元 → 2600万元), and every result says that basis; a fund
    whose floor is 1000万元 is then inside its range (half the assets, 2.6亿元, was beyond it)."""
    payload = enterprise_payload(
        demands="希望引入战略投资者。", problems="产能不足，扩产缺资本金。"
    )
    enterprise = client.post("/enterprises", json=payload).json()
    fund = _add(
        client,
        name="某轮胎产业成长基金合伙企业（有限合伙）",
        kind="industrial_fund",
        industries=["C29"],
        capabilities="投资橡胶轮胎成长期企业",
        interests="少数股权投资",
        treatment_types=["strategic_investment"],
        preferred_regions=[],
        ticket_min=1000,
        ticket_max=5000,
    )
    _override(client, enterprise["id"], "strategic_investment")
    items = client.get(
        f"/enterprises/{enterprise['id']}/matches", params={"limit": 100, "include_weak": True}
    ).json()["items"]
    by_id = {i["partner_id"]: i for i in items}
    assert by_id[fund]["levels"]["deal_size"] == "inside"
    assert any("按净资产的50%约2600万元" in r for r in by_id[fund]["reasons"])


def test_a_merger_fund_listing_no_trade_fits_a_merger_through_the_route(client: TestClient) -> None:
    """Issue 14 through the route: a 并购基金 that lists 兼并重组 and no industry is stored at
    `agnostic_fit` in a 兼并重组 (it finances the buyer, of whatever trade), and an AMC listing
    no industry and not 兼并重组 stays `agnostic`."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    common = {"industries": [], "preferred_regions": [], "ticket_min": None, "ticket_max": None}
    fund = _add(
        client,
        name="某并购基金合伙企业（有限合伙）",
        kind="industrial_fund",
        capabilities="配合产业龙头开展并购",
        interests="并购重组",
        treatment_types=["merger_restructuring"],
        **common,
    )
    amc = _add(
        client,
        name="某资产管理有限公司",
        kind="amc",
        treatment_types=["debt_restructuring", "asset_revitalization"],
        **common,
    )
    _override(client, enterprise["id"], "merger_restructuring")
    items = client.get(
        f"/enterprises/{enterprise['id']}/matches", params={"limit": 100, "include_weak": True}
    ).json()["items"]
    by_id = {i["partner_id"]: i for i in items}
    assert by_id[fund]["role"] == "financial"
    assert by_id[fund]["levels"]["industry"] == "agnostic_fit"
    assert by_id[amc]["levels"]["industry"] == "agnostic"
    assert by_id[fund]["components"]["industry"] > by_id[amc]["components"]["industry"]


def test_the_equity_fund_leads_a_strategic_investment_through_the_route(client: TestClient) -> None:
    """Issue 14 through the route: in a 引进战投 a growth fund of several trades is stored at the
    role level `lead` with the industry leader's reason (it was `support`)."""
    enterprise = client.post("/enterprises", json=enterprise_payload()).json()
    fund = _add(
        client,
        name="某成长股权投资基金合伙企业（有限合伙）",
        kind="pe_vc",
        industries=["C29", "C36"],
        capabilities="投资橡胶、汽车零部件成长期企业",
        interests="少数股权投资",
        treatment_types=["strategic_investment"],
        preferred_regions=[],
        ticket_min=None,
        ticket_max=None,
    )
    _override(client, enterprise["id"], "strategic_investment")
    items = client.get(
        f"/enterprises/{enterprise['id']}/matches", params={"limit": 100, "include_weak": True}
    ).json()["items"]
    by_id = {i["partner_id"]: i for i in items}
    assert by_id[fund]["role"] == "financial"
    assert by_id[fund]["levels"]["role"] == "lead"
    assert any("是引进战略投资者的主导角色" in r for r in by_id[fund]["reasons"])
