"""Matching evaluation on a labelled set laid out like shared/devset.

Reports NDCG@10 (gain 2 for grade 2, 1 for grade 1; ideal DCG from all
labelled relevant partners), recall@10, MRR, the number of enterprises with a
first-call (grade 2) partner in the top 10 (for a set of real cases, whose grade
2 is the investor who really won: "the winner in the top 10") and the number with
a hard negative in the top 10, overall and per primary category, for the
dense, lexical and rules components alone and for the full fusion.

The caller loads the set (`Devset.load(folder)`) and passes the encoder,
the config and the tables; the command is `ld evaluate` (api/cli_matching.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.chain import IndustryChain
from matcher.encoders.loading import Encoder
from matcher.encoders.search import top_indices, top_partners
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories
from matcher.matching.embeddings import text_hash
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import MODES, rank_partners
from matcher.matching.texts import enterprise_need_text, partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile

K = 10
Diagnose = Callable[[EnterpriseProfile], Mapping[str, float] | DiagnosisCategories]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class Devset:
    """A labelled set laid out like shared/devset: four .jsonl files in one folder."""

    enterprises: list[EnterpriseProfile]
    partners: list[PartnerProfile]
    labels: dict[str, dict[str, Any]]
    relevance: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, root: Path) -> Devset:
        """Read enterprises, partners, labels and relevance .jsonl from `root`."""
        return cls(
            enterprises=[
                EnterpriseProfile.from_dict(d) for d in _jsonl(root / "enterprises.jsonl")
            ],
            partners=[PartnerProfile.from_dict(d) for d in _jsonl(root / "partners.jsonl")],
            labels={d["ext_id"]: d for d in _jsonl(root / "labels.jsonl")},
            relevance={d["ext_id"]: d for d in _jsonl(root / "relevance.jsonl")},
        )


def gold_diagnosis(label: Mapping[str, Any]) -> dict[str, float]:
    """Primary first with probability 1, other acceptable categories at 0.5."""
    out = {label["primary"]: 1.0}
    out.update({c: 0.5 for c in label.get("acceptable", ()) if c != label["primary"]})
    return out


def metrics(ranked: Sequence[str], gains: Mapping[str, int], hard: set[str]) -> dict[str, float]:
    """NDCG@K, recall@K, MRR, first-call (grade 2) and hard-negative presence for one ranking."""
    top = list(ranked[:K])
    dcg = sum(gains.get(pid, 0) / math.log2(i + 2) for i, pid in enumerate(top))
    ideal = sorted(gains.values(), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    found = sum(1 for pid in top if gains.get(pid, 0) > 0)
    first = next((i for i, pid in enumerate(top) if gains.get(pid, 0) > 0), None)
    return {
        "ndcg": dcg / idcg if idcg else 0.0,
        "recall": found / len(gains) if gains else 0.0,
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "first_call": float(any(gains.get(pid, 0) >= 2 for pid in top)),
        "hard_neg": float(any(pid in hard for pid in top)),
    }


def _cached_embeddings(
    encoder: Encoder, texts: list[str], prompt: str, cache: Path | None
) -> np.ndarray:
    key = text_hash(encoder.name + prompt + "\x00".join(texts))
    path = None if cache is None else cache / f"emb-{key}.npy"
    if path is not None and path.exists():
        return np.load(path)
    out = encoder.encode(texts, prompt_name=prompt)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out)
    return out


def _unfiltered(
    index: PartnerIndex, query: np.ndarray | None, text: str, variants: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """Text-only rankings without the hard filters: shows what the filters prevent."""
    out = []
    if "dense" in variants and query is not None and index.embeddings is not None:
        hits = top_partners(query, index.embeddings, index.ids, K)
        out.append(("dense_nofilter", [pid for pid, _ in hits]))
    if "lexical" in variants and index.lexical is not None:
        scores = index.lexical.scores(text)
        out.append(("lexical_nofilter", [index.ids[i] for i in top_indices(scores, K)]))
    return out


@dataclass
class Report:
    rows: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """variant -> group ("overall" or category) -> metric -> mean."""
    counts: dict[str, int] = field(default_factory=dict)
    config_hash: str = ""
    model: str = ""


def evaluate_matching(
    data: Devset,
    *,
    encoder: Encoder | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    categories_from: Diagnose | None = None,
    variants: Sequence[str] = MODES,
    cache_dir: Path | None = None,
    drop_industry: bool = False,
) -> Report:
    """Evaluate every variant on a labelled set.

    Args:
        data: the labelled set (`Devset.load`).
        encoder: the sentence encoder (None skips the dense component).
        config, industries, chain: as for rank_partners.
        categories_from: a diagnose callable; None uses the gold labels.
        variants: which of "full", "rules", "dense", "lexical" to run.
        cache_dir: where to keep embeddings between runs (None: no cache).
        drop_industry: blank every enterprise's industry_code, to measure how
            the ranking copes with an incomplete form (text must carry it).

    Returns:
        A Report of mean metrics per variant and category.
    """
    if drop_industry:
        data = dataclasses.replace(
            data, enterprises=[dataclasses.replace(e, industry_code="") for e in data.enterprises]
        )
    emb = None
    if encoder is not None:
        texts = [partner_offer_text(p) for p in data.partners]
        emb = _cached_embeddings(encoder, texts, "passage", cache_dir)
        queries = _cached_embeddings(
            encoder, [enterprise_need_text(e) for e in data.enterprises], "query", cache_dir
        )
    index = PartnerIndex.build(data.partners, emb, industries)
    per: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    for i, ent in enumerate(data.enterprises):
        rel = data.relevance.get(ent.id or "")
        if rel is None:
            continue  # a diagnosis-only case: no real partner is known, so nothing to rank against
        label = data.labels[ent.id or ""]
        gains = {r["partner"]: int(r["grade"]) for r in rel["relevant"]}
        hard = {h["partner"] for h in rel["hard_negatives"]}
        dx = categories_from(ent) if categories_from else gold_diagnosis(label)
        query = None if encoder is None else queries[i]
        counts["overall"] += 1
        counts[label["primary"]] += 1
        for variant in variants:
            if variant == "dense" and query is None:
                continue
            results = rank_partners(
                ent,
                dx,
                index=index,
                encoder_or_query_embedding=query,
                config=config,
                industries=industries,
                chain=chain,
                limit=K,
                mode=variant,
            )
            m = metrics([r.partner_id for r in results], gains, hard)
            per[variant]["overall"].append(m)
            per[variant][label["primary"]].append(m)
        for variant, ranked in _unfiltered(index, query, enterprise_need_text(ent), variants):
            m = metrics(ranked, gains, hard)
            per[variant]["overall"].append(m)
            per[variant][label["primary"]].append(m)
    report = Report(config_hash=config.config_hash(), model=encoder.name if encoder else "none")
    for variant, groups in per.items():
        report.rows[variant] = {
            g: {k: float(np.mean([m[k] for m in ms])) for k in ms[0]} for g, ms in groups.items()
        }
    report.counts = dict(counts)
    return report


def format_matching_report(report: Report) -> str:
    """A plain-text table: one block per variant, overall first then categories."""
    lines = [
        f"model={report.model} config={report.config_hash}",
        f"{'variant':<16} {'group':<24} {'n':>4} {'NDCG@10':>8} {'R@10':>6} {'MRR':>6} "
        f"{'G2@10':>6} {'HN@10':>6}",
    ]
    for variant in (*MODES, "dense_nofilter", "lexical_nofilter"):
        groups = report.rows.get(variant)
        if not groups:
            continue
        order = ["overall"] + sorted(g for g in groups if g != "overall")
        for g in order:
            m = groups[g]
            hn = round(m["hard_neg"] * report.counts[g])
            first = round(m["first_call"] * report.counts[g])
            lines.append(
                f"{variant:<16} {g:<24} {report.counts[g]:>4} {m['ndcg']:>8.3f} "
                f"{m['recall']:>6.3f} {m['mrr']:>6.3f} {first:>6d} {hn:>6d}"
            )
        lines.append("")
    lines.append(
        "G2@10 = enterprises with a grade-2 (first-call; in a real set, the winning) partner"
    )
    lines.append(
        "        in the top 10.  HN@10 = those with a labelled hard negative in the top 10."
    )
    lines.append("*_nofilter = the text score alone over the whole pool, hard filters off.")
    return "\n".join(lines)
