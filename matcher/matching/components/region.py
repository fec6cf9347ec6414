"""地区: the enterprise's county, city or province against the partner's preferred regions.

A partner with no preference is neutral; one whose preferences exclude the
enterprise's location is removed before ranking (`OUTSIDE_REGIONS`).  Unknown
is not a fact: when the enterprise's county is not given and the partner
names counties (…县, …区, …旗) but not the enterprise's city or province, the
enterprise may well be in one of them, so the level is `unknown`: no filter,
no bonus, and the reason says so.

A partner stating no region is neutral unless its name begins with the
enterprise's county, city or province (`home_*` levels: a modest bonus for
the local white knight, never a filter; a mismatch stays neutral), or it is a
platform (matcher.matching.roles) whose name places it in another province, or
a county's platform outside its county (`away`): a city's state capital group
does invest in a neighbouring city (泉州发展 in 漳州's 傲农), a county's does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.home_region import home_region
from matcher.industry import IndustryTable
from matcher.matching.arrays import levels_where, membership
from matcher.matching.component import Contribution, Key, Level, RuleComponent, level_filter
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.policy import weight_factor
from matcher.matching.roles import derive_role
from matcher.profile import PartnerProfile

HOME_REASON = "名称显示为{scope}（{name}）主体，本地纾困常由本地国企/龙头承接"
"""The `home_*` levels: a partner stating no region but whose name begins with the
enterprise's county, city or province (`matcher.home_region`).  Below the stated
county and city levels (a name is weaker evidence than a stated preference); the
province level is above the stated one, because a stated province is often one
of many a fund lists, while a provincial SOE or champion is the white knight the
province's government calls first.  A mismatch is neutral (`null`), never a penalty, but for
a platform out of its jurisdiction (`away`)."""

LEVELS = (
    Level("null", "不限地区", 0.0, "不限地区"),
    Level("county", "同县区", 1.0, "偏好地区含{name}"),
    Level("city", "同城市", 0.4, "偏好地区含{name}"),
    Level("province", "同省份", 0.1, "偏好地区含{name}"),
    Level(
        "unknown",
        "地区无法确定",
        0.0,
        "企业未填县区，无法确定是否在合作方偏好地区（{names}）内，不作筛选",
    ),
    Level("home_county", "本县区主体", 0.3, HOME_REASON.format(scope="本县区", name="{name}")),
    Level("home_city", "本市主体", 0.3, HOME_REASON.format(scope="本市", name="{name}")),
    Level("home_province", "本省主体", 0.2, HOME_REASON.format(scope="本省", name="{name}")),
    Level("away", "外地平台", -1.0, "名称显示为{name}的平台，地方平台服务本辖区"),
    Level("else", "不在偏好地区", -5.0, "不在合作方偏好地区"),
)
AWAY_ROLES = frozenset({"platform"})
"""Roles bound to the territory their name gives: a county's or a province's investment or
asset platform acts for its own government, in its own jurisdiction."""
COUNTY_SUFFIXES = ("县", "区", "旗")
"""Names ending so are county-level (a county-level 市 such as 邹平市 is not told apart)."""


def county_like(name: str) -> bool:
    return name.endswith(COUNTY_SUFFIXES)


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext, role: str = "") -> Contribution:
    """`role`: the partner's role code if the caller knows it ("": derived when needed,
    for a partner that states no region and names its home)."""
    e = q.enterprise
    regions = set(p.preferred_regions)
    if not regions:
        return _home(q, p, ctx, role)
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


def _home(q: MatchQuery, p: PartnerProfile, ctx: MatchContext, role: str) -> Contribution:
    e = q.enterprise
    home = home_region(p.name)
    if home is not None and (role or derive_role(p).code) in AWAY_ROLES:

        def differs(mine: str, theirs: str) -> bool:
            return bool(mine and theirs and mine != theirs)

        county = bool(home.county) and (
            differs(e.city, home.city) or differs(e.county, home.county)
        )
        if differs(e.province, home.province) or county:
            return REGION.verdict(q, ctx, "away", name=home.county or home.province)
    if home is not None:
        for label, mine, theirs in (
            ("home_county", e.county, home.county),
            ("home_city", e.city, home.city),
            ("home_province", e.province, home.province),
        ):
            if mine and mine == theirs:
                return REGION.verdict(q, ctx, label, name=mine)
    return REGION.verdict(q, ctx, "null")


@dataclass(frozen=True)
class RegionState:
    n: int
    regions: tuple[str, ...]
    region_mat: np.ndarray
    """(regions, partners): which partner prefers which region."""
    has_region_pref: np.ndarray
    has_county_pref: np.ndarray
    """Partners naming at least one county-level region."""
    home_names: tuple[str, ...] = ()
    home: np.ndarray | None = None
    """(3, partners): index into `home_names` of the province, city and county the
    partner's name begins with (`matcher.home_region`), -1 where not named."""
    bound: np.ndarray | None = None
    """Partners stating no region whose role is bound to their territory (AWAY_ROLES)."""


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> RegionState:
    regions, mat = membership([p.preferred_regions for p in partners])
    has = mat.any(axis=0) if len(regions) else np.zeros(len(partners), bool)
    county_rows = [i for i, r in enumerate(regions) if county_like(r)]
    counties = mat[county_rows].any(axis=0) if county_rows else np.zeros(len(partners), bool)
    homes = [home_region(p.name) for p in partners]
    parts = [[(h.province, h.city, h.county)[i] if h else "" for h in homes] for i in range(3)]
    home_names = tuple(sorted({name for part in parts for name in part if name}))
    lookup = {name: i for i, name in enumerate(home_names)}
    home = np.array([[lookup.get(n, -1) for n in part] for part in parts], dtype=np.int32)
    home = home.reshape(3, len(partners))
    roles = np.array([derive_role(p).code in AWAY_ROLES for p in partners], dtype=bool)
    bound = roles & ~has
    return RegionState(len(partners), regions, mat, has, counties, home_names, home, bound)


def _home_mask(state: RegionState, part: int, name: str) -> np.ndarray | None:
    """Partners stating no region whose home `part` (0 province, 1 city, 2 county) is `name`."""
    if not name or name not in state.home_names or state.home is None:
        return None
    return (state.home[part] == state.home_names.index(name)) & ~state.has_region_pref


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
    # …unless its name says it is from the enterprise's province, city or county.
    for part, label, name in (
        (0, "home_province", e.province),
        (1, "home_city", e.city),
        (2, "home_county", e.county),
    ):
        mask = _home_mask(state, part, name)
        if mask is not None:
            pairs.append((mask, REGION.index(label)))
    # …and a platform of another province, or a county's outside its county, is away.
    if state.bound is not None and state.home is not None:
        differs = []
        for part, name in enumerate((e.province, e.city, e.county)):
            mine = state.home_names.index(name) if name in state.home_names else -2
            named = state.home[part] >= 0
            differs.append(named & (state.home[part] != mine) if name else np.zeros_like(named))
        county = (state.home[2] >= 0) & (differs[1] | differs[2])
        away = differs[0] | county
        out = levels_where(state.n, REGION.index("else"), pairs)
        out[away & state.bound] = REGION.index("away")  # levels_where packs at most 8 masks
        return out
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
