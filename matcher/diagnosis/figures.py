"""The figures an officer reads first: ratios and amounts from the form, else from prose.

The balance sheet on the form wins; gaps are filled from figures written in the text
("总资产约3亿元"), and a debt ratio written as a percentage ("负债率约92%") is used when
no amounts are given.  An appraisal written in the text ("评估不足6000万元") is weighed
against the debt when the form has no balance sheet.  Unknown stays None.
"""

from __future__ import annotations

from matcher.diagnosis.amounts import (
    fill_financials,
    parse_money_figures,
    parse_percent_figures,
    parse_stoppage_months,
)
from matcher.indicators import compute_indicators
from matcher.profile import EnterpriseProfile


def read_figures(profile: EnterpriseProfile, text: str, year: int) -> dict[str, float | None]:
    filled = fill_financials(profile)
    ind = compute_indicators(filled)
    fin = filled.financials
    prose = parse_money_figures("\n".join((profile.problems, profile.description)))
    pct = parse_percent_figures(text)
    form_ratio = compute_indicators(profile).debt_ratio
    ratio = ind.debt_ratio if ind.debt_ratio is not None else pct.get("debt_ratio")
    appraised = prose.get("appraised_assets")
    appraised_ratio = None
    if appraised and fin.total_liabilities and form_ratio is None:
        appraised_ratio = fin.total_liabilities / appraised
        ratio = max(ratio or 0.0, appraised_ratio)
    capacity = profile.capacity_utilization
    if capacity is None:
        capacity = pct.get("capacity_utilization")
    stop = parse_stoppage_months(text, as_of_year=year, status=profile.operating_status)
    idle = [a for a in profile.assets if a.idle]
    return {
        "debt_ratio": ratio,
        "debt_ratio_source": 1.0 if form_ratio is not None else 0.0,
        "appraised_ratio": appraised_ratio,
        "overdue_share": ind.overdue_share,
        "overdue_debt": fin.overdue_debt,
        "guarantee_share": ind.guarantee_share,
        "guarantee_exposure": fin.guarantee_exposure,
        "revenue_change": ind.revenue_change
        if ind.revenue_change is not None
        else pct.get("revenue_change"),
        "net_profit": fin.net_profit,
        "wage_arrears": fin.wage_arrears,
        "capacity_utilization": capacity,
        "employees": None if profile.employees is None else float(profile.employees),
        "halted_months": stop.get("halted_months"),
        "idle_count": float(len(idle)),
        "idle_value": sum(a.value or 0.0 for a in idle),
        "seized_count": float(sum(1 for a in profile.assets if a.encumbrance == "seized")),
        "has_figures": float(any(v is not None for v in (fin.total_assets, fin.total_liabilities))),
    }
