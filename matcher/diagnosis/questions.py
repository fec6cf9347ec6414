"""Thin profiles are said to be thin: which missing facts would separate the top categories.

When the two leading treatments are close, the officer needs to know what to ask
next.  Each pair of categories has the fact that tells them apart; an unknown
answer to a question that matters adds its own request.  The list is short and in
the officer's words, best first.
"""

from __future__ import annotations

from matcher.diagnosis.evidence import Evidence

_PAIR_FACTS: dict[frozenset[str], str] = {
    frozenset(
        {"debt_restructuring", "judicial_reorganization"}
    ): "补充总资产与总负债（或资产评估值）可区分债务重组与破产重整",
    frozenset(
        {"judicial_reorganization", "exit_liquidation"}
    ): "补充产线是否完好、资质许可与客户是否仍在，可区分破产重整与清算出清",
    frozenset(
        {"debt_restructuring", "exit_liquidation"}
    ): "补充资产评估值与主业是否仍在经营，可区分债务重组与清算出清",
    frozenset(
        {"relief", "debt_restructuring"}
    ): "补充逾期债务与对外担保金额（是否已代偿），可区分帮扶纾困与债务重组",
    frozenset(
        {"relief", "strategic_investment"}
    ): "补充产能利用率和资金用途（到期周转还是扩产），可区分帮扶纾困与引进战投",
    frozenset(
        {"relief", "merger_restructuring"}
    ): "补充客户结构、规模和经营者意愿，可区分帮扶纾困与兼并重组",
    frozenset(
        {"relief", "tech_upgrade"}
    ): "补充是否受环保、能耗或工艺限产，可区分帮扶纾困与技术改造",
    frozenset(
        {"strategic_investment", "merger_restructuring"}
    ): "补充技术与订单是否领先、经营者是否愿意让渡控制权，可区分引进战投与兼并重组",
    frozenset(
        {"strategic_investment", "tech_upgrade"}
    ): "补充扩产需求还是环保能耗约束，可区分引进战投与技术改造",
    frozenset(
        {"merger_restructuring", "tech_upgrade"}
    ): "补充困难在规模与客户结构还是工艺、能耗、环保，可区分兼并重组与技术改造",
    frozenset(
        {"exit_liquidation", "tech_upgrade"}
    ): "补充是否属淘汰类或政策要求关停，可区分清算出清与技术改造",
    frozenset(
        {"exit_liquidation", "merger_restructuring"}
    ): "补充主业是否仍能经营、有无买方愿意整体承接，可区分兼并重组与清算出清",
}
_ASSET_FACT = "补充闲置资产清单（类型、面积、评估值、是否抵押查封），可判断资产盘活是否可行"
_UNKNOWN_FACTS: dict[str, str] = {
    "solvency": "补充总资产与总负债，可判断是否资不抵债",
    "overdue": "补充逾期债务金额",
    "core_business": "补充订单、资质许可、产线状态与主要客户，可判断主业是否仍有价值",
}
_DEBT_OR_COURT = {"debt_restructuring", "judicial_reorganization"}
_MATTERS: dict[str, set[str]] = {
    "solvency": {"debt_restructuring", "judicial_reorganization", "exit_liquidation", "relief"},
    "overdue": {"debt_restructuring", "relief"},
    "core_business": {"judicial_reorganization", "exit_liquidation", "merger_restructuring"},
}


def missing_facts(ranked: list[tuple[str, float]], ev: Evidence, *, close: float) -> list[str]:
    """The facts to ask next, for a diagnosis whose top two are within `close`.

    Args:
        ranked: (category, probability) best first.
        ev: the evidence the diagnosis read.
        close: how near the second category must be for its pair fact to be asked.

    Example:
        >>> missing_facts([("debt_restructuring", .4), ("judicial_reorganization", .35)],
        ...               ev, close=0.2)  # doctest: +SKIP
        ['补充总资产与总负债（或资产评估值）可区分债务重组与破产重整', ...]
    """
    facts: list[str] = []
    (first, p1), (second, p2) = ranked[0], ranked[1]
    top = {first} | ({second} if p1 - p2 < close else set())
    if len(top) == 2:
        pair = _PAIR_FACTS.get(frozenset(top))
        if pair:
            facts.append(pair)
        if "asset_revitalization" in top and not any(True for _ in ev.hits["idle"]):
            facts.append(_ASSET_FACT)
    solvency = ev.findings["solvency"]
    if solvency.source == "text" and first in _DEBT_OR_COURT:
        # Words say insolvent (or not), but only figures separate an out-of-court deal from court.
        facts.append(_PAIR_FACTS[frozenset({"debt_restructuring", "judicial_reorganization"})])
    for question, fact in _UNKNOWN_FACTS.items():
        if ev.findings[question].answer == "unknown" and top & _MATTERS[question]:
            facts.append(fact)
    return list(dict.fromkeys(facts))
