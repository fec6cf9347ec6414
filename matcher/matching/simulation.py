"""Simulated officers on a judged set: review half the enterprises, learn, test on the other half.

The officers of the simulation review the visible top `VISIBLE` of each
training enterprise as the relevance labels say (grade 2 → signed, grade 1 →
contacted, anything else → rejected with a note); the learner
(matcher.matching.learning_loop.fitted) chooses its strengths by
cross-validation over those decisions and fits a candidate from them alone;
the candidate and the config the officers worked with are then evaluated
(`evaluate_matching`, the same gold diagnosis for both) on the *other* half,
whose labels the learner never saw.  The halves are drawn per seed, stratified
by primary category, and swapped, so each enterprise is tested once per seed:
repeated two-fold cross-validation of the judged set, not a fit to it.

With `ceiling`, each fold also fits the learner on the *tested* half's own
decisions and evaluates it on that half: an in-sample figure, not an estimate,
but the most this learner finds on that half from decisions on its visible
top 20.  A held-out gain near it says the learner generalises as far as its
model allows; a target above it asks for another model or more decisions, not
another pull.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

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
from matcher.matching.learning_category import KEEP_ACTIVE
from matcher.matching.learning_data import Decision, LearnSettings, Overlay
from matcher.matching.learning_loop import Learned, fitted
from matcher.matching.observed import pair_parts
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from matcher.matching.texts import enterprise_need_text, partner_offer_text

VISIBLE = 20
OUTCOME_OF_GRADE = {2: "signed", 1: "contacted"}
REJECT_NOTE = "模拟：与企业需求不符"
START = datetime(2026, 1, 1, tzinfo=UTC)


def halves(data: Devset, seed: int) -> tuple[list[str], list[str]]:
    """Two halves of the enterprise ids, dealt alternately within each primary category
    after shuffling it with `seed` (reproducible; another seed, another split)."""
    rng = random.Random(seed)
    by_category: dict[str, list[str]] = {}
    for e in data.enterprises:
        ext = e.id or ""
        by_category.setdefault(data.labels[ext]["primary"], []).append(ext)
    first: list[str] = []
    second: list[str] = []
    turn = 0  # one counter across categories: odd-sized categories alternate their extra one
    for category in sorted(by_category):
        members = sorted(by_category[category])
        rng.shuffle(members)
        for ext in members:
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
                    crowded=pair.crowded,
                    category=category,
                    at=at,
                    note=REJECT_NOTE if outcome == "rejected" else "",
                )
            )
    return decisions


@dataclass(frozen=True)
class Fold:
    seed: int
    trained_on: list[str]
    tested_on: list[str]
    learned: Learned
    before: Report
    after: Report
    ceiling: Report | None = None
    """The learner fitted on the tested half's own decisions, on that half (in-sample)."""

    def delta(self, group: str = "overall") -> float:
        return self.after.rows["full"][group]["ndcg"] - self.before.rows["full"][group]["ndcg"]

    def ceiling_delta(self, group: str = "overall") -> float | None:
        if self.ceiling is None:
            return None
        return self.ceiling.rows["full"][group]["ndcg"] - self.before.rows["full"][group]["ndcg"]


SEEDS = (0, 1, 2, 3, 4)


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
    seeds: Sequence[int] = SEEDS,
    ceiling: bool = False,
) -> list[Fold]:
    """For each seed, both folds: learn on one half's simulated decisions, test on the other.

    The officers review what `config` shows them; an enterprise's decisions do
    not depend on the split, so they are simulated once.  `ceiling` adds each
    fold's in-sample figure (see the module's note).
    """
    decisions = simulate_reviews(
        data,
        [e.id or "" for e in data.enterprises],
        encoder=encoder,
        config=config,
        industries=industries,
        chain=chain,
        cache_dir=cache_dir,
    )

    def evaluated(weights: MatcherConfig, ids: Sequence[str]) -> Report:
        return evaluate_matching(
            subset(data, ids),
            encoder=encoder,
            config=weights,
            industries=industries,
            chain=chain,
            variants=("full",),
            cache_dir=cache_dir,
        )

    def learned_on(ids: Sequence[str]) -> Learned:
        mine = [d for d in decisions if d.enterprise in set(ids)]
        return fitted(mine, Overlay.of(config), registry.names, settings)

    folds = []
    for seed in seeds:
        first, second = halves(data, seed)
        for train, test in ((first, second), (second, first)):
            learned = learned_on(train)
            candidate = learned.overlay.apply(config, f"{config.version}+sim")
            before, after = evaluated(config, test), evaluated(candidate, test)
            top = None
            if ceiling:
                own = learned_on(test).overlay.apply(config, f"{config.version}+ceiling")
                top = evaluated(own, test)
            folds.append(Fold(seed, train, test, learned, before, after, top))
    return folds


def _hard(report: Report, group: str) -> int:
    return round(report.rows["full"][group]["hard_neg"] * report.counts[group])


def _groups(fold: Fold) -> list[str]:
    rows = fold.before.rows["full"]
    return ["overall"] + sorted(g for g in rows if g != "overall")


def _fold_lines(n: int, fold: Fold) -> list[str]:
    lines = [
        f"fold {n} (seed {fold.seed}): learned on {len(fold.trained_on)} enterprises "
        f"({fold.learned.data['decisions']} decisions; text ×{fold.learned.data['text_factor']:g} "
        f"on their seen lists, λ={fold.learned.data['strength']:g} by cross-validation over "
        f"them), tested on the other {len(fold.tested_on)}"
    ]
    choices = fold.learned.data.get("categories") or {}
    if choices:
        said = ", ".join(
            f"{k}: {c if isinstance(c, str) else f'λ_k={c:g}'}" for k, c in choices.items()
        )
        lines.append(f"  categories (by the same cross-validation): {said}")
    overlay = fold.learned.overlay
    factors = ", ".join(f"{c}={f:.3f}" for c, f in overlay.component_factors.items())
    lines.append(f"  factors: {factors}; coverage_penalty={overlay.coverage_penalty}")
    for c, table in overlay.levels.items():
        lines.append(f"  {c}: " + ", ".join(f"{lab}={w:.2f}" for lab, w in table.items()))
    for cat, table in overlay.category_factors.items():
        if choices.get(cat) == KEEP_ACTIVE:
            lines.append(f"  {cat}: keeps the active weights")
            continue
        own = overlay.category_levels.get(cat, {})
        said = [f"{c}={f:.3f}" for c, f in table.items()]
        said += [f"{c}.{lab}={w:.2f}" for c, t in own.items() for lab, w in t.items()]
        lines.append(f"  {cat}: " + ", ".join(said))
    lines.append(
        f"  {'group':<24} {'n':>3} {'NDCG@10 hand-set':>17} {'learned':>8} {'Δ':>7} "
        f"{'HN hand-set':>12} {'learned':>8}"
    )
    rows_b, rows_a = fold.before.rows["full"], fold.after.rows["full"]
    for g in _groups(fold):
        b, a = rows_b[g]["ndcg"], rows_a[g]["ndcg"]
        lines.append(
            f"  {g:<24} {fold.before.counts[g]:>3} {b:>17.3f} {a:>8.3f} {a - b:>+7.3f} "
            f"{_hard(fold.before, g):>12d} {_hard(fold.after, g):>8d}"
        )
    return [*lines, ""]


def summary(folds: Sequence[Fold]) -> dict[str, dict[str, float]]:
    """Per group, over the folds: mean NDCG@10 of each arm, mean and spread (sd) of Δ,
    the worst fold's Δ and the hard negatives of each arm (summed over the folds)."""
    out: dict[str, dict[str, float]] = {}
    for g in _groups(folds[0]):
        deltas = np.array([f.delta(g) for f in folds])
        out[g] = {
            "hand": float(np.mean([f.before.rows["full"][g]["ndcg"] for f in folds])),
            "learned": float(np.mean([f.after.rows["full"][g]["ndcg"] for f in folds])),
            "delta": float(deltas.mean()),
            "sd": float(deltas.std()),
            "worst": float(deltas.min()),
            "hn_hand": float(sum(_hard(f.before, g) for f in folds)),
            "hn_learned": float(sum(_hard(f.after, g) for f in folds)),
        }
        tops = [d for f in folds if (d := f.ceiling_delta(g)) is not None]
        if len(tops) == len(folds):
            out[g]["ceiling"] = float(np.mean(tops))
            out[g]["ceiling_worst"] = float(np.min(tops))
    return out


def format_simulation(folds: Sequence[Fold]) -> str:
    """Each fold's learned weights and before/after table per category, then the summary."""
    lines = []
    for n, fold in enumerate(folds, start=1):
        lines += _fold_lines(n, fold)
    seeds = sorted({f.seed for f in folds})
    lines.append(f"over {len(folds)} folds (seeds {', '.join(map(str, seeds))}, two folds each):")
    table = summary(folds)
    with_ceiling = all("ceiling" in r for r in table.values())
    head = f" {'ceiling Δ':>10} {'worst':>7}" if with_ceiling else ""
    lines.append(
        f"  {'group':<24} {'NDCG@10 hand-set':>17} {'learned':>8} {'mean Δ':>8} {'sd':>6} "
        f"{'worst':>7} {'HN hand-set':>12} {'learned':>8}{head}"
    )
    for g, r in table.items():
        tail = f" {r['ceiling']:>+10.3f} {r['ceiling_worst']:>+7.3f}" if with_ceiling else ""
        lines.append(
            f"  {g:<24} {r['hand']:>17.3f} {r['learned']:>8.3f} {r['delta']:>+8.3f} "
            f"{r['sd']:>6.3f} {r['worst']:>+7.3f} {int(r['hn_hand']):>12d} "
            f"{int(r['hn_learned']):>8d}{tail}"
        )
    lines.append("")
    lines.append("HN = test enterprises with a labelled hard negative in the top 10.")
    lines.append("A half's labels reach the learner only as decisions; the other half tests.")
    if with_ceiling:
        lines.append(
            "ceiling = the learner fitted on the tested half's own decisions (in-sample): "
            "the most it finds there, not an estimate."
        )
    return "\n".join(lines)
