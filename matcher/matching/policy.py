"""The treatment policy: which engagements serve which treatment, and what each treatment weighs.

Three tables an officer can read and argue with, shipped in
fixtures/matcher_config.toml (these are their defaults, `MatcherConfig()`):

- `ENGAGEMENTS`: for the enterprise's primary treatment, which other
  engagements a partner lists make it a candidate anyway, at a level
  (`natural`: the usual taker of this case by another name; `partial`: can
  take part) with the Chinese reason shown on the result.  A partner listing
  the treatment itself is at `primary`; equality of codes alone missed the
  industrial buyer doing 兼并重组 who is in practice the 重整投资人.
- `TREATMENT_WEIGHTS`: how much industry, region, deal size, assets and the
  text count for each primary treatment (multipliers of the level weights and
  of the text weights), each with its reason.  Industry decides a merger and
  hardly matters to an auction house in a liquidation.
- `ROLE_NEEDS`: which partner roles (matcher.matching.roles) a treatment
  needs, the leading one first, and `CO_LEADS` the roles that lead it as well;
  the role component and the coverage step of the ranking read them.

Every number here was set by domain reasoning, not fitted to a labelled set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ENGAGEMENT_LEVELS = ("natural", "partial")
"""The levels of the engagement matrix, strongest first (besides `primary`)."""

WEIGHTED = ("industry", "region", "deal_size", "asset", "text")
"""What the per-treatment weights multiply: four rule components and the text similarities."""

ENGAGEMENTS: dict[str, dict[str, list[str]]] = {
    "relief": {
        "debt_restructuring": ["natural", "办理展期、贷款重组的金融机构同样能续贷纾困"],
        "strategic_investment": ["partial", "股权投资方可以增资缓解流动性"],
    },
    "strategic_investment": {
        "merger_restructuring": ["natural", "做兼并重组的产业方也常先参股再整合"],
        "tech_upgrade": ["partial", "技术方可以技术入股、合资"],
    },
    "merger_restructuring": {
        "strategic_investment": ["partial", "战略投资方取得控股即为兼并重组"],
        "judicial_reorganization": ["partial", "做重整投资的机构也收购困境企业"],
        "asset_revitalization": ["partial", "只承接资产的买方是并购的次要路径"],
    },
    "asset_revitalization": {
        "exit_liquidation": ["natural", "处置渠道（产权交易、拍卖、二手设备）同样服务盘活"],
        "merger_restructuring": ["partial", "产业方可收购或租赁闲置产线、厂房"],
    },
    "debt_restructuring": {
        "judicial_reorganization": ["partial", "做重整投资、共益债的机构也可承接庭外债务重组"],
        "strategic_investment": ["partial", "战略投资者可作债务重组的白衣骑士，以增资化债"],
        "relief": ["partial", "续贷、展期可作为债务重组的一部分"],
    },
    "judicial_reorganization": {
        "merger_restructuring": ["natural", "做兼并重组的产业方是天然的重整投资人"],
        "strategic_investment": ["partial", "战略投资者可作重整投资人"],
        "debt_restructuring": ["partial", "债务重组机构可提供共益债、收购债权"],
    },
    "exit_liquidation": {
        # partial, not natural: the estate is sold by auction or 产权交易, where an asset
        # taker is one bidder; the usual taker of a 清算 is the disposal channel (its role).
        "asset_revitalization": ["partial", "资产承接方可竞买清算中的资产"],
        "debt_restructuring": ["partial", "不良资产机构可收购债权、处置抵债资产"],
        "judicial_reorganization": ["partial", "破产程序的管理人、投资人也参与清算"],
    },
    "tech_upgrade": {
        # Not strategic_investment: a 技改 needs the process first, and an investor listing only
        # 战投 does not bring it.  The project money is a loan or a lease: the lenders take part.
        "relief": ["partial", "放贷、设备融资租赁的金融机构可为技改项目配套资金"],
    },
}

TREATMENT_WEIGHTS: dict[str, dict[str, float | str]] = {
    "relief": {
        "industry": 0.4,
        "region": 1.6,
        "deal_size": 1.2,
        "asset": 0.25,
        "text": 1.0,
        "reason": "纾困看资金缺口与属地：本地银行、担保、转贷基金，行业次要",
    },
    "strategic_investment": {
        "industry": 1.2,
        "region": 1.0,
        "deal_size": 1.0,
        "asset": 0.25,
        "text": 1.0,
        "reason": "战投看行业与成长性：同行业、同产业链的投资方",
    },
    "merger_restructuring": {
        "industry": 1.3,
        "region": 1.0,
        "deal_size": 1.0,
        "asset": 0.4,
        "text": 1.0,
        "reason": "兼并重组看产业协同：同行业、上下游的链主和撮合并购的平台",
    },
    "asset_revitalization": {
        "industry": 1.0,
        "region": 1.6,
        "deal_size": 1.0,
        "asset": 1.0,
        "text": 1.0,
        "reason": "资产盘活看资产类型与所在地；闲置产线、厂房多由同行业产能方承接，行业照常计",
    },
    "debt_restructuring": {
        "industry": 0.5,
        "region": 1.6,
        "deal_size": 0.6,
        "asset": 0.4,
        "text": 1.0,
        "reason": "债务重组由属地债权行、AMC分担，单一机构不必覆盖全部债务：属地要紧，规模行业次要",
    },
    "judicial_reorganization": {
        "industry": 1.3,
        "region": 1.0,
        "deal_size": 1.0,
        "asset": 0.5,
        "text": 1.0,
        "reason": "重整投资人通常是同行业或产业链的产业方，行业与兼并重组一样要紧",
    },
    "exit_liquidation": {
        "industry": 0.3,
        "region": 1.6,
        "deal_size": 0.7,
        "asset": 1.0,
        "text": 1.0,
        "reason": "清算看处置渠道、资产类型与属地，行业几乎不重要",
    },
    "tech_upgrade": {
        "industry": 1.2,
        "region": 0.8,
        "deal_size": 1.0,
        "asset": 0.25,
        "text": 1.2,
        "reason": "技改看技术是否对路：同行业的技术方，文本描述的工艺要紧",
    },
}

ROLE_NEEDS: dict[str, list[str]] = {
    "relief": ["financial", "platform"],
    "strategic_investment": ["industrial", "financial", "platform"],
    "merger_restructuring": ["industrial", "platform", "financial"],
    "asset_revitalization": ["industrial", "platform", "disposal", "financial"],
    "debt_restructuring": ["financial", "industrial", "professional"],
    "judicial_reorganization": ["industrial", "financial", "platform", "professional"],
    "exit_liquidation": ["disposal", "financial", "industrial", "professional"],
    "tech_upgrade": ["technology", "industrial", "financial"],
}


CO_LEADS: dict[str, list[str]] = {"strategic_investment": ["financial"]}
"""Further roles that lead a treatment alongside the first of its ROLE_NEEDS.

A 引进战投 brings in whoever takes the stake: the industry leader or the equity
fund (产业基金, PE) of the trade; both are first calls, so the fund is at the
role level `lead` and keeps the lead's free places in the coverage step."""


def weight_factor(part: str, without: float = 1.0) -> Callable[[Any, Any], float]:
    """A component's `factor`: the per-treatment weight of `part` (`without` before a diagnosis)."""

    def factor(query: Any, ctx: Any) -> float:
        if query.primary is None:
            return without
        return ctx.config.treatment_weight(query.primary, part)

    factor.__name__ = f"{part}_treatment_weight"
    return factor
