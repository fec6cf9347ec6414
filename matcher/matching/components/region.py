"""地区: the enterprise's county, city or province against the partner's preferred regions.

A partner with no preference is neutral; one whose preferences exclude the
enterprise's location is removed before ranking (`OUTSIDE_REGIONS`).  Unknown
is not a fact: when the enterprise's county is not given and the partner
names counties (…县, …区, …旗) but not the enterprise's city or province, the
enterprise may well be in one of them, so the level is `unknown`: no filter,
no bonus, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.arrays import levels_where, membership
from matcher.matching.component import Contribution, Key, Level, RuleComponent, level_filter
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.policy import weight_factor
from matcher.profile import PartnerProfile

LEVELS = (
    Level("null", "不限地区", 0.0, "不限地区"),
    Level("county", "同县区", 0.5, "偏好地区含{name}"),
    Level("city", "同城市", 0.4, "偏好地区含{name}"),
    Level("province", "同省份", 0.1, "偏好地区含{name}"),
    Level(
        "unknown",
        "地区无法确定",
        0.0,
        "企业未填县区，无法确定是否在合作方偏好地区（{names}）内，不作筛选",
    ),
    Level("else", "不在偏好地区", -5.0, "不在合作方偏好地区"),
)
COUNTY_SUFFIXES = ("县", "区", "旗")
"""Names ending so are county-level (a county-level 市 such as 邹平市 is not told apart)."""


def county_like(name: str) -> bool:
    return name.endswith(COUNTY_SUFFIXES)


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> Contribution:
    e = q.enterprise
    regions = set(p.preferred_regions)
    if not regions:
        return REGION.verdict(q, ctx, "null")
    if e.county and e.county in regions:
        return REGION.verdict(q, ctx, "county", name=e.county)
    if e.city in regions:
        return REGION.verdict(q, ctx, "city", name=e.city)
    if e.province in regions:
        return REGION.verdict(q, ctx, "province", name=e.province)
    counties = sorted(r for r in regions if county_like(r))
    if not e.county and counties:
        return REGION.verdict(q, ctx, "unknown", names="、".join(counties))
    return REGION.verdict(q, ctx, "else")


@dataclass(frozen=True)
class RegionState:
    n: int
    regions: tuple[str, ...]
    region_mat: np.ndarray
    """(regions, partners): which partner prefers which region."""
    has_region_pref: np.ndarray
    has_county_pref: np.ndarray
    """Partners naming at least one county-level region."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> RegionState:
    regions, mat = membership([p.preferred_regions for p in partners])
    has = mat.any(axis=0) if len(regions) else np.zeros(len(partners), bool)
    county_rows = [i for i, r in enumerate(regions) if county_like(r)]
    counties = mat[county_rows].any(axis=0) if county_rows else np.zeros(len(partners), bool)
    return RegionState(len(partners), regions, mat, has, counties)


def pool(state: RegionState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    e = q.enterprise
    # Later pairs win: an unknown county first, any name that matches after it.
    pairs = [] if e.county else [(state.has_county_pref, REGION.index("unknown"))]
    pairs += [
        (state.region_mat[state.regions.index(name)], REGION.index(label))
        for label, name in (("province", e.province), ("city", e.city), ("county", e.county))
        if name and name in state.regions
    ]
    # A partner with no preference is null whatever the names say.
    pairs.append((~state.has_region_pref, REGION.index("null")))
    return levels_where(state.n, REGION.index("else"), pairs)


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    e = q.enterprise
    return (e.province, e.city, e.county)


REGION = RuleComponent(
    name="region",
    title="地区",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
    factor=weight_factor("region"),
)

OUTSIDE_REGIONS = level_filter(REGION, "else", "企业不在合作方接受的地区", name="outside_regions")
