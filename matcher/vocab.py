"""The closed vocabularies of the contract (shared/spec.md §1–§3, §5).

Kept as plain tuples and dicts so that the engine, the database schema, the API
and the page all draw the same codes and Chinese labels from one place.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "relief": "帮扶纾困",
    "strategic_investment": "引进战略投资者",
    "merger_restructuring": "兼并重组",
    "asset_revitalization": "资产盘活",
    "debt_restructuring": "债务重组",
    "judicial_reorganization": "破产重整",
    "exit_liquidation": "清算出清",
    "tech_upgrade": "技术改造升级",
}

OPERATING_STATUSES: dict[str, str] = {
    "normal": "正常生产",
    "partial": "半停产",
    "halted": "停产",
    "in_bankruptcy": "已进入破产程序",
}

ASSET_TYPES: dict[str, str] = {
    "land": "土地",
    "plant": "厂房",
    "equipment": "设备",
    "production_line": "生产线",
    "equity": "股权",
    "mining_right": "矿业权",
    "ip": "专利/品牌/资质",
    "inventory": "存货",
    "other": "其他",
}

FINANCIAL_FIELDS: dict[str, str] = {
    "total_assets": "总资产",
    "total_liabilities": "总负债",
    "overdue_debt": "逾期债务",
    "guarantee_exposure": "对外担保",
    "annual_revenue": "营业收入",
    "prior_revenue": "上年营业收入",
    "net_profit": "净利润",
    "wage_arrears": "欠薪金额",
}
"""An enterprise's reported figures (spec §1), in 万元, in the contract's order.

The one list of them: the engine's `profile.Financials`, the API schema, the
table's columns, the spreadsheet columns, the form and the case document are
all built from it.  A new figure is added here (and, being a column, in a
migration); a diagnosis signal that should use it reads it by this name.
"""

SIGNED_FINANCIAL_FIELDS: frozenset[str] = frozenset({"net_profit"})
"""The figures that may be negative (a loss); every other one is ≥ 0."""

ENCUMBRANCES: dict[str, str] = {"none": "无", "mortgaged": "抵押", "seized": "查封"}

PARTNER_KINDS: dict[str, str] = {
    "central_soe": "央企",
    "local_soe": "地方国企",
    "private_leader": "民营龙头",
    "foreign": "外资",
    "industrial_fund": "产业基金",
    "pe_vc": "私募/创投",
    "amc": "资产管理公司",
    "bank": "银行/金融机构",
    "research": "科研院所",
    "other": "其他",
}

# What a partner of each kind usually takes part in, used when its own
# `treatment_types` list is empty ("infer from kind", spec §2).  `other` covers
# guarantee firms, leasing companies, exchanges and administrators: too mixed to
# imply anything, so it implies nothing.
KIND_TREATMENTS: dict[str, tuple[str, ...]] = {
    "central_soe": ("strategic_investment", "merger_restructuring", "judicial_reorganization"),
    "local_soe": ("strategic_investment", "merger_restructuring", "asset_revitalization", "relief"),
    "private_leader": ("merger_restructuring", "strategic_investment", "asset_revitalization"),
    "foreign": ("strategic_investment", "tech_upgrade"),
    "industrial_fund": ("strategic_investment", "merger_restructuring"),
    "pe_vc": ("strategic_investment",),
    "amc": (
        "debt_restructuring",
        "judicial_reorganization",
        "asset_revitalization",
        "exit_liquidation",
    ),
    "bank": ("relief", "debt_restructuring"),
    "research": ("tech_upgrade",),
    "other": (),
}

REVIEW_STATUSES: dict[str, str] = {
    "shortlisted": "入选",
    "contacted": "已对接",
    "negotiating": "考察洽谈",
    "signed": "签约",
    "landed": "落地",
    "rejected": "不合适",
}

DEFAULT_PROVINCE = "山东省"
DEFAULT_CITY = "东营市"

# The plan of one enterprise (一企一策): where each measure stands.  Open
# measures (未启动、推进中) past their deadline are overdue.
MEASURE_STATUSES: dict[str, str] = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "done": "已完成",
    "cancelled": "已取消",
}
OPEN_MEASURE_STATUSES: tuple[str, ...] = ("not_started", "in_progress")

# Where the plan's treatment category came from: the engine's diagnosis, the
# officer's override of it, or one department's opinion in the consultation.
PLAN_CATEGORY_SOURCES: dict[str, str] = {
    "diagnosis": "诊断结果",
    "override": "人工改判",
    "opinion": "部门意见",
}
