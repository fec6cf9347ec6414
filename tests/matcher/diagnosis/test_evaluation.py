"""matcher.evaluation / report_format: labelled-set loading, scores and tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.diagnosis import load_lexicon
from matcher.diagnosis.evaluation import (
    Label,
    evaluate_diagnosis,
    load_labelled_set,
    load_training_set,
    score_predictions,
)
from matcher.diagnosis.report import format_diagnosis_report

REPO = Path(__file__).resolve().parents[3]


def _write_set(folder: Path) -> None:
    enterprises = [
        {
            "ext_id": "X1",
            "name": "甲",
            "operating_status": "in_bankruptcy",
            "financials": {"total_assets": 100, "total_liabilities": 130},
        },
        {
            "ext_id": "X2",
            "name": "乙",
            "operating_status": "normal",
            "capacity_utilization": 0.95,
            "financials": {
                "total_assets": 100,
                "total_liabilities": 30,
                "annual_revenue": 150,
                "prior_revenue": 100,
                "net_profit": 15,
            },
        },
    ]
    labels = [
        {
            "ext_id": "X2",
            "primary": "strategic_investment",
            "acceptable": ["strategic_investment"],
            "rationale": "注意：不应据此改判",
        },
        {
            "ext_id": "X1",
            "primary": "judicial_reorganization",
            "acceptable": ["judicial_reorganization", "exit_liquidation"],
            "rationale": "",
        },
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("enterprises.jsonl", enterprises), ("labels.jsonl", labels)):
        (folder / name).write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
        )


def test_load_labelled_set_joins_on_ext_id(tmp_path: Path) -> None:
    _write_set(tmp_path)
    profiles, labels = load_labelled_set(tmp_path)
    assert [p.name for p in profiles] == ["甲", "乙"]
    assert labels[0].primary == "judicial_reorganization"
    assert labels[1].trap is True and labels[0].trap is False


def test_load_labelled_set_requires_every_label(tmp_path: Path) -> None:
    _write_set(tmp_path)
    (tmp_path / "labels.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(ValueError):
        load_labelled_set(tmp_path)


@pytest.mark.parametrize("name", ["enterprises.jsonl", "labels.jsonl"])
def test_load_labelled_set_refuses_an_ext_id_twice(tmp_path: Path, name: str) -> None:
    """A second row with the same ext_id would silently replace the first one's label."""
    _write_set(tmp_path)
    path = tmp_path / name
    first = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(path.read_text(encoding="utf-8") + first + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="出现两次"):
        load_labelled_set(tmp_path)


def test_score_predictions_by_hand() -> None:
    labels = [
        Label("relief", ("relief",)),
        Label("tech_upgrade", ("tech_upgrade", "relief")),
        Label("exit_liquidation", ("exit_liquidation",), trap=True),
    ]
    report = score_predictions("x", ["relief", "relief", "exit_liquidation"], labels)
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.within_acceptable == 1.0
    assert report.trap_accuracy == 1.0
    per = {row[0]: row for row in report.per_category}
    assert per["relief"][1] == pytest.approx(0.5)  # precision
    assert per["tech_upgrade"][2] == 0.0  # recall
    assert sum(sum(row) for row in report.confusion) == 3


def test_score_predictions_counts_the_flag_on_wrong_primaries() -> None:
    labels = [Label("relief", ("relief",)), Label("tech_upgrade", ("tech_upgrade",))]
    report = score_predictions("x", ["relief", "relief"], labels, flagged=[False, True])
    assert report.flag_recall == 1.0  # the one wrong primary was flagged
    assert report.flagged_share == 0.5
    missed = score_predictions("x", ["relief", "relief"], labels, flagged=[True, False])
    assert missed.flag_recall == 0.0


def test_evaluate_and_format(tmp_path: Path) -> None:
    _write_set(tmp_path)
    profiles, labels = load_labelled_set(tmp_path)
    lexicon = load_lexicon(REPO / "fixtures" / "diagnosis_lexicon.toml")
    report = evaluate_diagnosis(profiles, labels, lexicon=lexicon, model=None)
    assert [v.name for v in report.variants] == ["rules-only"]
    assert report.variants[0].accuracy == 1.0
    text = format_diagnosis_report(report)
    for needle in ("macro-F1", "in-accept", "flag-recall", "== rules-only ==", "true \\ predicted"):
        assert needle in text


def test_corpus_rows_are_labelled_and_sourced() -> None:
    import json

    path = REPO / "fixtures" / "diagnosis_corpus.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    profiles, labels = load_training_set(path)
    assert len(profiles) == len(rows) >= 120
    assert all(lab.primary in lab.acceptable for lab in labels)
    assert {r["origin"] for r in rows} == {"public", "hand"}
    public = [r for r in rows if r["origin"] == "public"]
    assert len(public) >= 25 and all(r["source"].startswith("http") for r in public)
    assert len({r["id"] for r in rows}) == len(rows)
