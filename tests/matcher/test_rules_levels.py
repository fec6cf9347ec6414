"""Table-driven tests: every level of every rule component, and the hard filters.

Each case calls a component's per-pair form (the reference semantics); the
pool forms are checked against these partner by partner in test_scoring.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from matcher.chain import ADJACENT_CLUSTER, NO_CHAIN, SAME_CLUSTER
from matcher.matching.components.asset import ASSET
from matcher.matching.components.deal_size import DEAL_SIZE
from matcher.matching.components.industry import INDUSTRY
from matcher.matching.components.kind import KIND
from matcher.matching.components.region import REGION
from matcher.matching.components.treatment import TREATMENT
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories
from matcher.matching.explain import hard_filter_reasons
from matcher.matching.registry import STANDARD_REGISTRY
from matcher.profile import Asset
from tests.matcher.match_helpers import FIXTURES, chain, ctx, enterprise, partner, query

MERGER = DiagnosisCategories.from_mapping(
    {"merger_restructuring": 0.7, "strategic_investment": 0.3}
)
MERGER_TECH = DiagnosisCategories.from_mapping({"merger_restructuring": 0.7, "tech_upgrade": 0.3})
REORG = DiagnosisCategories.from_mapping({"judicial_reorganization": 1.0})
DEBT = DiagnosisCategories.from_mapping({"debt_restructuring": 1.0})
RELIEF = DiagnosisCategories.from_mapping({"relief": 1.0})
ASSETS = DiagnosisCategories.from_mapping({"asset_revitalization": 1.0})
EXIT = DiagnosisCategories.from_mapping({"exit_liquidation": 1.0})


@pytest.mark.parametrize(
    ("description", "partner_kw", "dx", "level", "reason_part"),
    [
        ("no diagnosis", {}, None, "null", "尚无诊断"),
        ("primary taken", {}, MERGER, "primary", "承接兼并重组"),
        (
            "only the secondary",
            {"treatment_types": ("tech_upgrade",)},
            MERGER_TECH,
            "secondary",
            "次要方向技术改造升级",
        ),
        (
            "matrix: an industrial buyer doing mergers is a natural reorganisation investor",
            {"treatment_types": ("merger_restructuring",)},
            REORG,
            "natural",
            "天然的重整投资人",
        ),
        (
            "matrix: a strategic investor as the white knight of a debt restructuring",
            {"treatment_types": ("strategic_investment",)},
            DEBT,
            "partial",
            "白衣骑士",
        ),
        (
            "matrix: a disposal channel serves asset revitalisation",
            {"treatment_types": ("exit_liquidation",)},
            ASSETS,
            "natural",
            "处置渠道",
        ),
        (
            "matrix: an asset buyer can bid in a liquidation",
            {"treatment_types": ("asset_revitalization",)},
            EXIT,
            "partial",
            "竞买清算中的资产",
        ),
        (
            "matrix: a secondary wins over a partial level",
            {"treatment_types": ("strategic_investment", "tech_upgrade")},
            MERGER_TECH,
            "secondary",
            "次要方向技术改造升级",
        ),
        (
            "matrix: a relief lender is no reorganisation investor",
            {"treatment_types": ("relief",)},
            REORG,
            "else",
            "不承接破产重整",
        ),
        ("neither", {"treatment_types": ("relief",)}, MERGER, "else", "不承接兼并重组"),
        (
            "empty list inferred from kind",
            {"treatment_types": (), "kind": "central_soe"},
            MERGER,
            "inferred",
            "按央企类型推断",
        ),
        (
            "kind 'other' implies nothing",
            {"treatment_types": (), "kind": "other"},
            MERGER,
            "else",
            "不承接",
        ),
    ],
)
def test_treatment_levels(
    description: str,
    partner_kw: dict[str, object],
    dx: DiagnosisCategories | None,
    level: str,
    reason_part: str,
) -> None:
    c = TREATMENT.pair(query(enterprise(), dx), partner("P", **partner_kw), ctx())
    assert c.level == level, description
    assert reason_part in c.detail
    assert c.weight == MatcherConfig().level_weight("treatment", level)


def test_secondary_below_threshold_is_ignored() -> None:
    dx = DiagnosisCategories.from_mapping({"merger_restructuring": 0.95, "tech_upgrade": 0.05})
    p = partner("P", treatment_types=("tech_upgrade",))
    assert TREATMENT.pair(query(enterprise(), dx), p, ctx()).level == "else"


@pytest.mark.parametrize(
    ("description", "ent_code", "industries", "dx", "level"),
    [
        ("enterprise code missing", "", ("C2911",), MERGER, "null"),
        ("enterprise code unknown", "Z9999", ("C2911",), MERGER, "null"),
        ("partner codes all unknown", "C2911", ("XX99",), MERGER, "null"),
        ("same 小类", "C2911", ("C2911",), MERGER, "same_xiaolei"),
        ("same 中类 by code", "C2911", ("C2913",), MERGER, "same_zhonglei"),
        ("partner lists the 中类", "C2911", ("C291",), MERGER, "same_zhonglei"),
        ("same 大类", "C2911", ("C2921",), MERGER, "same_dalei"),
        ("partner lists the 大类", "C2911", ("C29",), MERGER, "same_dalei"),
        ("agnostic, financial category", "C2911", (), RELIEF, "agnostic_fit"),
        ("agnostic, assets wanted", "C2911", (), ASSETS, "agnostic_fit"),
        ("agnostic, industrial category", "C2911", (), MERGER, "agnostic"),
        ("same chain cluster", "C2911", ("C3670",), MERGER, "chain_same"),
        ("adjacent chain cluster", "C2911", ("C2614",), MERGER, "chain_adjacent"),
        ("same 门类 only", "C2911", ("C2211",), MERGER, "same_menlei"),
        ("unrelated", "C2911", ("A0141",), MERGER, "else"),
        ("best of several codes wins", "C2911", ("A0141", "C2911"), MERGER, "same_xiaolei"),
    ],
)
def test_industry_levels(
    description: str,
    ent_code: str,
    industries: tuple[str, ...],
    dx: DiagnosisCategories,
    level: str,
) -> None:
    p = partner("P", industries=industries, asset_interests=("plant",))
    c = INDUSTRY.pair(query(enterprise(industry_code=ent_code), dx), p, ctx())
    assert c.level == level, description
    assert c.detail


@pytest.mark.parametrize(
    ("kw", "dx", "level"),
    [
        # A platform brokers a merger or a reorganisation in any trade.
        ({"name": "某县国有资本投资运营有限公司", "kind": "local_soe"}, MERGER, "agnostic_fit"),
        ({"name": "某县国有资本投资运营有限公司", "kind": "local_soe"}, REORG, "agnostic_fit"),
        # A 技改 does not need a platform: listing no industry is a gap there.
        (
            {"name": "某县国有资本投资运营有限公司", "kind": "local_soe"},
            DiagnosisCategories.from_mapping({"tech_upgrade": 1.0}),
            "agnostic",
        ),
        # An equity fund's sectors are its fit outside the financial treatments.
        # (a growth fund listing 战投; the helper's default lists 兼并重组, see below).
        (
            {"name": "某成长基金", "kind": "pe_vc", "treatment_types": ("strategic_investment",)},
            MERGER,
            "agnostic",
        ),
        # ... but a financier that lists 兼并重组 itself finances the buyer of any trade (issue 14),
        (
            {
                "name": "某并购基金",
                "kind": "industrial_fund",
                "treatment_types": ("merger_restructuring",),
            },
            MERGER,
            "agnostic_fit",
        ),
        # in a merger only, and an AMC that does not list 兼并重组 is trade-free in claims alone.
        (
            {
                "name": "某并购基金",
                "kind": "industrial_fund",
                "treatment_types": ("merger_restructuring",),
            },
            DiagnosisCategories.from_mapping({"strategic_investment": 1.0}),
            "agnostic",
        ),
        (
            {"name": "某资产管理公司", "kind": "amc", "treatment_types": ("debt_restructuring",)},
            MERGER,
            "agnostic",
        ),
        ({"name": "某成长基金", "kind": "pe_vc"}, DEBT, "agnostic_fit"),
        # A 重整 recruits investors: the AMC, the platform and a buyer listing no trade fit;
        # a law firm or an accountant serves the administrator but invests in none.
        ({"name": "某资产管理有限公司", "kind": "amc"}, REORG, "agnostic_fit"),
        ({"name": "某实业集团有限公司", "kind": "private_leader"}, REORG, "agnostic_fit"),
        ({"name": "某律师事务所", "kind": "other"}, REORG, "agnostic"),
        ({"name": "某会计师事务所（特殊普通合伙）", "kind": "other"}, REORG, "agnostic"),
        ({"name": "某拍卖有限公司", "kind": "other"}, REORG, "agnostic"),
        # …while a 债务重组's plan is the accountant's work: still a fit there.
        ({"name": "某会计师事务所（特殊普通合伙）", "kind": "other"}, DEBT, "agnostic_fit"),
    ],
)
def test_listing_no_industry_fits_when_the_role_serves_any_trade(
    kw: dict[str, object], dx: DiagnosisCategories, level: str
) -> None:
    p = partner("P", industries=(), asset_interests=(), **kw)
    assert INDUSTRY.pair(query(enterprise(industry_code="C2911"), dx), p, ctx()).level == level


@pytest.mark.parametrize(
    ("description", "industries", "text", "dx", "level"),
    [
        (
            "bare 51, its goods named",
            ("F51",),
            "大宗商品供应链，进入橡胶轮胎领域",
            REORG,
            "trade_chain",
        ),
        (
            "bare 51, in a merger too",
            ("F51",),
            "大宗商品供应链，进入橡胶轮胎领域",
            MERGER,
            "trade_chain",
        ),
        ("its own goods' wholesale code", ("F5172",), "配件分销", REORG, "trade_chain"),
        ("an input's trader is a supplier", ("F5169",), "化工原料分销", REORG, "else"),
        ("another chain's goods", ("F51",), "钢铁、铁矿石大宗商品贸易", REORG, "else"),
        ("a trader is no buyer in relief", ("F51",), "橡胶轮胎供应链", RELIEF, "else"),
        (
            "its own maker's code is better",
            ("F51", "C2911"),
            "橡胶轮胎供应链",
            REORG,
            "same_xiaolei",
        ),
        ("goods named, no 51 code", ("A0141",), "橡胶轮胎供应链", REORG, "else"),
    ],
)
def test_a_trader_of_the_chain_is_a_buyer_in_a_reorganisation(
    description: str,
    industries: tuple[str, ...],
    text: str,
    dx: DiagnosisCategories,
    level: str,
) -> None:
    """A supply-chain group under 51 whose goods (codes or description) are of the tyre maker's
    own chain is at trade_chain in a 重整 or 兼并重组 (fixtures/industry_chain.toml)."""
    p = partner("P", industries=industries, capabilities=text, interests="", kind="local_soe")
    got = INDUSTRY.pair(query(enterprise(industry_code="C2911"), dx), p, ctx())
    assert got.level == level, description
    if level == "trade_chain":
        assert "供应链贸易覆盖" in got.detail


def test_agnostic_asset_category_needs_matching_interest() -> None:
    p = partner("P", industries=(), asset_interests=("mining_right",))
    assert INDUSTRY.pair(query(enterprise(), ASSETS), p, ctx()).level == "agnostic"


@pytest.mark.parametrize(
    ("description", "a", "b", "expected"),
    [
        ("tyre in rubber cluster", "C2911", "C2921", SAME_CLUSTER),
        ("chemicals feed rubber", "C2614", "C2911", ADJACENT_CLUSTER),
        ("crude oil to chemicals", "C2511", "C2614", SAME_CLUSTER),
        ("rubber feeds auto", "C2921", "C3670", ADJACENT_CLUSTER),
        ("vegetables and tyres", "A0141", "C2911", NO_CHAIN),
    ],
)
def test_chain_relation(description: str, a: str, b: str, expected: int) -> None:
    assert chain().relation(a, b)[0] == expected, description


@pytest.mark.parametrize(
    ("description", "deal", "lo", "hi", "level"),
    [
        ("no estimate", (None, ""), 100.0, 200.0, "null"),
        ("no bounds means any size", (150.0, ""), None, None, "inside"),
        ("inside", (150.0, ""), 100.0, 200.0, "inside"),
        ("on the bound", (200.0, ""), 100.0, 200.0, "inside"),
        ("open-ended above", (1e6, ""), 100.0, None, "inside"),
        ("near above", (350.0, ""), 100.0, 200.0, "near"),
        ("near below", (60.0, ""), 100.0, 200.0, "near"),
        ("far above", (550.0, ""), 100.0, 200.0, "far"),
        ("far below", (40.0, ""), 100.0, 200.0, "far"),
        ("beyond 3x above", (700.0, ""), 100.0, 200.0, "else"),
        ("beyond 3x below", (30.0, ""), 100.0, 200.0, "else"),
    ],
)
def test_deal_size_levels(
    description: str, deal: tuple[float | None, str], lo: float | None, hi: float | None, level: str
) -> None:
    p = partner("P", ticket_min=lo, ticket_max=hi)
    assert DEAL_SIZE.pair(query(enterprise(), MERGER, deal), p, ctx()).level == level, description


def test_deal_size_uses_estimate_for_primary() -> None:
    # relief: the 3000万元 asked for; inside [1000, 5000].
    p = partner("P", ticket_min=1000.0, ticket_max=5000.0)
    c = DEAL_SIZE.pair(query(enterprise(), RELIEF), p, ctx())
    assert c.level == "inside"
    assert "3000万元" in c.detail


@pytest.mark.parametrize(
    ("description", "regions", "level"),
    [
        ("no preference", (), "null"),
        ("county named", ("临淄区",), "county"),
        ("city named", ("淄博市",), "city"),
        ("province named", ("山东省",), "province"),
        ("county beats province", ("山东省", "临淄区"), "county"),
        ("elsewhere", ("河南省", "郑州市"), "else"),
    ],
)
def test_region_levels(description: str, regions: tuple[str, ...], level: str) -> None:
    p = partner("P", preferred_regions=regions)
    assert REGION.pair(query(enterprise(), MERGER), p, ctx()).level == level, description


@pytest.mark.parametrize(
    ("description", "interests", "assets", "dx", "level"),
    [
        ("partner wants nothing", (), None, ASSETS, "null"),
        ("enterprise owns nothing", ("plant",), (), ASSETS, "null"),
        ("idle plant wanted", ("plant",), None, ASSETS, "idle_covered"),
        ("only the busy equipment", ("equipment",), None, ASSETS, "covered"),
        ("liquidation: every asset counts", ("equipment",), None, EXIT, "idle_covered"),
        ("nothing in common", ("mining_right",), None, ASSETS, "else"),
        (
            "unknown asset type counts as none",
            ("plant",),
            (Asset(type="spaceship"),),
            ASSETS,
            "null",
        ),
    ],
)
def test_asset_levels(
    description: str,
    interests: tuple[str, ...],
    assets: tuple[Asset, ...] | None,
    dx: DiagnosisCategories,
    level: str,
) -> None:
    e = enterprise() if assets is None else enterprise(assets=assets)
    c = ASSET.pair(query(e, dx), partner("P", asset_interests=interests), ctx())
    assert c.level == level, description


def test_asset_weight_scales_with_category() -> None:
    p = partner("P", asset_interests=("plant",))
    strong = ASSET.pair(query(enterprise(), ASSETS), p, ctx()).weight
    weak = ASSET.pair(query(enterprise(), RELIEF), p, ctx()).weight
    assert strong > weak > 0


@pytest.mark.parametrize(
    ("description", "kind", "dx", "level"),
    [
        ("no diagnosis", "bank", None, "null"),
        ("bank for relief", "bank", RELIEF, "typical"),
        ("bank for merger", "bank", MERGER, "else"),
    ],
)
def test_kind_levels(
    description: str, kind: str, dx: DiagnosisCategories | None, level: str
) -> None:
    assert KIND.pair(query(enterprise(), dx), partner("P", kind=kind), ctx()).level == level


@pytest.mark.parametrize(
    ("description", "partner_kw", "expected"),
    [
        ("passes", {}, ()),
        ("inactive", {"active": False}, ("合作方已停止合作",)),
        ("region not accepted", {"preferred_regions": ("河南省",)}, ("企业不在合作方接受的地区",)),
        ("excluded by prefix", {"excluded_industries": ("C29",)}, ("企业行业在合作方排除行业内",)),
        ("excluded exactly", {"excluded_industries": ("C2911",)}, ("企业行业在合作方排除行业内",)),
        ("sibling not excluded", {"excluded_industries": ("C2912",)}, ()),
        (
            "digits-only exclusion",
            {"excluded_industries": ("29",)},
            ("企业行业在合作方排除行业内",),
        ),
        (
            "ticket beyond 3x",
            {"ticket_min": 50000.0, "ticket_max": None},
            ("交易规模与合作方区间相差3倍以上",),
        ),
    ],
)
def test_hard_filters(
    description: str, partner_kw: dict[str, object], expected: tuple[str, ...]
) -> None:
    reasons = hard_filter_reasons(query(enterprise(), RELIEF), partner("P", **partner_kw), ctx())
    assert reasons == expected, description


def test_ticket_filter_can_be_switched_off() -> None:
    cfg = dataclasses.replace(MatcherConfig(), ticket_filter=False)
    p = partner("P", ticket_min=50000.0, ticket_max=None)
    assert hard_filter_reasons(query(enterprise(), RELIEF, config=cfg), p, ctx(cfg)) == ()


def test_every_component_starts_null_and_ends_else() -> None:
    for component in STANDARD_REGISTRY.components:
        assert component.labels[0] == "null", component.name
        assert component.labels[-1] == "else", component.name
        assert all(level.title for level in component.levels), component.name


def test_declared_default_weights_are_the_shipped_weights() -> None:
    """The levels' default weights (MatcherConfig()) and the weights file agree."""
    shipped = MatcherConfig.from_toml(FIXTURES / "matcher_config.toml")
    assert shipped == MatcherConfig()
    assert shipped.levels == STANDARD_REGISTRY.default_levels()


def test_diagnosis_rejects_unknown_category() -> None:
    with pytest.raises(ValueError):
        DiagnosisCategories.from_mapping({"bailout": 1.0})
    with pytest.raises(ValueError):
        DiagnosisCategories.from_mapping({})


def test_categories_from_the_diagnosis_engine_result() -> None:
    @dataclasses.dataclass(frozen=True)
    class Item:
        code: str
        probability: float

    @dataclasses.dataclass(frozen=True)
    class Result:
        primary: str
        categories: tuple[Item, ...]

    result = Result("debt_restructuring", (Item("debt_restructuring", 0.6), Item("relief", 0.3)))
    dx = DiagnosisCategories.from_diagnosis(result)
    assert dx.primary == "debt_restructuring"
    assert dx.secondaries(0.2) == ("relief",)


def test_a_lender_takes_part_in_a_tech_upgrade_and_an_equity_fund_does_not() -> None:
    """A 技改's equipment is financed by a loan or a lease: a lessor listing 纾困 is `partial`;
    an investor listing only 战投 brings no process and stays at `else`."""
    tech = DiagnosisCategories.from_mapping({"tech_upgrade": 1.0})
    lessor = partner("L", name="某融资租赁有限公司", kind="bank", treatment_types=("relief",))
    fund = partner("F", kind="pe_vc", treatment_types=("strategic_investment",))
    got = TREATMENT.pair(query(enterprise(), tech), lessor, ctx())
    assert got.level == "partial"
    assert "设备融资租赁" in got.detail
    assert TREATMENT.pair(query(enterprise(), tech), fund, ctx()).level == "else"


STRATEGIC = DiagnosisCategories.from_mapping({"strategic_investment": 1.0})


@pytest.mark.parametrize(
    ("description", "industries", "dx", "level"),
    [
        ("the same trade leads a merger", ("C2911",), MERGER, "lead"),
        ("the same chain cluster (汽车及零部件) leads", ("C3670",), MERGER, "lead"),
        ("a neighbouring cluster (化工 → 橡胶) does not lead", ("C2614",), MERGER, "off_trade"),
        ("only the same 门类 (a meat packer) does not lead", ("C1351",), MERGER, "off_trade"),
        ("nothing in common (a farm)", ("A0141",), MERGER, "off_trade"),
        ("nor in a strategic investment", ("C1351",), STRATEGIC, "off_trade"),
        ("nor in a reorganisation", ("C1351",), REORG, "off_trade"),
        ("listing no industry says nothing: it stays the lead", (), MERGER, "lead"),
        (
            "a debt restructuring asks no trade of its industrial support",
            ("C1351",),
            DEBT,
            "support",
        ),
    ],
)
def test_an_industrial_firm_of_another_trade_does_not_lead(
    description: str, industries: tuple[str, ...], dx: DiagnosisCategories, level: str
) -> None:
    """Issue 14: the investor who leads a 战投, 兼并重组 or 重整 is of the tyre maker's trade or
    chain; a firm outside both that lists 兼并重组 weighs as a role the case rarely needs."""
    p = partner("P", industries=industries, asset_interests=())
    got = STANDARD_REGISTRY.component("role").pair(query(enterprise(), dx), p, ctx())
    assert got.level == level, description
    if level == "off_trade":
        assert got.weight == MatcherConfig().levels["role"]["else"] < 0
        assert "不在企业的行业或产业链内" in got.detail


def test_an_unknown_enterprise_code_leaves_the_role_alone() -> None:
    """Unknown is not a fact: without the enterprise's code no trade is outside."""
    p = partner("P", industries=("C1351",))
    got = STANDARD_REGISTRY.component("role").pair(
        query(enterprise(industry_code=None), MERGER), p, ctx()
    )
    assert got.level == "lead"
