"""The treatment policy in the engine: per-treatment weights, roles, coverage, unknown
levels and the fit floor (issue 14).  The engagement matrix's levels are in
test_rules_levels.py; the pool forms' agreement with the per-pair forms in
test_scoring.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matcher.matching.components.deal_size import DEAL_SIZE
from matcher.matching.components.industry import INDUSTRY
from matcher.matching.components.region import REGION
from matcher.matching.components.role import ROLE, ROLE_CODES
from matcher.matching.config import MatcherConfig
from matcher.matching.coverage import cover, free_places
from matcher.matching.deal_estimate import deal_estimate
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from matcher.matching.roles import derive_role
from matcher.profile import Financials, PartnerProfile
from tests.matcher.match_helpers import chain, ctx, enterprise, partner, query, table

REORG = {"judicial_reorganization": 1.0}
EXIT = {"exit_liquidation": 1.0}
MERGER = {"merger_restructuring": 1.0}
RELIEF = {"relief": 1.0}


def _rank(partners: list[PartnerProfile], dx: object, **kw: object):  # type: ignore[no-untyped-def]
    index = PartnerIndex.build(partners, None, table())
    args: dict[str, object] = {
        "index": index,
        "encoder_or_query_embedding": None,
        "config": MatcherConfig(),
        "industries": table(),
        "chain": chain(),
        "limit": 10,
    }
    args.update(kw)
    ent = args.pop("enterprise", enterprise())
    return rank_partners(ent, dx, **args)  # type: ignore[arg-type]


# --- per-treatment weights -------------------------------------------------------------


def test_industry_weighs_by_treatment() -> None:
    """The same 小类 match counts for a merger and hardly for a liquidation."""
    p = partner("P")
    merger = INDUSTRY.pair(query(dx=MERGER), p, ctx())
    exit_ = INDUSTRY.pair(query(dx=EXIT), p, ctx())
    assert merger.level == exit_.level == "same_xiaolei"
    cfg = MatcherConfig()
    assert merger.weight == pytest.approx(
        3.0 * cfg.treatment_weight("merger_restructuring", "industry")
    )
    assert exit_.weight == pytest.approx(3.0 * cfg.treatment_weight("exit_liquidation", "industry"))
    assert merger.weight > 3 * exit_.weight


def test_treatment_weights_reach_the_ranked_parts() -> None:
    """The pool form scores with the same multipliers as the per-pair form."""
    p = partner("P", treatment_types=("merger_restructuring", "exit_liquidation"))
    for dx in (MERGER, EXIT):
        [r] = _rank([p], dx, include_weak=True)
        want = INDUSTRY.pair(query(dx=dx), p, ctx()).weight
        assert r.components["industry"] == pytest.approx(want, abs=1e-6)


def test_text_weight_by_treatment_and_every_weight_has_a_reason() -> None:
    cfg = MatcherConfig()
    for category, weights in cfg.treatment_weights.items():
        assert isinstance(weights["reason"], str) and weights["reason"], category
    assert cfg.treatment_weight("tech_upgrade", "text") > cfg.treatment_weight("relief", "text")
    assert cfg.treatment_weight(None, "industry") == 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"engagement": {"relief": {"debt_restructuring": ["close", "原因"]}}}, "level"),
        ({"engagement": {"relief": {"relief": ["natural", "原因"]}}}, "bad engagement"),
        ({"treatment_weights": {"relief": {"colour": 1.0}}}, "unknown part"),
        ({"treatment_weights": {"relief": {"industry": -1.0}}}, ">= 0"),
        ({"role_needs": {"relief": ["banker"]}}, "unknown roles"),
        ({"role_needs": {"rescue": ["financial"]}}, "unknown treatment"),
    ],
)
def test_bad_policy_tables_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(MatcherConfig(), **change)  # type: ignore[arg-type]


# --- roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "role"),
    [
        ({"name": "山东某律师事务所", "kind": "other"}, "professional"),
        ({"name": "某会计师事务所（特殊普通合伙）", "kind": "other"}, "professional"),
        ({"name": "滨州某拍卖有限公司", "kind": "other"}, "disposal"),
        (
            {"name": "某再生资源有限公司", "kind": "other", "capabilities": "回收废旧设备"},
            "disposal",
        ),
        ({"name": "某市融资担保有限公司", "kind": "local_soe"}, "financial"),
        ({"name": "某资产管理公司", "kind": "amc"}, "financial"),
        ({"name": "某村镇银行", "kind": "bank"}, "financial"),
        # A licensed financial business its name states, whatever kind it was filed under.
        ({"name": "中国对外经济贸易信托有限公司", "kind": "other"}, "financial"),
        ({"name": "某证券股份有限公司", "kind": "central_soe"}, "financial"),
        # ... but only the name: an industrial firm's text may mention a 信托计划.
        (
            {"name": "某轮胎有限公司", "kind": "private_leader", "capabilities": "曾发行信托计划"},
            "industrial",
        ),
        (
            {"name": "某县国有资产经营公司", "kind": "local_soe", "capabilities": "县国资平台"},
            "platform",
        ),
        ({"name": "某研究院", "kind": "research"}, "technology"),
        (
            {"name": "某节能工程公司", "kind": "other", "treatment_types": ("tech_upgrade",)},
            "technology",
        ),
        # The name states what a firm is; its description lists what it also does.
        (
            {
                "name": "广饶县坤源城乡发展投资集团有限公司",
                "kind": "local_soe",
                "capabilities": "县属国有企业，承担县域担保链风险化解、企业纾困、闲置资产收购",
            },
            "platform",
        ),
        (
            {
                "name": "某市国有资本投资运营有限公司",
                "kind": "local_soe",
                "capabilities": "受托管理应急转贷资金和企业纾困基金",
            },
            "platform",
        ),
        (
            {"name": "某县城投集团", "kind": "local_soe", "capabilities": "化解担保链风险"},
            "platform",
        ),
        (
            {"name": "某县兴业有限公司", "kind": "local_soe", "capabilities": "为小微企业提供担保"},
            "financial",
        ),
        (
            {"name": "某县兴业有限公司", "kind": "local_soe", "capabilities": "参与担保链风险化解"},
            "industrial",
        ),
        (
            {
                "name": "某拍卖有限公司",
                "kind": "other",
                "capabilities": "承接法院委托和破产管理人委托的资产拍卖",
            },
            "disposal",
        ),
        # 国资 names the owner of every local state firm; it is no platform business.
        (
            {
                "name": "新疆中泰化学股份有限公司",
                "kind": "local_soe",
                "capabilities": "新疆国资控股的氯碱化工上市公司，主营PVC、烧碱",
            },
            "industrial",
        ),
        ({"name": "某县资管公司", "kind": "local_soe", "capabilities": "县国资平台"}, "platform"),
        # An industrial group's business in a trade is that group's arm, not a platform.
        (
            {
                "name": "广州越秀风行食品集团有限公司",
                "kind": "local_soe",
                "industries": ("C144",),
                "capabilities": "越秀集团旗下食品平台，布局乳业与生猪养殖",
            },
            "industrial",
        ),
        (
            {"name": "某县投资公司", "kind": "local_soe", "capabilities": "城投集团旗下投资平台"},
            "platform",
        ),
        # A supply-chain group buys the makers of the chain it trades in; the 平台 it builds for
        # clients is not a platform role.  供应链金融 is a lender's product.
        (
            {
                "name": "物产中大化工集团有限公司",
                "kind": "local_soe",
                "capabilities": "化工供应链集成服务商，可为轮胎企业搭建原材料集中采购平台",
            },
            "industrial",
        ),
        (
            {"name": "厦门国贸集团", "kind": "local_soe", "capabilities": "大宗商品经营"},
            "industrial",
        ),
        (
            {"name": "某县兴业有限公司", "kind": "local_soe", "capabilities": "供应链金融平台"},
            "platform",
        ),
        ({"name": "某银行", "kind": "bank", "capabilities": "供应链服务"}, "financial"),
        # A fund whose industries lie in one 大类 has that trade as its mandate: an industrial
        # investor.  Several 大类, or a 门类 alone, is a financier's spread.
        (
            {"name": "四源合股权投资管理公司", "kind": "industrial_fund", "industries": ("C31",)},
            "industrial",
        ),
        ({"name": "某化工基金", "kind": "pe_vc", "industries": ("C2651", "C26")}, "industrial"),
        ({"name": "某基金", "kind": "industrial_fund", "industries": ("C26", "C30")}, "financial"),
        ({"name": "某制造业基金", "kind": "industrial_fund", "industries": ("C",)}, "financial"),
        ({"name": "某纾困基金", "kind": "industrial_fund", "industries": ("C31",)}, "financial"),
        # A platform name on a firm that is not a local state firm says nothing of its role.
        ({"name": "某开发投资集团", "kind": "private_leader"}, "industrial"),
        ({"name": "某铝业集团", "kind": "private_leader"}, "industrial"),
        ({"name": "某央企集团", "kind": "central_soe", "capabilities": "钢铁产业"}, "industrial"),
    ],
)
def test_roles_are_read_from_kind_engagements_and_text(kw: dict[str, object], role: str) -> None:
    base: dict[str, object] = {"capabilities": "", "interests": "", "treatment_types": ()}
    got = derive_role(PartnerProfile(**{**base, **kw}))  # type: ignore[arg-type]
    assert got.code == role
    assert got.basis


def test_role_level_follows_the_treatment_needs() -> None:
    buyer = partner("P")
    lawyer = partner("L", name="某律师事务所", kind="other", industries=())
    assert ROLE.pair(query(dx=REORG), buyer, ctx()).level == "lead"
    assert ROLE.pair(query(dx=REORG), lawyer, ctx()).level == "support"
    assert ROLE.pair(query(dx=RELIEF), lawyer, ctx()).level == "else"
    assert "产业投资人" in ROLE.pair(query(dx=REORG), buyer, ctx()).detail


def test_each_result_carries_its_role() -> None:
    results = _rank([partner("P"), partner("A", kind="amc", industries=())], REORG)
    assert {r.partner_id: r.role for r in results} == {"P": "industrial", "A": "financial"}


# --- coverage ------------------------------------------------------------------------


def test_cover_keeps_the_order_of_a_single_role() -> None:
    total = np.array([5.0, 4.0, 3.0, 2.0])
    got = cover(np.arange(4), total, np.zeros(4, np.int8), 4, 0.5)
    assert got.rows.tolist() == [0, 1, 2, 3]


def test_cover_moves_a_repeated_role_down_and_scores_never_rise() -> None:
    total = np.array([5.0, 4.9, 4.8, 4.7, 4.45])
    roles = np.array([0, 0, 0, 0, 1])
    got = cover(np.arange(5), total, roles, 5, 0.5)
    assert got.rows.tolist()[:2] == [0, 4]
    adjusted = total.take(got.rows) + got.adjust
    assert all(a >= b for a, b in zip(adjusted, adjusted[1:], strict=False))
    free = np.array([3, 1])
    assert cover(np.arange(5), total, roles, 5, 0.5, free).rows.tolist()[:3] == [0, 1, 2]


def test_reorganisation_list_is_not_ten_financiers() -> None:
    """Six AMCs that outscore the industrial buyer: the buyer is moved up among them."""
    amcs = [
        partner(
            f"A{i}",
            kind="amc",
            industries=(),
            treatment_types=("judicial_reorganization",),
            preferred_regions=("淄博市",),
        )
        for i in range(6)
    ]
    buyer = partner(
        "B",
        industries=("C2913",),
        asset_interests=(),
        treatment_types=("merger_restructuring", "judicial_reorganization"),
    )
    plain = _rank(
        [*amcs, buyer], REORG, config=dataclasses.replace(MatcherConfig(), coverage_penalty=0.0)
    )
    covered = _rank([*amcs, buyer], REORG)
    before = [r.partner_id for r in plain].index("B")
    after = [r.partner_id for r in covered].index("B")
    assert before == 6 and after <= 3
    moved = [r for r in covered if r.components["coverage"] < 0]
    assert moved and all(any("名次下调" in s for s in r.reasons) for r in moved)
    for r in covered:
        assert r.score == pytest.approx(sum(r.components.values()), abs=1e-5)
    assert [r.score for r in covered] == sorted((r.score for r in covered), reverse=True)


def test_supporting_roles_keep_more_places_than_unneeded_ones() -> None:
    """A 破产重整: four industrial investors, two of each supporting role, one of the rest."""
    cfg = MatcherConfig()
    free = dict(zip(ROLE_CODES, free_places(query(dx=REORG), ctx(cfg)).tolist(), strict=True))
    assert free["industrial"] == cfg.coverage_lead_places
    for role in cfg.role_needs["judicial_reorganization"][1:]:
        assert free[role] == cfg.coverage_support_places == 2
    assert free["disposal"] == free["technology"] == 1
    with pytest.raises(ValueError, match="coverage_support_places"):
        dataclasses.replace(cfg, coverage_support_places=0)


def test_a_second_financier_in_a_reorganisation_is_not_moved_down() -> None:
    amcs = [
        partner(
            f"A{i}",
            kind="amc",
            industries=(),
            treatment_types=("judicial_reorganization",),
            preferred_regions=("临淄区",),
        )
        for i in range(4)
    ]
    moved = [r.components["coverage"] < 0 for r in _rank(amcs, REORG)]
    assert moved[:2] == [False, False] and all(moved[2:])
    one = dataclasses.replace(MatcherConfig(), coverage_support_places=1)
    assert [r.components["coverage"] < 0 for r in _rank(amcs, REORG, config=one)][1]


def test_a_reorganisation_ranks_investors_before_the_administrators_advisers() -> None:
    """A 破产重整 (issue 14): the 民营龙头 of the trade is a typical 重整投资人 and the AMC is not
    (it buys claims and co-invests beside the buyer); an accountant listing no industry serves
    the administrator but invests in none, so it is no industry fit and comes after both.  In a
    债务重组 the accountant's plan is part of the case: a fit there, and the AMC typical."""
    buyer = partner(
        "B",
        industries=("C29",),
        asset_interests=(),
        treatment_types=("merger_restructuring", "judicial_reorganization"),
    )
    amc = partner(
        "A",
        name="某资产管理有限公司",
        kind="amc",
        industries=(),
        asset_interests=(),
        treatment_types=("debt_restructuring", "judicial_reorganization"),
    )
    accountant = partner(
        "C",
        name="某会计师事务所（特殊普通合伙）",
        kind="other",
        industries=(),
        asset_interests=(),
        capabilities="债务重组方案、清产核资、破产审计",
        treatment_types=("debt_restructuring", "judicial_reorganization"),
    )
    reorg = {r.partner_id: r for r in _rank([buyer, amc, accountant], REORG, mode="rules")}
    assert [r.partner_id for r in sorted(reorg.values(), key=lambda r: -r.score)] == [
        "B",
        "A",
        "C",
    ]
    assert reorg["B"].levels["kind"] == "typical" and reorg["A"].levels["kind"] == "else"
    assert any("民营龙头常牵头破产重整" in s for s in reorg["B"].reasons)
    assert reorg["C"].levels["industry"] == "agnostic"
    assert reorg["A"].levels["industry"] == "agnostic_fit"
    gap = reorg["A"].components["industry"] - reorg["C"].components["industry"]
    cfg = MatcherConfig()
    levels = cfg.levels["industry"]
    factor = cfg.treatment_weight("judicial_reorganization", "industry")
    assert gap == pytest.approx((levels["agnostic_fit"] - levels["agnostic"]) * factor)
    debt = {r.partner_id: r for r in _rank([buyer, amc, accountant], {"debt_restructuring": 1.0})}
    assert debt["C"].levels["industry"] == "agnostic_fit"
    assert debt["A"].levels["kind"] == "typical"


def test_a_debt_restructuring_keeps_six_financiers_before_moving_one_down() -> None:
    """A 债务重组 is settled in a 债委会 of banks, an AMC and the 纾困 fund: six financiers
    keep their places before the coverage step moves one down (four for other leads), so an
    accountant a little below them stays seventh instead of jumping above the fifth."""
    debt = {"debt_restructuring": 1.0}
    cfg = MatcherConfig()
    assert cfg.lead_places("debt_restructuring") == 6
    assert cfg.lead_places("judicial_reorganization") == cfg.coverage_lead_places == 4
    free = dict(zip(ROLE_CODES, free_places(query(dx=debt), ctx()), strict=True))
    assert free["financial"] == 6
    funds = {"kind": "pe_vc", "industries": (), "treatment_types": ("debt_restructuring",)}
    amcs = [partner(f"A{i}", name=f"某特殊机会基金{i}", **funds) for i in range(6)]
    accountant = partner(
        "K",
        name="某会计师事务所",
        kind="other",
        industries=(),
        treatment_types=("debt_restructuring",),
    )
    order = [r.partner_id for r in _rank([*amcs, accountant], debt)]
    assert order.index("K") == 6
    four = dataclasses.replace(cfg, coverage_lead_places_by_treatment={})
    assert [r.partner_id for r in _rank([*amcs, accountant], debt, config=four)].index("K") <= 4


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"debt": 6}, "unknown treatment"),
        ({"debt_restructuring": 0}, "must be an integer >= 1"),
        ({"debt_restructuring": 2.5}, "must be an integer >= 1"),
    ],
)
def test_bad_lead_places_are_refused(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(MatcherConfig(), coverage_lead_places_by_treatment=table)


# --- unknown is not a fact -----------------------------------------------------------


def test_a_deal_figure_tied_to_nothing_gives_an_unknown_level() -> None:
    e = enterprise(
        problems="经营困难。",
        demands="希望得到支持，涉及金额约900万元。",
        financials=Financials(),
        assets=(),
    )
    value, basis, known = deal_estimate(e, "merger_restructuring")
    assert value == 900.0 and not known and "仅作参考" in basis
    q = query(e, MERGER)
    assert not q.deal_known
    near = DEAL_SIZE.pair(q, partner("P", ticket_min=100.0, ticket_max=1000.0), ctx())
    assert (near.level, near.weight) == ("unknown", 0.0)
    assert "不作筛选" in near.detail and "仅作参考" in near.detail
    far = DEAL_SIZE.pair(q, partner("P", ticket_min=50000.0, ticket_max=90000.0), ctx())
    assert far.level == "unknown_far" and far.weight < 0
    # Never a filter: the far partner is still ranked.
    ids = [
        r.partner_id
        for r in _rank([partner("F", ticket_min=50000.0)], MERGER, enterprise=e, include_weak=True)
    ]
    assert ids == ["F"]


def test_an_established_deal_still_filters() -> None:
    q = query(dx={"debt_restructuring": 1.0})
    assert q.deal_known
    assert DEAL_SIZE.pair(q, partner("P", ticket_min=500000.0), ctx()).level == "else"
    assert _rank([partner("P", ticket_min=500000.0)], {"debt_restructuring": 1.0}) == []


def test_the_countys_own_taker_comes_before_a_city_wide_one_of_a_closer_trade() -> None:
    """In a 资产盘活 the partner that names the enterprise's county (the county's own
    platform or buyer) comes before one that names only the city, even when the city-wide
    one's trade is one step closer (same 小类 against same 中类): the county level (1.0) is
    well above the city's (0.4), not a hair (0.5 against 0.4 put the city-wide one first)."""
    assets = {"asset_revitalization": 1.0}
    common = {"treatment_types": ("asset_revitalization",), "asset_interests": ("plant",)}
    county = partner("K", industries=("C291",), preferred_regions=("临淄区",), **common)
    city = partner("S", industries=("C2911",), preferred_regions=("淄博市",), **common)
    results = _rank([city, county], assets)
    by_id = {r.partner_id: r for r in results}
    assert (by_id["K"].levels["region"], by_id["S"].levels["region"]) == ("county", "city")
    assert (by_id["K"].levels["industry"], by_id["S"].levels["industry"]) == (
        "same_zhonglei",
        "same_xiaolei",
    )
    assert [r.partner_id for r in results] == ["K", "S"]
    cfg = MatcherConfig()
    gap = cfg.level_weight("region", "county") - cfg.level_weight("region", "city")
    assert gap * cfg.treatment_weight("asset_revitalization", "region") > (
        cfg.level_weight("industry", "same_xiaolei") - cfg.level_weight("industry", "same_zhonglei")
    ) * cfg.treatment_weight("asset_revitalization", "industry")


def test_a_missing_county_is_an_unknown_region_not_an_exclusion() -> None:
    e = enterprise(county="")
    p = partner("P", preferred_regions=("临淄区",))
    c = REGION.pair(query(e, MERGER), p, ctx())
    assert (c.level, c.weight) == ("unknown", 0.0)
    assert "未填县区" in c.detail and "临淄区" in c.detail
    assert [r.partner_id for r in _rank([p], MERGER, enterprise=e)] == ["P"]
    # A known county outside the list is still removed; a province outside too.
    assert _rank([p], MERGER, enterprise=enterprise(county="张店区")) == []
    other = partner("Q", preferred_regions=("江苏省",))
    assert REGION.pair(query(e, MERGER), other, ctx()).level == "else"


# --- fit floor -----------------------------------------------------------------------


def test_partners_below_the_fit_floor_are_not_recommended() -> None:
    good = partner("G")
    poor = partner("W", treatment_types=("relief",), industries=("A0111",), asset_interests=())
    results = _rank([good, poor], MERGER)
    assert [r.partner_id for r in results] == ["G"]
    assert results.qualified == 1
    assert all(not r.weak for r in results)
    with_weak = _rank([good, poor], MERGER, include_weak=True)
    assert [r.partner_id for r in with_weak] == ["G", "W"]
    weak = with_weak[1]
    assert weak.weak and weak.reasons[0].startswith("不建议")
    assert weak.score < MatcherConfig().fit_floor <= with_weak[0].score
    assert with_weak.qualified == 1


# --- stated against inferred engagements ------------------------------------------------


def test_a_stated_engagement_ranks_above_the_same_one_inferred_from_the_kind() -> None:
    """Two AMCs alike but for their lists: the one that wrote 破产重整 comes first; the one
    whose engagements are read from its kind is still recommended, at `inferred`."""
    stated = partner("S", kind="amc", industries=(), treatment_types=("judicial_reorganization",))
    guessed = partner("G", kind="amc", industries=(), treatment_types=())
    results = _rank([guessed, stated], REORG)
    assert [r.partner_id for r in results] == ["S", "G"]
    by_id = {r.partner_id: r for r in results}
    assert by_id["S"].levels["treatment"] == "primary"
    assert by_id["G"].levels["treatment"] == "inferred"
    cfg = MatcherConfig()
    assert (
        cfg.level_weight("treatment", "natural")
        < cfg.level_weight("treatment", "inferred")
        < cfg.level_weight("treatment", "primary")
    )


def test_a_county_platform_is_a_merger_candidate_without_listing_industries() -> None:
    """A county platform listing no industry reaches `agnostic_fit` in a merger; a growth
    equity fund listing no sector does not, and ranks below it."""
    name = "某县国有资本投资运营有限公司"
    platform = partner("C", name=name, kind="local_soe", industries=(), asset_interests=())
    fund = partner(
        "F",
        kind="pe_vc",
        industries=(),
        asset_interests=(),
        treatment_types=("strategic_investment",),  # a growth fund: one listing 兼并重组 fits
    )
    by_id = {r.partner_id: r for r in _rank([fund, platform], MERGER)}
    assert by_id["C"].levels["industry"] == "agnostic_fit"
    assert by_id["F"].levels["industry"] == "agnostic"
    assert by_id["C"].score > by_id["F"].score


def test_a_financier_supports_an_asset_revitalisation() -> None:
    """An AMC that 收储 idle plant or a lessor doing 售后回租 serves a 资产盘活: `support`, not
    a role the treatment does not need."""
    amc = partner("A", kind="amc", industries=(), treatment_types=("asset_revitalization",))
    assets = {"asset_revitalization": 1.0}
    assert ROLE.pair(query(dx=assets), amc, ctx()).level == "support"
    assert "financial" in MatcherConfig().role_needs["asset_revitalization"]


def test_a_buyer_of_the_chain_comes_before_a_nearby_firm_of_another_trade() -> None:
    """Issue 14, through the ranking (pool form): for the tyre maker's 兼并重组, an auto-parts
    group of its chain cluster comes before a chemicals firm of the neighbouring cluster that
    names the city; before, the lead bonus both had let the city's 0.4 and the neighbouring
    cluster's 0.9 put the chemicals firm first."""
    chemicals = partner("CHEM", industries=("C2614",), preferred_regions=("淄博市",))
    parts = partner("PARTS", industries=("C3670",))
    results = _rank([chemicals, parts], MERGER)
    by_id = {r.partner_id: r for r in results}
    assert [r.partner_id for r in results] == ["PARTS", "CHEM"]
    assert by_id["CHEM"].levels["industry"] == "chain_adjacent"
    assert by_id["CHEM"].levels["role"] == "off_trade"
    assert by_id["PARTS"].levels["role"] == "lead"
    cfg = MatcherConfig()
    assert by_id["CHEM"].components["role"] == pytest.approx(cfg.levels["role"]["off_trade"])
    assert any("不在企业的行业或产业链内" in r for r in by_id["CHEM"].reasons)


def test_the_equity_fund_leads_a_strategic_investment_with_the_industry_leader() -> None:
    """Issue 14: a 引进战投 brings in the industry leader or the fund that takes the stake; a
    fund of several trades is at `lead` there (it was `support`) and keeps the lead's free places
    (four, not two), and stays a supporting role in a 兼并重组."""
    strategic = {"strategic_investment": 1.0}
    cfg = MatcherConfig()
    growth = partner(
        "G",
        kind="pe_vc",
        industries=("C29", "C36"),
        treatment_types=("strategic_investment",),
    )
    assert derive_role(growth).code == "financial"
    assert ROLE.pair(query(dx=strategic), growth, ctx()).level == "lead"
    assert ROLE.pair(query(dx=MERGER), growth, ctx()).level == "support"
    free = free_places(query(dx=strategic), ctx())
    assert free[ROLE_CODES.index("financial")] == cfg.lead_places("strategic_investment") == 4
    assert free_places(query(dx=MERGER), ctx())[ROLE_CODES.index("financial")] == 2


def test_a_co_lead_must_be_a_role_the_treatment_needs() -> None:
    with pytest.raises(ValueError, match="co_leads.strategic_investment"):
        MatcherConfig(co_leads={"strategic_investment": ["disposal"]})
