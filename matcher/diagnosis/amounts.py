"""Figures written in prose: "总资产约3.2亿元、负债4.1亿元" → numbers in 万元.

Every common written form is read: 亿元/亿/千万/百万/万元/元, "3亿多", "200多万",
ranges ("2500万—6000万元" counts as the midpoint), and hedges (约、近、不足、不到).

About a fifth of the profiles officers send leave `financials` empty and put
the balance sheet in the 主要困难 text, in 万元 or 亿元.  A ratio computed from
those figures is as good as one from the form, so the engine reads them
rather than treating the enterprise as "unknown".  Only figures with a money
unit are taken: a bare number next to a label is more often a count or a date.
"""

from __future__ import annotations

import dataclasses
import math
import re

from matcher.profile import EnterpriseProfile, Financials
from matcher.text import normalize_zh

# Between a label and its number: a few non-digit, non-sentence-break chars
# such as 约, 为, 余额, （, 合计 — never a comma, so "负债可控，银行…" stays silent.
_GAP = r"[^，。；;,\d\n]{0,10}?"
# A number, an optional range end ("2500万—6000万元", "1.2至1.5亿元"), a unit and an
# optional 多/余 before or after it ("3亿多元", "200多万").
_NUM = r"\d+(?:\.\d+)?"
_MONEY = (
    r"(-?" + _NUM + r")\s*(?:多|余)?\s*(?:(?:千万|百万|亿|万)元?\s*(?=[-—–~～至到]))?"
    r"(?:[-—–~～至到]\s*(" + _NUM + r"))?\s*(?:多|余)?\s*"
    r"(亿元|亿|千万元|千万|百万元|百万|万元|万|元)(?:多|余)?"
)
_UNIT = {
    "亿元": 10000.0,
    "亿": 10000.0,
    "千万元": 1000.0,
    "千万": 1000.0,
    "百万元": 100.0,
    "百万": 100.0,
    "万元": 1.0,
    "万": 1.0,
    "元": 0.0001,
}

# Field → label patterns, most specific first.  The first match in the text wins.
_LABELS: dict[str, tuple[str, ...]] = {
    "total_assets": (
        r"(?:总资产|资产总额|资产总计|资产合计|账面总资产)",
        r"(?:资产评估值|资产估值|评估总值)",
        # bare "资产3亿元": only when the number follows at once, so
        # "闲置资产每年折旧约440万元" is not read as total assets
        r"(?<![净负闲固流无置])资产(?=\s*(?:约|为|达|共|合计|不到|不足|仅|只有|只剩)?\s*\d)",
        r"评估(?:资产|价值)",
    ),
    "total_liabilities": (
        r"(?:总负债|负债总额|负债合计|债务总额|各类债务)",
        r"(?<![资总])负债(?![率可])",
    ),
    "overdue_debt": (
        r"(?:逾期(?:债务|贷款|借款|欠款|本息|金额)|(?:贷款|借款|债务)逾期)",
        r"(?<!无)逾期(?!率)",
    ),
    "guarantee_exposure": (r"(?:对外担保|互保|联保|担保链|担保圈|为他人担保|担保余额)",),
    "wage_arrears": (r"(?:欠发|拖欠|欠)(?:职工|工人|员工)?(?:工资|薪酬)|欠薪",),
    "annual_revenue": (r"(?:上年|去年|上一年度|今年|年)?(?:营业收入|营收|销售收入|销售额)",),
    "prior_revenue": (r"前年",),
    # Not a form field: what the assets would fetch ("评估不足6000万元"), which an
    # officer weighs against the debt before the book value.
    "appraised_assets": (
        r"(?:资产评估值|资产估值|评估总值|评估资产|资产评估|评估价值|评估值|评估)",
    ),
}
_PERCENTS: dict[str, str] = {
    "debt_ratio": r"(?:资产负债率|负债率|资不抵债)",
    "capacity_utilization": r"(?:产能利用率|开工率|设备利用率)",
    "revenue_growth": r"(?:营业收入|营收|销售收入|销售额|收入)同比(?:增长|增加|上升)",
    "revenue_decline": r"(?:营业收入|营收|销售收入|销售额|收入)(?:同比)?(?:下降|下滑|减少|萎缩)",
}
_PCT_GAP = r"[^，。；;,\d\n]{0,6}?"
_LOSS = re.compile(r"(?:净利润|净利|利润)?" + _GAP + r"(?:净)?亏损" + _GAP + _MONEY)
_PROFIT = re.compile(r"(?:净利润|净利)(?!率)" + r"[^，。；;,\d\n亏]{0,6}?" + _MONEY)
_FROM_TO = re.compile(
    r"(?:营业收入|营收|销售收入|销售额)"
    + _GAP
    + r"由"
    + _MONEY
    + r"(?:下降|下滑|降|减少|增长|增加)?至"
    + _MONEY
)


def _to_wan(number: str, unit: str, upper: str | None = None) -> float:
    """万元 of "number[—upper] unit"; a range counts as its midpoint."""
    value = float(number) if upper is None else (float(number) + float(upper)) / 2.0
    return round(value * _UNIT[unit], 4)


def _money_of(match: re.Match[str], first: int) -> float:
    return _to_wan(match.group(first), match.group(first + 2), match.group(first + 1))


def _first_money(text: str, label: str) -> float | None:
    match = re.search("(?:" + label + ")" + _GAP + _MONEY, text)
    if match is None:
        return None
    value = _money_of(match, 1)
    return value if math.isfinite(value) else None


def parse_money_figures(text: str) -> dict[str, float]:
    """Read balance-sheet figures written in prose, converted to 万元.

    Args:
        text: officer-written text (problems, description…).

    Returns:
        Field name (as in `Financials`) → value in 万元, only for the fields
        found.  Net profit is negative when the text says 亏损.

    Example:
        >>> parse_money_figures("总资产约3.2亿元、负债4.1亿元，欠薪300万元")
        {'total_assets': 32000.0, 'total_liabilities': 41000.0, 'wage_arrears': 300.0}
    """
    clean = normalize_zh(text)
    found: dict[str, float] = {}
    for field_name, labels in _LABELS.items():
        for label in labels:
            value = _first_money(clean, label)
            if value is not None:
                found[field_name] = abs(value)
                break
    found.update(_revenue_from_to(clean))
    profit = _net_profit(clean)
    if profit is not None:
        found["net_profit"] = profit
    return found


def _revenue_from_to(text: str) -> dict[str, float]:
    match = _FROM_TO.search(text)
    if match is None:
        return {}
    prior = _money_of(match, 1)
    current = _money_of(match, 4)
    return {"prior_revenue": prior, "annual_revenue": current}


def _net_profit(text: str) -> float | None:
    loss = _LOSS.search(text)
    profit = _PROFIT.search(text)
    if loss is not None and (profit is None or loss.start() <= profit.start()):
        return -abs(_money_of(loss, 1))
    if profit is not None:
        return _money_of(profit, 1)
    return None


def parse_percent_figures(text: str) -> dict[str, float]:
    """Read ratios written as percentages ("负债率56%", "产能利用率约60%").

    Args:
        text: officer-written text.

    Returns:
        `debt_ratio`, `capacity_utilization` and `revenue_change` as fractions,
        only when found ("同比下降35%" gives revenue_change -0.35).

    Example:
        >>> parse_percent_figures("负债率56%，产能利用率约60%，营收同比下降35%")
        {'debt_ratio': 0.56, 'capacity_utilization': 0.6, 'revenue_change': -0.35}
    """
    clean = normalize_zh(text)
    found: dict[str, float] = {}
    for key, label in _PERCENTS.items():
        match = re.search(label + _PCT_GAP + r"(\d+(?:\.\d+)?)\s*%", clean)
        if match is None:
            continue
        value = float(match.group(1)) / 100.0
        if key == "revenue_growth":
            found.setdefault("revenue_change", value)
        elif key == "revenue_decline":
            found.setdefault("revenue_change", -value)
        else:
            found[key] = value
    return found


_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "半": 0.5,
}
_NUMBER = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十半]{1,3})"
_STOP_SINCE = re.compile(
    r"(\d{4})\s*年\s*(?:(\d{1,2})\s*月)?(?:份)?(?:(起|开始|以来)|底|初|末)?"
    r"[^，。；;\d\n]{0,6}?(半)?(?:停(?:产|工|业|了|掉)|关停|关门)"
)
_STILL = re.compile(r"^[^，。；;\n]{0,8}?(?:至今|迄今|以来|到现在|到目前|持续|一直|仍)")
"""Words after a dated stoppage that say it lasts until now ("2021年停产至今")."""
_YEAR = re.compile(r"(\d{4})\s*年")
_STOP_FOR = re.compile(
    r"(半)?停(?:产|工|业)(?:状态)?[^，。；;\d\n一二两三四五六七八九十半]{0,6}?"
    + _NUMBER
    + r"\s*(?:多)?\s*(个多?月|年|月)"
)


def parse_cn_number(token: str) -> float | None:
    """Parse "3", "2.5", "两", "十二", "二十", "半" into a number (None if not one).

    Example:
        >>> parse_cn_number("十二")
        12.0
    """
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    if not token or any(c not in _CN_DIGITS for c in token):
        return None
    if token == "半":
        return 0.5
    if "十" in token:
        tens, _, units = token.partition("十")
        return float((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0))
    return float(_CN_DIGITS[token[0]])


def parse_stoppage_months(
    text: str, *, as_of_year: int, status: str = "normal"
) -> dict[str, float]:
    """How long production has been stopped or half-stopped, in months.

    Reads "2021年起停产至今", "停产已3年", "半停产18个月", "停产半年".  A year
    without a month is taken as mid-year, so "2024年起停产" in 2026 is 24 months.  A
    stoppage dated as an event ("2020年初全面停产") with nothing saying it lasts
    (起、以来、至今、仍…, or a form saying 停产 now) counts until the latest year the
    text dates, not until `as_of_year`: the file says no more than that.

    Args:
        text: officer-written text.
        as_of_year: the year "至今" refers to.
        status: the operating status on the form; `halted` (`partial` for a half
            stoppage) says the stoppage lasts until now whatever the words.

    Returns:
        `halted_months` and/or `partial_months` when stated.

    Example:
        >>> parse_stoppage_months("2021年起停产至今", as_of_year=2026)
        {'halted_months': 60.0}
    """
    clean = normalize_zh(text)
    found: dict[str, float] = {}
    dated = [int(y) for y in _YEAR.findall(clean) if 1950 <= int(y) <= as_of_year]
    for match in _STOP_SINCE.finditer(clean):
        year, month, since, half = (
            int(match.group(1)),
            match.group(2),
            match.group(3),
            match.group(4),
        )
        if not 1950 <= year <= as_of_year:
            continue
        ongoing = (
            bool(since)
            or bool(_STILL.match(clean[match.end() :]))
            or status == ("partial" if half else "halted")
        )
        # "2020年初全面停产；2021年2月法院裁定重整" is known to last until the file's latest
        # dated event, not until today: a file about 2021 read in 2026 is not 6 years halted.
        until = as_of_year if ongoing else max(dated)
        months = 12.0 * (until - year) + (6 - int(month) if month else 0)
        found.setdefault("partial_months" if half else "halted_months", max(months, 1.0))
    for match in _STOP_FOR.finditer(clean):
        number = parse_cn_number(match.group(2))
        if number is None:
            continue
        months = number * 12.0 if match.group(3) == "年" else number
        found.setdefault("partial_months" if match.group(1) else "halted_months", months)
    return found


def fill_financials(profile: EnterpriseProfile) -> EnterpriseProfile:
    """Return the profile with form gaps filled from figures written in prose.

    A figure on the form always wins: the form is what the enterprise signed.

    Example:
        >>> p = EnterpriseProfile(name="甲", problems="总资产约3亿元，总负债3.3亿元")
        >>> fill_financials(p).financials.total_liabilities
        33000.0
    """
    prose = parse_money_figures("\n".join((profile.problems, profile.description)))
    current = dataclasses.asdict(profile.financials)
    merged = {k: (v if v is not None else prose.get(k)) for k, v in current.items()}
    if merged == current:
        return profile
    return dataclasses.replace(profile, financials=Financials(**merged))


def figures_source(profile: EnterpriseProfile) -> str:
    """Where the balance sheet came from: "form", "prose", "mixed" or "none"."""
    form = {k for k, v in dataclasses.asdict(profile.financials).items() if v is not None}
    filled = dataclasses.asdict(fill_financials(profile).financials)
    prose = {k for k, v in filled.items() if v is not None} - form
    if form and prose:
        return "mixed"
    return "form" if form else ("prose" if prose else "none")
