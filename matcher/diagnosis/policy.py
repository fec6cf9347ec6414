"""The officer's reasoning: answers to the questions → a score per treatment, with reasons.

Each step below is one line of argument a senior officer would make out loud, e.g.
"资不抵债 and the licences and lines are intact, so 破产重整 rather than 清算", and
each adds weight to the categories it supports (or takes it from those it rules
out) with a reason that cites the figure or the quoted phrase.  Softmax turns the
summed scores into probabilities.  An unknown answer adds nothing either way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from matcher.diagnosis.evidence import Evidence, Finding
from matcher.diagnosis.phrases import Hit
from matcher.vocab import CATEGORIES

TEMPERATURE = 1.0
PRODUCING_STATUSES = ("normal", "partial")
"""The `vocab.OPERATING_STATUSES` of a firm still producing (正常生产、半停产): what the
out-of-court routes need."""
DEEP_INSOLVENCY = 1.5
"""Liabilities at 1.5× the assets or more: ordinary creditors would recover too little to
agree out of court, so the bankruptcy routes stay first even for a firm still producing."""
DEMAND_WEIGHT = 0.35
"""What the enterprise asks for is weak evidence: many files ask for the wrong thing."""

_DEMAND_CATEGORY = {
    "equity": "strategic_investment",
    "loan": "relief",
    "debt_deal": "debt_restructuring",
    "reorg_investor": "judicial_reorganization",
    "liquidation": "exit_liquidation",
    "merger": "merger_restructuring",
    "asset_deal": "asset_revitalization",
    "tech_partner": "tech_upgrade",
}


@dataclass(frozen=True)
class Contribution:
    """One argument: the categories it moves and the reason an officer can check."""

    weights: tuple[tuple[str, float], ...]
    reason: str


def _cite(finding: Finding) -> str:
    return finding.text + (f"（{'；'.join(finding.evidence[:2])}）" if finding.evidence else "")


def _quotes(ev: Evidence, family: str) -> str:
    return "、".join(ev.quotes(family, 2))


def _distress(ev: Evidence) -> list[Contribution]:
    f = ev.findings
    solv, court, core = f["solvency"], f["court"], f["core_business"]
    ratio = ev.numbers["debt_ratio"]
    petition = court.answer == "petition" and solv.answer in ("insolvent", "heavy", "unknown")
    if not (solv.answer == "insolvent" or court.answer == "proceedings" or petition):
        return []
    head = _cite(solv)
    if court.answer in ("proceedings", "petition"):
        head = _cite(court) + ("" if solv.answer == "unknown" else f"；{head}")
    # Insolvent on paper while still producing, and neither a court nor a creditor has
    # moved: the officer tries the out-of-court routes first (a 债委会, a white knight);
    # bankruptcy stays the fallback if the creditors cannot agree.
    out_of_court = (
        court.answer not in ("proceedings", "petition")
        and ev.status in PRODUCING_STATUSES
        and (ratio is None or ratio < DEEP_INSOLVENCY)
    )
    if out_of_court:
        weights: tuple[tuple[str, float], ...] = (
            ("judicial_reorganization", 0.6),
            ("exit_liquidation", 0.4),
            ("relief", -1.5),
            ("tech_upgrade", -1.0),
            ("strategic_investment", -0.4),
            ("merger_restructuring", -0.4),
            ("asset_revitalization", -0.8),
        )
        said = f"资不抵债但仍在生产，尚无破产申请：{head}"
    else:
        weights = (
            ("judicial_reorganization", 1.6),
            ("exit_liquidation", 1.4),
            ("relief", -1.5),
            ("strategic_investment", -1.5),
            ("tech_upgrade", -1.5),
            ("merger_restructuring", -1.0),
            ("asset_revitalization", -0.8),
        )
        said = f"已陷入破产境地：{head}"
    out = [Contribution(weights, said)]
    if ev.procedure is not None:
        out.append(_procedure(_OPENED, *ev.procedure))
    if ev.petitioned is not None:
        out.append(_procedure(_PETITIONED, *ev.petitioned))
    if court.answer != "proceedings" and solv.answer == "insolvent":
        out.append(
            Contribution(
                (("debt_restructuring", 1.6 if out_of_court else 0.8),),
                f"尚未进入司法程序，庭外债务重组仍可一试：{_cite(solv)}",
            )
        )
    if core.answer == "viable" and out_of_court:
        out.append(
            Contribution(
                (
                    ("debt_restructuring", 0.8),
                    ("strategic_investment", 0.8),
                    ("judicial_reorganization", 0.6),
                ),
                f"主业仍有价值，可在庭外重组债务或引入投资人：{_cite(core)}",
            )
        )
    elif core.answer == "viable":
        out.append(
            Contribution(
                (("judicial_reorganization", 2.2),),
                f"主业仍有挽救价值，宜招募重整投资人：{_cite(core)}",
            )
        )
    elif core.answer == "gone":
        out.append(
            Contribution(
                (("exit_liquidation", 2.4), ("judicial_reorganization", -0.8)),
                f"主业已无挽救价值：{_cite(core)}",
            )
        )
    elif core.answer == "weak":
        out.append(
            Contribution((("judicial_reorganization", 0.6),), f"主业尚有部分价值：{_cite(core)}")
        )
    if ratio is not None and ratio >= 1.8 and core.answer != "viable":
        out.append(
            Contribution(
                (("exit_liquidation", 1.0),), f"资产负债率 {ratio * 100:.0f}%，普通债权清偿率很低"
            )
        )
    return out


_OPENED: dict[str, tuple[tuple[tuple[str, float], ...], str]] = {
    "reorganisation": (
        (("judicial_reorganization", 1.6), ("exit_liquidation", -1.0)),
        "法院已开启重整程序，工作是招募重整投资人",
    ),
    "liquidation": (
        (("exit_liquidation", 1.6), ("judicial_reorganization", -1.0)),
        "法院已宣告破产或转入清算，工作是处置资产、清偿债务",
    ),
}
"""What the court opened decides the frame: within 重整 the officer recruits an investor
even where the business is weak (the court judged it worth trying); within 清算 the assets
are realised.  Strong enough to outweigh a weak core, not a court's own later turn."""


_PETITIONED: dict[str, tuple[tuple[tuple[str, float], ...], str]] = {
    "reorganisation": (
        (("judicial_reorganization", 0.8), ("exit_liquidation", -0.5)),
        "已申请的是重整",
    ),
    "liquidation": (
        (("exit_liquidation", 0.8), ("judicial_reorganization", -0.5)),
        "已申请的是破产清算",
    ),
}
"""A petition's procedure, half a ruling's weight: the court accepts what was petitioned,
but may still convert it."""


def _procedure(
    table: Mapping[str, tuple[tuple[tuple[str, float], ...], str]],
    procedure: str,
    hits: tuple[Hit, ...],
) -> Contribution:
    """The argument of `table` (_OPENED or _PETITIONED) for the procedure, quoting the file."""
    weights, reason = table[procedure]
    return Contribution(weights, f"{reason}：{'、'.join(h.quote() for h in hits[:2])}")


def _solvent_debt(ev: Evidence) -> list[Contribution]:
    f, n = ev.findings, ev.numbers
    out: list[Contribution] = []
    ratio, solv = n["debt_ratio"], f["solvency"]
    if solv.answer == "heavy":
        out.append(
            Contribution(
                (
                    ("debt_restructuring", 2.4),
                    ("judicial_reorganization", 0.5),
                    ("relief", -1.0),
                    ("strategic_investment", -1.2),
                ),
                f"高负债、尚未资不抵债，宜庭外债务重组：{_cite(solv)}",
            )
        )
    overdue = f["overdue"]
    if overdue.answer == "heavy":
        extra = 1.2 if ratio is not None and ratio >= 0.7 else 0.6
        out.append(
            Contribution(
                (("debt_restructuring", extra), ("relief", -0.4)), f"逾期债务较多：{_cite(overdue)}"
            )
        )
    elif overdue.answer == "some" and overdue.source == "text":
        out.append(
            Contribution((("debt_restructuring", 0.7),), f"存在逾期或民间借贷：{_cite(overdue)}")
        )
    g = f["guarantee_chain"]
    triggered = bool(n.get("guarantee_triggered"))
    weights: dict[str, tuple[tuple[str, float], ...]] = {
        "heavy": (("debt_restructuring", 2.4), ("relief", -0.6)),
        "medium": (("debt_restructuring", 2.0 if triggered else 1.0), ("relief", 0.3)),
        "light": (("relief", 0.5), ("debt_restructuring", 0.5 if triggered else 0.1)),
        "mentioned_triggered": (("debt_restructuring", 1.4),),
        "mentioned": (("debt_restructuring", 0.5),),
    }
    if g.answer in weights:
        out.append(Contribution(weights[g.answer], f"担保链：{_cite(g)}"))
    core = f["core_business"]
    if out and core.answer == "gone":
        # A restructured debt is repaid from the business; with no business left there is
        # nothing to restructure around, only assets to realise.
        out.append(
            Contribution(
                (("debt_restructuring", -1.8), ("exit_liquidation", 0.6)),
                f"主业已无价值，庭外债务重组无从依托：{_cite(core)}",
            )
        )
    if out and ev.count("operating_value"):
        out.append(
            Contribution(
                (("debt_restructuring", 0.5),),
                f"主业仍有经营现金流，值得保留：{_quotes(ev, 'operating_value')}",
            )
        )
    return out


def _nature(ev: Evidence) -> list[Contribution]:
    """The kind of difficulty, read from the words; each kind supports its treatment."""
    f, n, k = ev.findings, ev.numbers, ev.kinds
    ratio = n["debt_ratio"]
    solvent = ratio is None or ratio < 0.85
    out: list[Contribution] = []
    if k["policy_exit"]:
        w = 1.6 * min(k["policy_exit"], 2.0)
        out.append(
            Contribution(
                (
                    ("exit_liquidation", w),
                    ("asset_revitalization", 0.6),
                    ("tech_upgrade", -1.0),
                    ("strategic_investment", -1.0),
                ),
                f"政策性退出：{_quotes(ev, 'policy_exit')}",
            )
        )
    core = f["core_business"]
    if (
        core.answer == "gone"
        and f["court"].answer != "proceedings"
        and f["solvency"].answer != "insolvent"
    ):
        out.append(
            Contribution(
                (("exit_liquidation", 2.4), ("asset_revitalization", 0.5)),
                f"主业已无价值：{_cite(core)}",
            )
        )
    if k["capped"] and not k["policy_exit"]:
        w = 0.7 * min(k["capped"], 4.0)
        out.append(
            Contribution((("tech_upgrade", w),), f"受技术、能耗或环保约束：{_quotes(ev, 'capped')}")
        )
    if k["structural"]:
        w = 0.7 * min(k["structural"], 4.0)
        out.append(
            Contribution((("merger_restructuring", w),), f"结构性弱势：{_quotes(ev, 'structural')}")
        )
    if k["growth"] and (ratio is None or ratio < 0.8):
        w = 0.7 * min(k["growth"], 4.0)
        cap = n["capacity_utilization"]
        head = f"产能利用率 {cap * 100:.0f}%；" if cap is not None and cap >= 0.95 else ""
        out.append(
            Contribution(
                (("strategic_investment", w),), f"成长资金缺口：{head}{_quotes(ev, 'growth')}"
            )
        )
    if k["liquidity"] and solvent and core.answer != "gone":
        w = 0.6 * min(k["liquidity"], 4.0)
        out.append(Contribution((("relief", w),), f"阶段性流动性缺口：{_quotes(ev, 'liquidity')}"))
    idle = f["idle_assets"]
    if idle.answer == "idle_owner_sound":
        w = 2.4 if idle.source == "figures" else 1.6
        out.append(
            Contribution(
                (("asset_revitalization", w),), f"闲置资产可盘活，所有者经营健康：{_cite(idle)}"
            )
        )
    elif idle.answer == "idle_owner_distressed":
        out.append(
            Contribution(
                (("asset_revitalization", 0.8),), f"有闲置资产，但所有者自身困难：{_cite(idle)}"
            )
        )
    return out


def _asks(ev: Evidence) -> list[Contribution]:
    return [
        Contribution(
            ((_DEMAND_CATEGORY[family], DEMAND_WEIGHT),),
            f"企业诉求（参考，不作决定）：{hits[0].quote()}",
        )
        for family, hits in ev.asks.items()
        if hits
    ]


def contributions(ev: Evidence) -> list[Contribution]:
    """Every argument the evidence supports, in the order an officer would make them."""
    return _distress(ev) + _solvent_debt(ev) + _nature(ev) + _asks(ev)


def policy_scores(parts: list[Contribution]) -> dict[str, float]:
    scores = dict.fromkeys(CATEGORIES, 0.0)
    for part in parts:
        for code, weight in part.weights:
            scores[code] += weight
    return scores


def softmax(scores: Mapping[str, float], temperature: float = TEMPERATURE) -> dict[str, float]:
    """Scores → probabilities over the eight categories.

    Example:
        >>> round(softmax({"relief": 2.0, "tech_upgrade": 0.0})["relief"], 3)
        0.881
    """
    top = max(scores.values())
    exps = {k: math.exp((v - top) / temperature) for k, v in scores.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}


def category_reasons(code: str, parts: list[Contribution]) -> tuple[str, ...]:
    """The reasons for one category: supporting first (strongest first), then opposing."""
    pros = sorted(
        ((w, p.reason) for p in parts for c, w in p.weights if c == code and w > 0),
        key=lambda x: -x[0],
    )
    cons = sorted(
        ((w, p.reason) for p in parts for c, w in p.weights if c == code and w < 0),
        key=lambda x: x[0],
    )
    return tuple([f"支持：{r}" for _, r in pros] + [f"不利：{r}" for _, r in cons])
