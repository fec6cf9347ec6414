"""A partner's home region, read from the place its name begins with.

In real judicial reorganisations the winning investor is often the debtor's own
province's or city's SOE or champion (吉林省吉盛资产、海南省发展控股、烟台市正大城建、
泉州发展集团…): the "local white knight".  Partners rarely state a home region,
but their names often begin with one, so the name is read against the GB/T 2260
division table the project already ships through python-stdnum (`cn/loc`, the
same table `matcher.credit_code` checks division codes against).

Only divisions still in force are used.  A province or prefecture may be named
with or without its suffix (山东省 / 山东, 烟台市 / 烟台); a county only with its
suffix (广饶县, 永康市), since two-character county stems (平安, 华发…) are too
often ordinary words.  A leading 中国 is skipped (中国吉林森林工业 → 吉林).  A
name that divisions of several provinces share (鼓楼区, 朝阳) gives no home, one that
divisions of one province share gives that province (吉林: 吉林省 and 吉林市): unknown is
not a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import numdb

_HISTORIC = re.compile(r"^\[(\d*)-(\d*)\]")
_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
)
_CITY_SUFFIXES = ("地区", "自治州", "盟", "市")
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位"}
_SKIPPED_PREFIXES = ("中国",)


@dataclass(frozen=True)
class HomeRegion:
    """Where a partner's name says it is from; finer parts empty when not named."""

    province: str
    city: str = ""
    county: str = ""


def _in_force(raw: str) -> str | None:
    """The division's name if it is still in force (`[1983-]广饶县` yes, `[-2010]崇文区` no)."""
    m = _HISTORIC.match(raw)
    if m is None:
        return raw
    return None if m.group(2) else raw[m.end() :]


def _stem(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _divisions() -> list[HomeRegion]:
    """Every province, prefecture and county in force, with its parents' names."""
    return list(_division_by_code().values())


@lru_cache(maxsize=1)
def _division_by_code() -> dict[str, HomeRegion]:
    """Six-digit GB/T 2260 code -> its division, for the divisions in force, in table order."""
    db = numdb.get("cn/loc")
    out: dict[str, HomeRegion] = {}
    cities: dict[str, str] = {}
    for line in _codes():
        info = db.info(line)
        if len(info) < 2 or "province" not in info[0][1] or "county" not in info[1][1]:
            continue
        province = _in_force(info[0][1]["province"])
        name = _in_force(info[1][1]["county"])
        if not province or not name or name in _PLACEHOLDERS:
            continue
        if line[2:] == "0000":
            # A municipality (重庆市) is its own city: the enterprise's city field says 重庆市 too.
            out[line] = HomeRegion(province, province if province.endswith("市") else "")
        elif line[4:] == "00":
            cities[line[:4]] = name
            out[line] = HomeRegion(province, name)
        else:
            # A municipality's districts (重庆市长寿区) have the municipality as their city.
            city = cities.get(line[:4], province if province.endswith("市") else "")
            out[line] = HomeRegion(province, city, name)
    return out


def _codes() -> list[str]:
    """The six-digit codes the table lists (its file, read through numdb's own parser)."""
    db = numdb.get("cn/loc")
    codes: list[str] = []

    def walk(prefix: str, level: list) -> None:
        for _length, low, high, _props, children in level:
            if low != high:  # ranges do not occur in cn/loc; skip rather than guess
                continue
            code = prefix + low
            if len(code) == 6:
                codes.append(code)
            walk(code, children)

    walk("", db.prefixes)
    return codes


@lru_cache(maxsize=1)
def place_names() -> dict[str, HomeRegion]:
    """Place name (full or stem) -> its division; ambiguous names left out."""
    found: dict[str, set[HomeRegion]] = {}
    for d in _divisions():
        if d.county:
            names = {d.county}
        elif d.city:
            names = {d.city, _stem(d.city, _CITY_SUFFIXES) or d.city}
        else:
            names = {d.province, _stem(d.province, _PROVINCE_SUFFIXES) or d.province}
        for name in names:
            found.setdefault(name, set()).add(d)
    out = {}
    for name, ds in found.items():
        common = _common(ds)
        if common is not None:
            out[name] = common
    return out


def _common(divisions: set[HomeRegion]) -> HomeRegion | None:
    """What every division sharing a name has in common (吉林 → 吉林省, whose city 吉林市
    shares the stem), or None when they lie in different provinces (鼓楼区)."""
    if len({d.province for d in divisions}) > 1:
        return None
    first = next(iter(divisions))
    if len(divisions) == 1:
        return first
    city = first.city if len({d.city for d in divisions}) == 1 else ""
    county = first.county if city and len({d.county for d in divisions}) == 1 else ""
    return HomeRegion(first.province, city, county)


@lru_cache(maxsize=1)
def _longest() -> int:
    return max((len(n) for n in place_names()), default=0)


@lru_cache(maxsize=65536)
def home_region(name: str) -> HomeRegion | None:
    """The division the partner's name begins with, the longest name first.

    Example:
        >>> home_region("烟台市正大城市建设发展有限公司")
        HomeRegion(province='山东省', city='烟台市', county='')
        >>> home_region("中国平安保险（集团）股份有限公司") is None
        True
    """
    names = place_names()
    text = name.strip()
    for prefix in _SKIPPED_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    longest = _longest()
    for size in range(min(longest, len(text)), 1, -1):
        found = names.get(text[:size])
        if found is not None:
            return found
    return None


def region_of_division_code(code: str) -> HomeRegion | None:
    """The division a six-digit code names; a code no longer in force gives its city or
    province where those still are (a credit code keeps the division it was issued in)."""
    table = _division_by_code()
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        found = table.get(candidate)
        if found is not None:
            return found
    return None


def enterprise_place(county: str, credit_code: str | None) -> HomeRegion | None:
    """Where an enterprise is, read from its county's name or its credit code.

    The county's name decides when GB/T 2260 gives it one province (张店区 → 山东省淄博市;
    市中区 lies in several and decides nothing); otherwise the credit code's characters
    3–8, the division that registered the enterprise.  None when neither says.
    """
    found = place_names().get(county.strip()) if county.strip() else None
    if found is not None and found.county:
        return found
    code = (credit_code or "").strip().upper()
    if len(code) == 18 and code[2:8].isdigit():
        by_code = region_of_division_code(code[2:8])
        if by_code is not None and (found is None or by_code.province == found.province):
            return by_code
    return found


def filled_region(
    province: str,
    city: str,
    county: str,
    credit_code: str | None,
    defaults: tuple[str, str],
) -> tuple[str, str]:
    """The enterprise's province and city, each missing one read from where its county or
    credit code places it, else the deployment's defaults.

    Why: an officer of 淄博 who types only 张店区 must not be filed under the default city;
    region levels would then call 东营's platforms local.  A place that contradicts a given
    province is not used (the officer's word stands), and the default city is only assumed
    inside the default province: a city of another province left blank stays unknown.
    """
    province, city = province.strip(), city.strip()
    if not (province and city):
        place = enterprise_place(county, credit_code)
        if place is not None and (not province or province == place.province):
            province = province or place.province
            city = city or place.city
    province = province or defaults[0]
    return province, city or (defaults[1] if province == defaults[0] else "")
