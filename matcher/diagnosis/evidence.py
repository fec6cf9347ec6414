"""The officer's questions, each answered from the figures, else the text, else "unknown".

A senior officer deciding a treatment asks the same few things of every file: is the
enterprise insolvent; has a court or a creditor acted; is the core business still
worth something; what kind of difficulty is it (a passing liquidity gap, a
structural weakness, a technical/energy/environmental cap, a policy exit, a need for
growth capital); are there idle assets, and is their owner sound; how exposed is it
to a guarantee chain.  Each answer here names its source ("figures" from the form or
from figures written in prose, "text" from a quoted phrase, "unknown") and its
evidence, so a reason can cite the figure or the words.  Unknown is never silently
read as healthy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from matcher.diagnosis.figures import read_figures
from matcher.diagnosis.lexicon import DEMAND_FAMILIES, FAMILIES, Lexicon
from matcher.diagnosis.phrases import Hit, Passage, passage
from matcher.diagnosis.procedure import named_procedure, naming_procedure
from matcher.profile import EnterpriseProfile

FIGURES, TEXT, UNKNOWN = "figures", "text", "unknown"

QUESTIONS: dict[str, str] = {
    "solvency": "偿债能力（是否资不抵债）",
    "court": "法院与债权人行动",
    "core_business": "主业是否仍有价值",
    "difficulty": "困难的性质",
    "idle_assets": "闲置资产及其所有者是否健康",
    "guarantee_chain": "担保链风险",
    "overdue": "逾期债务",
}
"""Question code → its Chinese title (one home; the API and the page read it)."""

DIFFICULTY_KINDS: dict[str, str] = {
    "liquidity": "阶段性流动性缺口",
    "structural": "结构性弱势（规模、单一客户/工序、管理、接班）",
    "capped": "技术、能耗或环保约束",
    "policy_exit": "政策性退出（禁养区、生态红线、淘汰类、关停搬迁）",
    "growth": "成长资金缺口（产能不足、扩产）",
    "debt": "债务负担过重",
}
_VIABLE = ("orders", "licences", "intact", "brand_customers")
NEGATABLE = ("insolvent", "overdue", "guarantee", "idle")
"""Families whose negation is itself an answer ("无逾期" → no overdue debt, from the text)."""
BARE_STRENGTHS = {"无", "无。", "暂无", "没有", "无特别优势", "无特别优势。"}


@dataclass(frozen=True)
class Finding:
    """One question's answer: code, words, where it came from, and the evidence."""

    question: str
    answer: str
    text: str
    source: str
    evidence: tuple[str, ...] = ()
    value: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "title": QUESTIONS[self.question],
            "answer": self.answer,
            "text": self.text,
            "source": self.source,
            "evidence": list(self.evidence),
            "value": self.value,
        }


@dataclass(frozen=True)
class Evidence:
    """Every answer plus the counts and figures the policy and the model read."""

    findings: dict[str, Finding]
    hits: dict[str, list[Hit]]
    asks: dict[str, list[Hit]]
    numbers: dict[str, float | None]
    status: str
    kinds: dict[str, float] = field(default_factory=dict)
    procedure: tuple[str, tuple[Hit, ...]] | None = None
    """The procedure a court opened (`lexicon.PROCEDURES`) and the phrases naming it; None
    when no court has acted, or the file names none or both."""
    petitioned: tuple[str, tuple[Hit, ...]] | None = None
    """The procedure a petition asks for, when a petition is the court step (likewise)."""

    def count(self, family: str) -> int:
        return len(self.hits[family])

    def quotes(self, family: str, limit: int = 2) -> tuple[str, ...]:
        return tuple(h.quote() for h in self.hits[family][:limit])


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _wan(value: float) -> str:
    return f"{value / 10000:.2f}亿元" if abs(value) >= 10000 else f"{value:.0f}万元"


def _solvency(
    numbers: dict[str, float | None], ev: dict[str, list[Hit]], neg: list[Hit]
) -> Finding:
    ratio, source = numbers["debt_ratio"], numbers["debt_ratio_source"]
    words = ev["insolvent"]
    if ratio is not None:
        if ratio >= 1.0:
            code, text = "insolvent", "资不抵债"
        elif ratio >= 0.85:
            code, text = "heavy", "高负债但尚未资不抵债"
        elif ratio >= 0.7:
            code, text = "elevated", "负债偏高"
        else:
            code, text = "sound", "负债可控"
        if code != "insolvent" and words and source != 1.0:
            code, text = "insolvent", "资不抵债（文字所述）"
        shown = [f"资产负债率 {_pct(ratio)}"]
        if numbers.get("appraised_ratio") == ratio:
            shown = [f"资产负债率 {_pct(ratio)}（按资产评估值）"]
        elif numbers.get("appraised_ratio") is not None:
            shown.append(f"按评估值计 {_pct(numbers['appraised_ratio'] or 0.0)}")
        kind = FIGURES if source == 1.0 else TEXT
        return Finding(
            "solvency", code, text, kind, tuple(shown + [h.quote() for h in words[:1]]), ratio
        )
    if words:
        return Finding("solvency", "insolvent", "资不抵债（文字所述）", TEXT, (words[0].quote(),))
    if neg:
        return Finding("solvency", "not_insolvent", "文字称未资不抵债", TEXT, (neg[0].quote(),))
    return Finding("solvency", "unknown", "未知：缺少总资产与总负债", UNKNOWN)


def _court(profile: EnterpriseProfile, ev: dict[str, list[Hit]], seized: int) -> Finding:
    if profile.operating_status == "in_bankruptcy":
        quotes = tuple(h.quote() for h in ev["court_proceedings"][:1])
        return Finding(
            "court", "proceedings", "已进入破产程序", FIGURES, ("经营状态：已进入破产程序", *quotes)
        )
    if ev["court_proceedings"]:
        return Finding(
            "court", "proceedings", "法院已受理", TEXT, (ev["court_proceedings"][0].quote(),)
        )
    if ev["court_petition"]:
        return Finding(
            "court", "petition", "已有或拟提出破产申请", TEXT, (ev["court_petition"][0].quote(),)
        )
    shown = [f"{seized} 项资产被查封"] if seized else []
    shown += [h.quote() for h in ev["enforcement"][:2]]
    if shown:
        return Finding(
            "court",
            "enforcement",
            "债权人已采取查封、冻结或诉讼",
            FIGURES if seized else TEXT,
            tuple(shown),
        )
    return Finding("court", "none", "未见司法程序或强制措施", UNKNOWN)


def _core(
    profile: EnterpriseProfile, numbers: dict[str, float | None], ev: dict[str, list[Hit]]
) -> Finding:
    positive = sum(min(len(ev[f]), 2) for f in ("orders", "licences", "intact", "brand_customers"))
    gone = len(ev["gone"]) + len(ev["no_strength"])
    shown: list[str] = []
    capacity, halted = numbers["capacity_utilization"], numbers["halted_months"]
    source = TEXT
    if profile.strengths.strip() in BARE_STRENGTHS:
        gone += 1
        shown.append("核心优势：无")
    if halted is not None and halted >= 24:
        gone += 1
        shown.append(f"停产约 {halted:.0f} 个月")
    if (
        capacity is not None
        and capacity >= 0.5
        and profile.operating_status in ("normal", "partial")
    ):
        positive += 1
        source = FIGURES
        shown.append(f"产能利用率 {_pct(capacity)}")
    numbers["core_positive"], numbers["core_gone"] = float(positive), float(gone)
    if gone >= 2 or (gone >= 1 and positive <= 1):
        quotes = [h.quote() for h in (ev["gone"] + ev["no_strength"])[:2]]
        return Finding(
            "core_business", "gone", "主业已无价值或无法恢复", source, tuple(shown + quotes)
        )
    quotes = list(dict.fromkeys(h.quote() for f in _VIABLE for h in ev[f][:1]))
    if positive >= 2:
        return Finding(
            "core_business",
            "viable",
            "主业仍有价值（订单、资质、完好产线或客户）",
            source,
            tuple(shown + quotes[:3]),
        )
    if positive == 1:
        return Finding(
            "core_business", "weak", "主业价值证据有限", source, tuple(shown + quotes[:1])
        )
    return Finding("core_business", "unknown", "未知：未见订单、资质、产线或客户情况", UNKNOWN)


def _difficulty(
    numbers: dict[str, float | None], ev: dict[str, list[Hit]]
) -> tuple[Finding, dict[str, float]]:
    kinds = {
        kind: float(len(ev[kind]))
        for kind in ("liquidity", "structural", "capped", "policy_exit", "growth")
    }
    capacity = numbers["capacity_utilization"]
    if capacity is not None and capacity >= 0.95:
        kinds["growth"] += 1.0
    ratio = numbers["debt_ratio"]
    kinds["debt"] = float(len(ev["overdue"])) + (
        2.0 if ratio is not None and ratio >= 0.85 else 0.0
    )
    best = max(kinds, key=lambda k: (kinds[k], k))
    if kinds[best] <= 0:
        return Finding("difficulty", "unknown", "未知：文字未说明困难", UNKNOWN), kinds
    shown = [h.quote() for h in ev.get("overdue" if best == "debt" else best, [])[:2]]
    if best == "growth" and capacity is not None and capacity >= 0.95:
        shown.insert(0, f"产能利用率 {_pct(capacity)}")
    if best == "debt" and ratio is not None:
        shown.insert(0, f"资产负债率 {_pct(ratio)}")
    others = [
        DIFFICULTY_KINDS[k] for k in kinds if k != best and kinds[k] >= max(1.0, kinds[best] - 1)
    ]
    text = DIFFICULTY_KINDS[best] + (f"；兼有{'、'.join(others)}" if others else "")
    return Finding("difficulty", best, text, TEXT, tuple(shown), kinds[best]), kinds


def _idle(
    profile: EnterpriseProfile,
    numbers: dict[str, float | None],
    ev: dict[str, list[Hit]],
    denied: dict[str, list[Hit]],
) -> Finding:
    idle = [a for a in profile.assets if a.idle]
    ratio = numbers["debt_ratio"]
    sound = (ratio is not None and ratio < 0.7) or bool(ev["owner_sound"])
    owner = "所有者经营健康" if sound else "所有者自身困难"
    if idle:
        value = sum(a.value or 0.0 for a in idle)
        shown = [f"{len(idle)} 项闲置资产" + (f"，价值约{_wan(value)}" if value else "")]
        shown += [h.quote() for h in ev["idle"][:1]]
        code = "idle_owner_sound" if sound else "idle_owner_distressed"
        return Finding(
            "idle_assets", code, f"有闲置资产，{owner}", FIGURES, tuple(shown), value or None
        )
    if ev["idle"]:
        code = "idle_owner_sound" if sound else "idle_owner_distressed"
        return Finding(
            "idle_assets", code, f"文字提到闲置资产，{owner}", TEXT, (ev["idle"][0].quote(),)
        )
    if denied["idle"]:
        return Finding(
            "idle_assets", "none", "文字称无闲置资产", TEXT, (denied["idle"][0].quote(),)
        )
    return Finding(
        "idle_assets", "none", "未见闲置资产", UNKNOWN if not profile.assets else FIGURES
    )


def _guarantee(
    numbers: dict[str, float | None], ev: dict[str, list[Hit]], denied: dict[str, list[Hit]]
) -> Finding:
    share, exposure = numbers["guarantee_share"], numbers["guarantee_exposure"]
    triggered = bool(ev["guarantee_triggered"]) and bool(ev["guarantee"])
    numbers["guarantee_triggered"] = float(triggered)
    quotes = tuple(h.quote() for h in (ev["guarantee"] + ev["guarantee_triggered"])[:2])
    suffix = "，已触发代偿或被担保方逾期" if triggered else ""
    if share is not None and exposure:
        level = "heavy" if share >= 0.4 else ("medium" if share >= 0.1 else "light")
        words = {"heavy": "担保敞口重", "medium": "担保敞口中等", "light": "担保敞口轻"}[level]
        shown = (f"对外担保{_wan(exposure)}，占总资产 {_pct(share)}",) + quotes
        return Finding("guarantee_chain", level, words + suffix, FIGURES, shown, share)
    if ev["guarantee"]:
        level = "mentioned_triggered" if triggered else "mentioned"
        return Finding("guarantee_chain", level, "文字提到担保链" + suffix, TEXT, quotes)
    if exposure == 0:
        return Finding("guarantee_chain", "none", "无对外担保", FIGURES, ("对外担保 0",), 0.0)
    if denied["guarantee"]:
        quote = (denied["guarantee"][0].quote(),)
        return Finding("guarantee_chain", "none", "文字称无对外担保", TEXT, quote)
    return Finding("guarantee_chain", "none", "未见担保链", UNKNOWN)


def _overdue(
    numbers: dict[str, float | None], ev: dict[str, list[Hit]], denied: dict[str, list[Hit]]
) -> Finding:
    share, amount = numbers["overdue_share"], numbers["overdue_debt"]
    if amount is not None:
        if amount <= 0:
            return Finding("overdue", "none", "无逾期", FIGURES, ("逾期债务 0",), 0.0)
        level = "heavy" if (share or 0.0) >= 0.1 else "some"
        shown = f"逾期债务{_wan(amount)}" + (f"，占负债 {_pct(share)}" if share is not None else "")
        return Finding(
            "overdue",
            level,
            "逾期较多" if level == "heavy" else "有少量逾期",
            FIGURES,
            (shown,),
            share,
        )
    if ev["overdue"]:
        return Finding(
            "overdue", "some", "文字提到逾期或民间借贷", TEXT, (ev["overdue"][0].quote(),)
        )
    if denied["overdue"]:
        return Finding("overdue", "none", "文字称无逾期", TEXT, (denied["overdue"][0].quote(),))
    return Finding("overdue", "unknown", "未知：未说明逾期情况", UNKNOWN)


def gather_evidence(
    profile: EnterpriseProfile, lexicon: Lexicon, *, as_of_year: int | None = None
) -> Evidence:
    """Answer every question for one enterprise.

    Args:
        profile: the enterprise (`financials` empty or null means "no figures").
        lexicon: the loaded phrase lists.
        as_of_year: the year "停产至今" counts to (default: this year).

    Returns:
        The findings by question code, with the phrase hits and figures behind them.
    """
    year = as_of_year if as_of_year is not None else dt.date.today().year
    parts = [profile.description, profile.problems, profile.strengths]
    parts += [a.description for a in profile.assets]
    situation_text = "\n".join(p for p in parts if p)
    situation: Passage = passage(situation_text, lexicon.negation)
    demands = passage(profile.demands, lexicon.negation)
    hits = {name: situation.present(lexicon.families[name]) for name in FAMILIES}
    # "若未完成改造将被列入关停名单" threatens closure unless the plant is upgraded: a cap.
    conditional = [
        h for h in hits["policy_exit"] if any(w in h.clause for w in lexicon.negation.conditional)
    ]
    hits["policy_exit"] = [h for h in hits["policy_exit"] if h not in conditional]
    hits["capped"] = hits["capped"] + conditional
    # "2013年完成环保搬迁" is a move made long ago, not an order to exit.
    neg = lexicon.negation
    hits["policy_exit"] = [
        h
        for h in hits["policy_exit"]
        if not (h.phrase in neg.history_phrases and any(w in h.clause for w in neg.history_markers))
    ]
    # "负责人想申请破产重整" is what the owner wants, not what a creditor or court did.
    wishes = [
        h for h in hits["court_petition"] if any(w in h.clause for w in lexicon.negation.owner_wish)
    ]
    hits["court_petition"] = [h for h in hits["court_petition"] if h not in wishes]
    asks = {name: demands.present(lexicon.demands[name]) for name in DEMAND_FAMILIES}
    asks["reorg_investor"] = asks["reorg_investor"] + wishes
    denied = {f: situation.negated(lexicon.families[f]) for f in NEGATABLE}
    numbers = read_figures(profile, situation_text + "\n" + profile.demands, year)
    difficulty, kinds = _difficulty(numbers, hits)
    court = _court(profile, hits, int(numbers["seized_count"] or 0))
    procedure = named_procedure(situation, lexicon.procedure, court.answer == "proceedings")
    petitioned = named_procedure(situation, lexicon.petition, court.answer == "petition")
    if procedure is not None:
        text, quotes = naming_procedure(court.text, court.evidence, *procedure)
        court = replace(court, text=text, evidence=quotes)
    findings = [
        _solvency(numbers, hits, denied["insolvent"]),
        court,
        _core(profile, numbers, hits),
        difficulty,
        _idle(profile, numbers, hits, denied),
        _guarantee(numbers, hits, denied),
        _overdue(numbers, hits, denied),
    ]
    return Evidence(
        findings={f.question: f for f in findings},
        hits=hits,
        asks=asks,
        numbers=numbers,
        status=profile.operating_status,
        kinds=kinds,
        procedure=procedure,
        petitioned=petitioned,
    )


def findings_table(evidence: Evidence) -> list[Mapping[str, object]]:
    """The findings in question order, as plain dicts (API answer and storage)."""
    return [evidence.findings[q].as_dict() for q in QUESTIONS if q in evidence.findings]
