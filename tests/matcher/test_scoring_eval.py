"""The matching evaluation: metric arithmetic and a run over a tiny labelled set."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from matcher.matching.config import MatcherConfig
from matcher.matching.evaluation import (
    Devset,
    evaluate_matching,
    format_matching_report,
    gold_diagnosis,
    metrics,
)
from tests.matcher.match_helpers import HashEncoder, chain, enterprise, pool, table


@pytest.mark.parametrize(
    ("description", "ranked", "gains", "hard", "expected"),
    [
        (
            "perfect",
            ["a", "b"],
            {"a": 2, "b": 1},
            set(),
            {"ndcg": 1.0, "recall": 1.0, "mrr": 1.0, "first_call": 1.0, "hard_neg": 0.0},
        ),
        (
            "swapped grades",
            ["b", "a"],
            {"a": 2, "b": 1},
            set(),
            {
                "ndcg": (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)),
                "recall": 1.0,
                "mrr": 1.0,
                "first_call": 1.0,
                "hard_neg": 0.0,
            },
        ),
        (
            "first hit second",
            ["x", "a"],
            {"a": 2},
            {"x"},
            {
                "ndcg": 1 / math.log2(3),
                "recall": 1.0,
                "mrr": 0.5,
                "first_call": 1.0,
                "hard_neg": 1.0,
            },
        ),
        (
            "nothing found",
            ["x"],
            {"a": 1, "b": 1},
            set(),
            {"ndcg": 0.0, "recall": 0.0, "mrr": 0.0, "first_call": 0.0, "hard_neg": 0.0},
        ),
        (
            "only a plausible one found",
            ["b", "x"],
            {"a": 2, "b": 1},
            set(),
            {
                "ndcg": 1 / (2 + 1 / math.log2(3)),
                "recall": 0.5,
                "mrr": 1.0,
                "first_call": 0.0,
                "hard_neg": 0.0,
            },
        ),
    ],
)
def test_metrics(
    description: str,
    ranked: list[str],
    gains: dict[str, int],
    hard: set[str],
    expected: dict[str, float],
) -> None:
    got = metrics(ranked, gains, hard)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), (description, key)


def test_gold_diagnosis_puts_primary_first() -> None:
    dx = gold_diagnosis({"primary": "relief", "acceptable": ["debt_restructuring", "relief"]})
    assert list(dx) == ["relief", "debt_restructuring"]
    assert dx["relief"] > dx["debt_restructuring"]


def _write_devset(root: Path) -> None:
    def dump(name: str, rows: list[dict[str, object]]) -> None:
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
        (root / name).write_text(text + "\n", encoding="utf-8")

    ent = dataclasses.asdict(enterprise())
    ent["ext_id"] = "E1"
    dump("enterprises.jsonl", [ent])
    partners = []
    for p in pool():
        row = dataclasses.asdict(p)
        row["ext_id"] = row.pop("id")
        partners.append(row)
    dump("partners.jsonl", partners)
    dump(
        "labels.jsonl",
        [
            {
                "ext_id": "E1",
                "primary": "merger_restructuring",
                "acceptable": ["merger_restructuring"],
                "rationale": "",
            }
        ],
    )
    dump(
        "relevance.jsonl",
        [
            {
                "ext_id": "E1",
                "relevant": [
                    {"partner": "P01", "grade": 2, "why": ""},
                    {"partner": "P03", "grade": 1, "why": ""},
                ],
                "hard_negatives": [{"partner": "P07", "why": "停止合作"}],
            }
        ],
    )


def test_evaluate_matching_on_a_tiny_set(tmp_path: Path) -> None:
    _write_devset(tmp_path)
    report = evaluate_matching(
        Devset.load(tmp_path),
        encoder=HashEncoder(),
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
        cache_dir=tmp_path / "cache",
    )
    assert set(report.rows) >= {"full", "rules", "dense", "lexical"}
    full = report.rows["full"]["overall"]
    assert full["recall"] == pytest.approx(1.0)
    assert full["hard_neg"] == 0.0
    assert report.counts == {"overall": 1, "merger_restructuring": 1}
    assert list((tmp_path / "cache").glob("emb-*.npy"))  # embeddings cached for reruns
    text = format_matching_report(report)
    assert "NDCG@10" in text and "merger_restructuring" in text


def test_enterprises_without_a_relevance_row_are_left_out_of_matching(tmp_path: Path) -> None:
    """A real set mixes cases with a known partner and diagnosis-only ones (no row)."""
    _write_devset(tmp_path)
    extra = dataclasses.asdict(enterprise())
    extra["ext_id"] = "E2"
    with open(tmp_path / "enterprises.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(extra, ensure_ascii=False) + "\n")
    label = {"ext_id": "E2", "primary": "relief", "acceptable": ["relief"], "rationale": ""}
    with open(tmp_path / "labels.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(label, ensure_ascii=False) + "\n")
    report = evaluate_matching(
        Devset.load(tmp_path),
        encoder=HashEncoder(),
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
    )
    assert report.counts == {"overall": 1, "merger_restructuring": 1}
    assert report.rows["full"]["overall"]["recall"] == pytest.approx(1.0)
