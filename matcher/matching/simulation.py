"""Simulated officers on a judged set: review half the enterprises, learn, test on the other half.

The officers of the simulation review the visible top `VISIBLE` of each
training enterprise as the relevance labels say (grade 2 → signed, grade 1 →
contacted, anything else → rejected with a note); the learner
(matcher.matching.learning) fits a candidate from those decisions alone; the
candidate and the hand-set weights are then evaluated (`evaluate_matching`) on
the *other* half, whose labels the learner never saw.  The halves are
stratified by primary category and swapped, so each enterprise is tested
once: a two-fold cross-validation of the judged set, not a fit to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matcher.chain import IndustryChain
from matcher.encoders.loading import Encoder
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.evaluation import (
    Devset,
    Report,
    _cached_embeddings,
    evaluate_matching,
    gold_diagnosis,
)
from matcher.matching.learning import Learned, learn
from matcher.matching.learning_data import Decision, LearnSettings, Overlay
from matcher.matching.observed import pair_parts
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from matcher.matching.texts import enterprise_need_text, partner_offer_text

VISIBLE = 20
OUTCOME_OF_GRADE = {2: "signed", 1: "contacted"}
REJECT_NOTE = "模拟：与企业需求不符"
START = datetime(2026, 1, 1, tzinfo=UTC)


def halves(data: Devset) -> tuple[list[str], list[str]]:
    """Two halves of the enterprise ids, alternating within each primary category."""
    by_category: dict[str, list[str]] = {}
    for e in data.enterprises:
        ext = e.id or ""
        by_category.setdefault(data.labels[ext]["primary"], []).append(ext)
    first: list[str] = []
    second: list[str] = []
    turn = 0  # one counter across categories: odd-sized categories alternate their extra one
    for category in sorted(by_category):
        for ext in sorted(by_category[category]):
            (first if turn % 2 == 0 else second).append(ext)
            turn += 1
    return sorted(first), sorted(second)


def subset(data: Devset, ids: Sequence[str]) -> Devset:
    keep = set(ids)
    return dataclasses.replace(data, enterprises=[e for e in data.enterprises if e.id in keep])


def simulate_reviews(
    data: Devset,
    ids: Sequence[str],
    *,
    encoder: Encoder | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    cache_dir: Path | None = None,
) -> list[Decision]:
    """The decisions officers following the labels make on the visible top of `ids`."""
    chosen = subset(data, ids)
    emb = queries = None
    if encoder is not None:
        texts = [partner_offer_text(p) for p in data.partners]
        emb = _cached_embeddings(encoder, texts, "passage", cache_dir)
        need = [enterprise_need_text(e) for e in chosen.enterprises]
        queries = _cached_embeddings(encoder, need, "query", cache_dir)
    index = PartnerIndex.build(data.partners, emb, industries)
    decisions = []
    for i, ent in enumerate(chosen.enterprises):
        ext = ent.id or ""
        label = data.labels[ext]
        grades = {r["partner"]: int(r["grade"]) for r in data.relevance[ext]["relevant"]}
        results = rank_partners(
            ent,
            gold_diagnosis(label),
            index=index,
            encoder_or_query_embedding=None if queries is None else queries[i],
            config=config,
            industries=industries,
            chain=chain,
            limit=VISIBLE,
        )
        category, seen = pair_parts(
            ent,
            gold_diagnosis(label),
            [r.partner_id for r in results],
            index=index,
            query_embedding=None if queries is None else queries[i],
            config=config,
            industries=industries,
            chain=chain,
        )
        at = START + timedelta(days=i)
        for r in results:
            outcome = OUTCOME_OF_GRADE.get(grades.get(r.partner_id, 0), "rejected")
            pair = seen[r.partner_id]
            decisions.append(
                Decision(
                    enterprise=ext,
                    partner=r.partner_id,
                    outcome=outcome,
                    parts=pair.parts,
                    levels=pair.levels,
                    scales=pair.scales,
                    category=category,
                    at=at,
                    note=REJECT_NOTE if outcome == "rejected" else "",
                )
            )
    return decisions


@dataclass(frozen=True)
class Fold:
    trained_on: list[str]
    tested_on: list[str]
    learned: Learned
    before: Report
    after: Report


def run_simulation(
    data: Devset,
    *,
    encoder: Encoder | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    settings: LearnSettings,
    registry: Registry = STANDARD_REGISTRY,
    cache_dir: Path | None = None,
) -> list[Fold]:
    """Both folds: learn on one half's simulated decisions, evaluate on the other half."""
    first, second = halves(data)
    folds = []
    for train, test in ((first, second), (second, first)):
        decisions = simulate_reviews(
            data,
            train,
            encoder=encoder,
            config=config,
            industries=industries,
            chain=chain,
            cache_dir=cache_dir,
        )
        learned = learn(decisions, Overlay.of(config), registry.names, settings)
        candidate = learned.overlay.apply(config, f"{config.version}+sim")
        tested = subset(data, test)

        def evaluated(weights: MatcherConfig, tested: Devset = tested) -> Report:
            return evaluate_matching(
                tested,
                encoder=encoder,
                config=weights,
                industries=industries,
                chain=chain,
                variants=("full",),
                cache_dir=cache_dir,
            )

        before, after = evaluated(config), evaluated(candidate)
        folds.append(Fold(train, test, learned, before, after))
    return folds


def _hard(report: Report, group: str) -> int:
    return round(report.rows["full"][group]["hard_neg"] * report.counts[group])


def format_simulation(folds: Sequence[Fold]) -> str:
    """The before/after table per category for each fold, and the learned factors."""
    lines = []
    for n, fold in enumerate(folds, start=1):
        lines.append(
            f"fold {n}: learned on {len(fold.trained_on)} enterprises "
            f"({fold.learned.data['decisions']} decisions fitted), "
            f"tested on the other {len(fold.tested_on)}"
        )
        overlay = fold.learned.overlay
        factors = ", ".join(f"{c}={f:.3f}" for c, f in overlay.component_factors.items())
        lines.append(f"  factors: {factors}")
        for c, table in overlay.levels.items():
            lines.append(f"  {c}: " + ", ".join(f"{lab}={w:.2f}" for lab, w in table.items()))
        for cat, table in fold.learned.overlay.category_factors.items():
            lines.append(f"  {cat}: " + ", ".join(f"{c}={f:.3f}" for c, f in table.items()))
        lines.append(
            f"  {'group':<24} {'n':>3} {'NDCG@10 hand-set':>17} {'learned':>8} {'Δ':>7} "
            f"{'HN hand-set':>12} {'learned':>8}"
        )
        rows_b, rows_a = fold.before.rows["full"], fold.after.rows["full"]
        for g in ["overall"] + sorted(g for g in rows_b if g != "overall"):
            b, a = rows_b[g]["ndcg"], rows_a[g]["ndcg"]
            lines.append(
                f"  {g:<24} {fold.before.counts[g]:>3} {b:>17.3f} {a:>8.3f} {a - b:>+7.3f} "
                f"{_hard(fold.before, g):>12d} {_hard(fold.after, g):>8d}"
            )
        lines.append("")
    lines.append("HN = test enterprises with a labelled hard negative in the top 10.")
    lines.append("Two-fold cross-validation: a half's labels reach the learner only as decisions.")
    return "\n".join(lines)
