"""Signals an officer weighs, extracted from one profile as plain numbers.

Every rule and the learned model read the same flat mapping, so a reason
like "资产负债率 112%" and the model's feature come from one computation.
Financial ratios come from `compute_indicators`; figures missing from the
form are first filled in from prose (see `matcher.prose`).  Text cues are
counted per family of phrases, ignoring a phrase right after a negation
("未抽贷", "无逾期"), and the 诉求 text is counted apart from the situation,
because what an owner asks for ("想找个大集团入股") is weaker evidence than
what the enterprise is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from matcher.indicators import compute_indicators
from matcher.profile import EnterpriseProfile, Financials
from matcher.prose import parse_money_figures, parse_percent_figures, parse_stoppage_months
from matcher.text import normalize_zh

SignalValue = float | str | None

# Phrase families read from the situation (description, problems, strengths,
# asset descriptions).  Each counts distinct phrases found, not repetitions.
SITUATION_CUES: dict[str, tuple[str, ...]] = {
    "orders": (
        "订单不少",
        "订单多",
        "做不过来",
        "手上订单",
        "有订单",
        "在手订单",
        "订单已排",
        "订单饱满",
        "订单充足",
        "订单稳定",
        "排产",
        "愿意下单",
        "订单排至",
        "订单增长",
        "供不应求",
        "客户稳定",
        "销路稳定",
        "回款正常",
    ),
    "no_orders": (
        "无订单",
        "没有订单",
        "订单流失",
        "订单断崖",
        "订单基本流失",
        "客户流失",
        "被市场淘汰",
        "无市场",
        "产品滞销",
        "市场萎缩殆尽",
    ),
    "liquidity_gap": (
        "即将到期",
        "周转",
        "收回再贷",
        "收贷",
        "催还",
        "抽贷",
        "断贷",
        "压贷",
        "贷款到期",
        "到期",
        "续贷",
        "过桥",
        "回款周期",
        "应收账款",
        "资金周转",
        "流动资金",
        "资金链紧张",
        "临时性",
        "短期资金",
        "缓释",
        "资金缺口",
        "收紧授信",
        "授信压降",
    ),
    "growth": (
        "做不过来",
        "效益很好",
        "厂子太小",
        "产能跟不上",
        "满负荷",
        "同比增长",
        "扩产",
        "供不应求",
        "产能不足",
        "订单已排至",
        "二期",
        "新建",
        "净利率",
        "市场占有率提升",
    ),
    "tech_strength": (
        "专利",
        "专精特新",
        "高新技术企业",
        "小巨人",
        "自研",
        "核心技术",
        "研发中心",
        "技术领先",
        "国产替代",
        "首台套",
        "发明",
    ),
    "licence": ("资质", "许可证", "牌照", "备案", "采矿权", "批文", "文号", "认证"),
    "customers_brand": (
        "品牌",
        "商标",
        "老字号",
        "知名客户",
        "供应商名录",
        "合格供应商",
        "长期客户",
        "渠道",
        "配套",
    ),
    "succession": (
        "岁了",
        "儿子",
        "女儿",
        "不回来",
        "没人接",
        "接手",
        "年龄大",
        "接班",
        "年逾",
        "年事已高",
        "二代",
        "子女无意",
        "后继无人",
        "退休",
    ),
    "small_weak": (
        "规模不大",
        "规模小",
        "管理跟不上",
        "规模偏小",
        "议价能力弱",
        "单一客户",
        "客户结构单一",
        "第一大客户",
        "管理薄弱",
        "管理粗放",
        "家族式管理",
        "缺乏管理",
        "抗风险能力弱",
    ),
    "chain_fit": ("龙头", "产业链", "供应链", "上下游", "配套多年", "协同"),
    "idle": (
        "空着",
        "没人用",
        "闲着",
        "荒废",
        "无人使用",
        "闲置",
        "空置",
        "搬迁",
        "停用",
        "未投产",
        "烂尾",
        "低效用地",
        "批而未供",
        "供而未用",
        "撂荒",
        "未利用",
        "长期未使用",
        "老厂区",
    ),
    "debt_stress": (
        "逾期",
        "起诉",
        "冻结",
        "财务费用",
        "展期",
        "债务重组",
        "利息",
        "债委会",
        "高息",
        "民间借贷",
        "还本付息",
        "偿债压力",
        "债务负担",
    ),
    "guarantee_chain": (
        "提供了担保",
        "提供担保",
        "担保的企业",
        "互保",
        "联保",
        "担保链",
        "担保圈",
        "代偿",
        "对外担保",
        "被担保企业",
    ),
    "insolvency": (
        "资不抵债",
        "破产",
        "重整",
        "管理人",
        "债权人申请",
        "受理",
        "预重整",
        "不能清偿到期债务",
    ),
    "going_concern": (
        "可复产",
        "保养完好",
        "完好",
        "核心团队",
        "技术团队",
        "仍有市场",
        "需求仍在",
        "恢复合作",
        "可续建",
        "仍在经营",
        "维持生产",
    ),
    "obsolete": (
        "明令淘汰",
        "属于淘汰",
        "看门",
        "工人都走了",
        "遣散",
        "淘汰类",
        "落后产能",
        "关停",
        "责令关闭",
        "注销",
        "无改造价值",
        "留守",
        "人去楼空",
        "轮候查封",
        "已无经营",
        "设备陈旧",
        "取缔",
        "吊销",
    ),
    "env_limits": (
        "环保",
        "排放",
        "能耗",
        "能效",
        "绩效分级",
        "限产",
        "超低排放",
        "工艺落后",
        "设备老化",
        "自动化低",
        "自动化程度低",
        "污水",
        "废气",
        "VOCs",
        "碳排放",
        "错峰生产",
        "整改",
        "不达标",
        "良品率",
        "毛利不足",
    ),
    "disputes": ("诉讼", "起诉", "仲裁", "纠纷", "强制执行", "失信", "被执行", "查封"),
    "no_strength": ("无明显核心优势", "无核心优势", "已过期", "已失效", "无技术", "无核心技术"),
}

# Phrase families read from the 诉求 (demands) text.
DEMAND_CUES: dict[str, tuple[str, ...]] = {
    "equity": ("股权融资", "战略投资者", "增资扩股", "入股", "引进投资", "出让", "投资方"),
    "loan": ("续贷", "贷款", "过桥", "展期", "应急转贷", "纾困", "授信", "不抽贷", "贴息"),
    "debt_deal": ("债务重组", "债转股", "降息", "留债", "债委会", "分期偿还", "化解担保"),
    "reorg_investor": ("重整投资人", "破产重整", "预重整", "重整"),
    "liquidation": ("清算", "注销", "拍卖", "处置资产", "破产清算", "有序退出", "清偿"),
    "merger": ("并购", "兼并", "收购", "控股权", "控制权", "整体转让", "被收购", "合并"),
    "asset_deal": ("出租", "盘活", "转让土地", "合作开发", "招商", "租赁", "闲置", "收储"),
    "tech_partner": (
        "技改",
        "技术改造",
        "技术合作",
        "技术合作伙伴",
        "改造",
        "升级",
        "节能",
        "环保设施",
        "数字化",
        "智能化",
    ),
}

_NEGATORS = ("无", "未", "没有", "不", "非", "尚未", "暂无", "没")

NUMERIC_SIGNALS: tuple[str, ...] = (
    (
        "debt_ratio",
        "overdue_share",
        "guarantee_share",
        "revenue_change",
        "profit_margin",
        "net_profit",
        "loss",
        "wage_arrears",
        "capacity_utilization",
        "employees",
        "halted_months",
        "partial_months",
        "idle_asset_value",
        "idle_asset_count",
        "idle_asset_share",
        "encumbered_asset_value",
        "seized_asset_count",
        "total_assets",
        "total_liabilities",
        "asset_turnover",
        "status_normal",
        "status_partial",
        "status_halted",
        "status_in_bankruptcy",
    )
    + tuple(f"cue_{k}" for k in SITUATION_CUES)
    + tuple(f"ask_{k}" for k in DEMAND_CUES)
)


def count_cues(text: str, phrases: tuple[str, ...]) -> int:
    """Count distinct phrases present and not right after a negation word.

    Args:
        text: normalised text.
        phrases: the family of phrases.

    Returns:
        How many phrases of the family occur un-negated.

    Example:
        >>> count_cues("银行未抽贷，贷款到期", ("抽贷", "到期"))
        1
    """
    found = 0
    for phrase in phrases:
        for match in re.finditer(re.escape(phrase), text):
            before = text[max(0, match.start() - 3) : match.start()]
            if not any(neg in before for neg in _NEGATORS):
                found += 1
                break
    return found


def _situation_text(profile: EnterpriseProfile) -> str:
    parts = [profile.description, profile.problems, profile.strengths]
    parts += [a.description for a in profile.assets]
    return normalize_zh("\n".join(p for p in parts if p))


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


def _financial_signals(profile: EnterpriseProfile, text: str) -> dict[str, SignalValue]:
    filled = fill_financials(profile)
    ind = compute_indicators(filled)
    fin = filled.financials
    pct = parse_percent_figures(text)
    debt_ratio = ind.debt_ratio if ind.debt_ratio is not None else pct.get("debt_ratio")
    revenue_change = ind.revenue_change
    if revenue_change is None:
        revenue_change = pct.get("revenue_change")
    idle_share = None
    if fin.total_assets and fin.total_assets > 0:
        idle_share = ind.idle_asset_value / fin.total_assets
    loss = None if fin.net_profit is None else float(fin.net_profit < 0)
    turnover = None
    if fin.annual_revenue is not None and fin.total_assets:
        turnover = fin.annual_revenue / fin.total_assets
    return {
        "debt_ratio": debt_ratio,
        "overdue_share": ind.overdue_share,
        "guarantee_share": ind.guarantee_share,
        "revenue_change": revenue_change,
        "profit_margin": ind.profit_margin,
        "net_profit": fin.net_profit,
        "loss": loss,
        "wage_arrears": fin.wage_arrears,
        "idle_asset_value": ind.idle_asset_value,
        "idle_asset_count": float(ind.idle_asset_count),
        "idle_asset_share": idle_share,
        "encumbered_asset_value": ind.encumbered_asset_value,
        "seized_asset_count": float(ind.seized_asset_count),
        "total_assets": fin.total_assets,
        "total_liabilities": fin.total_liabilities,
        "asset_turnover": turnover,
        "figures_source": figures_source(profile),
    }


def _operating_signals(
    profile: EnterpriseProfile, text: str, as_of_year: int
) -> dict[str, SignalValue]:
    pct = parse_percent_figures(text)
    utilisation = profile.capacity_utilization
    if utilisation is None:
        utilisation = pct.get("capacity_utilization")
    stoppage = parse_stoppage_months(text, as_of_year=as_of_year)
    status = profile.operating_status
    signals: dict[str, SignalValue] = {
        "operating_status": status,
        "capacity_utilization": utilisation,
        "employees": None if profile.employees is None else float(profile.employees),
        "halted_months": stoppage.get("halted_months"),
        "partial_months": stoppage.get("partial_months"),
    }
    for code in ("normal", "partial", "halted", "in_bankruptcy"):
        signals[f"status_{code}"] = float(status == code)
    return signals


def extract_signals(
    profile: EnterpriseProfile, *, as_of_year: int | None = None
) -> dict[str, SignalValue]:
    """Extract every signal the rules and the model use from one profile.

    Args:
        profile: the enterprise.
        as_of_year: the year "停产至今" counts to; defaults to the current year.

    Returns:
        Signal name → value.  Ratios are fractions (1.12 = 112%), money is
        万元, `cue_*`/`ask_*` are phrase counts, `operating_status` and
        `figures_source` are strings.  Unknown values are None, never 0.

    Example:
        >>> p = EnterpriseProfile(name="甲", problems="总资产1亿元，总负债1.12亿元")
        >>> round(extract_signals(p, as_of_year=2026)["debt_ratio"], 2)
        1.12
    """
    year = as_of_year if as_of_year is not None else dt.date.today().year
    situation = _situation_text(profile)
    demands = normalize_zh(profile.demands)
    signals: dict[str, SignalValue] = {}
    signals.update(_financial_signals(profile, situation + "\n" + demands))
    signals.update(_operating_signals(profile, situation, year))
    for family, phrases in SITUATION_CUES.items():
        signals[f"cue_{family}"] = float(count_cues(situation, phrases))
    for family, phrases in DEMAND_CUES.items():
        signals[f"ask_{family}"] = float(count_cues(demands, phrases))
    return signals
