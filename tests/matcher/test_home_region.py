"""The partner's home region read from its name, and the region levels it earns."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.home_region import (
    HomeRegion,
    enterprise_place,
    filled_region,
    home_region,
    place_names,
    region_of_division_code,
)
from matcher.matching.components.region import REGION
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from matcher.profile import EnterpriseProfile
from tests.matcher.match_helpers import (
    HashEncoder,
    assert_forms_agree,
    chain,
    ctx,
    enterprise,
    partner,
    query,
    table,
)

REORG = DiagnosisCategories.from_mapping({"judicial_reorganization": 1.0})


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("吉林省吉盛资产管理有限责任公司", HomeRegion("吉林省")),
        ("山东翔龙实业集团有限公司", HomeRegion("山东省")),
        ("新疆中泰化学股份有限公司", HomeRegion("新疆维吾尔自治区")),
        ("烟台市正大城市建设发展有限公司", HomeRegion("山东省", "烟台市")),
        ("泉州发展集团有限公司", HomeRegion("福建省", "泉州市")),
        ("广饶县财金资产管理有限公司", HomeRegion("山东省", "东营市", "广饶县")),
        ("重庆两江股权投资基金管理有限公司", HomeRegion("重庆市", "重庆市")),
        ("中国吉林森林工业集团有限责任公司", HomeRegion("吉林省")),
        ("淄博市临淄区城投公司", HomeRegion("山东省", "淄博市")),
    ],
)
def test_home_region_from_the_name(name: str, home: HomeRegion) -> None:
    assert home_region(name) == home


@pytest.mark.parametrize(
    "name",
    [
        "中国平安保险（集团）股份有限公司",  # 平安 is a county stem, not a name with its suffix
        "德龙钢铁有限公司",
        "合作方P01",
        "鼓楼区某投资公司",  # several 鼓楼区: ambiguous, so no home
        "",
    ],
)
def test_no_home_when_no_place_is_named(name: str) -> None:
    assert home_region(name) is None


def test_place_names_come_from_the_division_table() -> None:
    names = place_names()
    assert names["山东"] == names["山东省"] == HomeRegion("山东省")
    assert names["临沭县"] == HomeRegion("山东省", "临沂市", "临沭县")
    assert "崇文区" not in names  # abolished in 2010
    assert "市辖区" not in names


@pytest.mark.parametrize(
    ("name", "regions", "level"),
    [
        ("淄博市临淄区城投公司", (), "home_city"),  # 临淄区 after 淄博市 is not read
        ("临淄区财金投资有限公司", (), "home_county"),
        ("淄博齐鲁投资有限公司", (), "home_city"),
        ("山东某产业集团有限公司", (), "home_province"),
        ("河南某产业集团有限公司", (), "null"),  # a mismatch is neutral, not a penalty
        ("山东某产业集团有限公司", ("河南省",), "else"),  # a stated preference rules
        ("临淄区财金投资有限公司", ("山东省",), "province"),
    ],
)
def test_home_region_levels(name: str, regions: tuple[str, ...], level: str) -> None:
    p = partner("P", name=name, preferred_regions=regions)
    got = REGION.pair(query(enterprise(), REORG), p, ctx())
    assert got.level == level
    if level.startswith("home_"):
        assert got.weight > 0
        assert "主体，本地纾困常由本地国企/龙头承接" in got.detail


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("郑州市城投集团有限公司", "away"),  # another province's platform
        ("潍坊市城投集团有限公司", "home_province"),  # a city's may invest in a neighbouring city
        ("广饶县城投集团有限公司", "away"),  # a county's platform serves its county
        ("淄博市城投集团有限公司", "home_city"),
        ("山东省国有资本投资运营有限公司", "home_province"),  # a provincial platform is at home
        ("城投集团有限公司", "null"),  # no place named
    ],
)
def test_a_platform_named_after_another_place_is_away(name: str, level: str) -> None:
    """A local government's platform acts in its own jurisdiction: out of it, `away` (a
    penalty, not the filter of a stated region).  An industrial firm so named stays neutral."""
    p = partner("P", name=name, kind="local_soe", industries=())
    got = REGION.pair(query(enterprise(), REORG), p, ctx())
    assert got.level == level
    if level == "away":
        assert got.weight < 0
        assert "地方平台服务本辖区" in got.detail


def test_home_levels_are_below_stated_county_and_city() -> None:
    levels = MatcherConfig().levels["region"]
    assert 0 < levels["home_county"] < levels["county"]
    assert 0 < levels["home_city"] < levels["city"]
    assert 0 < levels["home_province"] < levels["home_city"]


def _index() -> PartnerIndex:
    partners = [
        partner("A", name="临淄区财金投资有限公司"),
        partner("B", name="淄博齐鲁投资有限公司"),
        partner("C", name="山东某产业集团有限公司"),
        partner("D", name="河南某产业集团有限公司"),
        partner("E", name="山东某产业集团有限公司二", preferred_regions=("淄博市",)),
        partner("F", name="合作方F"),
        partner("G", name="潍坊市城投集团有限公司", kind="local_soe", industries=()),
        partner("H", name="郑州市城投集团有限公司", kind="local_soe", industries=()),
    ]
    emb = HashEncoder().encode([p.name for p in partners])
    return PartnerIndex.build(partners, emb, table())


def test_pool_form_agrees_with_the_pair_form() -> None:
    index = _index()
    for e in (enterprise(), enterprise(county=""), enterprise(province="河南省", city="郑州市")):
        assert_forms_agree(index, query(e, REORG), ctx())
    levels = REGION.pool(index.state("region"), query(enterprise(), REORG), ctx())
    got = [REGION.labels[i] for i in levels]
    assert got == [
        "home_county",
        "home_city",
        "home_province",
        "null",
        "city",
        "null",
        "home_province",
        "away",
    ]


def test_ranking_shows_the_home_reason() -> None:
    index = _index()
    results = rank_partners(
        enterprise(),
        REORG,
        index=index,
        encoder_or_query_embedding=HashEncoder(),
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
        limit=10,
        include_weak=True,
    )
    by_id = {r.partner_id: r for r in results}
    assert any("名称显示为本县区（临淄区）主体" in why for why in by_id["A"].reasons)
    assert not any("名称显示为" in why for why in by_id["D"].reasons)
    assert by_id["A"].components["region"] > by_id["D"].components["region"]
    assert np.isclose(by_id["D"].components.get("region", 0.0), 0.0)


DEFAULTS = ("山东省", "东营市")


def test_a_county_name_places_the_enterprise() -> None:
    assert enterprise_place("张店区", None) == HomeRegion("山东省", "淄博市", "张店区")
    assert enterprise_place("市中区", None) is None  # 济南、淄博、枣庄… and other provinces


def test_a_credit_code_places_the_enterprise_by_its_registration_division() -> None:
    code = "91371600" + "0" * 10
    assert enterprise_place("", code) == HomeRegion("山东省", "滨州市")
    # A county not in GB/T 2260 (a development zone) defers to the code.
    assert enterprise_place("东营经济技术开发区", code) == HomeRegion("山东省", "滨州市")
    # A code whose county part is not a division still gives its city.
    assert region_of_division_code("370599") == HomeRegion("山东省", "东营市")


def test_filled_region_keeps_what_was_given_and_defaults_only_at_home() -> None:
    assert filled_region("", "", "张店区", None, DEFAULTS) == ("山东省", "淄博市")
    assert filled_region("", "滨州市", "张店区", None, DEFAULTS) == ("山东省", "滨州市")
    assert filled_region("河北省", "", "张店区", None, DEFAULTS) == ("河北省", "")
    assert filled_region("", "", "", None, DEFAULTS) == DEFAULTS


def test_a_profile_read_from_a_case_file_is_placed_by_its_county() -> None:
    profile = EnterpriseProfile.from_dict({"name": "淄博某化工", "county": "临淄区"})
    assert (profile.province, profile.city) == ("山东省", "淄博市")
