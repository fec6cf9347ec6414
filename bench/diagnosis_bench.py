"""`python -m bench.diagnosis_bench`: how long one enterprise's diagnosis takes.

Times `diagnose` on every profile of the diagnosis corpus (real-length texts, thin
and full files alike) with the shipped lexicon and model, and, in the same run, its
parts: the evidence alone and the policy-only diagnosis (no model), so the model's
share of the time is visible.  Prints p50/p99 per stage and checks the target:
one diagnosis well under 100 ms at p50.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from api.config import FIXTURES_DIR
from bench.measure import Samples, machine_info, repeat
from matcher.diagnosis import diagnose, gather_evidence, load_lexicon
from matcher.diagnosis.evaluation import load_training_set
from matcher.diagnosis.model import load_treatment_model

TARGET_P50_MS = 100.0
app = typer.Typer(add_completion=False)


def run(rounds: int = 3, budget_s: float = 20.0) -> dict[str, object]:
    """Every stage's timings over `rounds` passes of the corpus (first pass is warm-up)."""
    lexicon = load_lexicon(FIXTURES_DIR / "diagnosis_lexicon.toml")
    started = time.perf_counter()
    model = load_treatment_model(FIXTURES_DIR / "models" / "diagnosis.joblib")
    load_s = time.perf_counter() - started
    profiles, _ = load_training_set(FIXTURES_DIR / "diagnosis_corpus.jsonl")
    n = len(profiles) * rounds
    stages: dict[str, Samples] = {
        "evidence": repeat(
            lambda i: gather_evidence(profiles[i % len(profiles)], lexicon),
            min_runs=len(profiles),
            max_runs=n,
            budget_s=budget_s,
            warmup=len(profiles),
        ),
        "policy_only": repeat(
            lambda i: diagnose(profiles[i % len(profiles)], lexicon=lexicon, model=None),
            min_runs=len(profiles),
            max_runs=n,
            budget_s=budget_s,
            warmup=len(profiles),
        ),
        "full": repeat(
            lambda i: diagnose(profiles[i % len(profiles)], lexicon=lexicon, model=model),
            min_runs=len(profiles),
            max_runs=n,
            budget_s=budget_s,
            warmup=len(profiles),
        ),
    }
    result = {
        "machine": machine_info(),
        "profiles": len(profiles),
        "model_load_s": round(load_s, 3),
        "stages": {name: s.summary_ms() for name, s in stages.items()},
        "target_p50_ms": TARGET_P50_MS,
        "target_met": stages["full"].p50 * 1e3 < TARGET_P50_MS,
    }
    return result


@app.command()
def main(
    rounds: Annotated[int, typer.Option(help="passes over the corpus")] = 3,
    out: Annotated[Path | None, typer.Option(help="also write the figures as JSON")] = None,
) -> None:
    """Diagnosis latency per enterprise: evidence, policy-only and full (policy + model)."""
    result = run(rounds)
    typer.echo(f"{'stage':<12} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, s in result["stages"].items():  # type: ignore[attr-defined]
        typer.echo(
            f"{name:<12} {s['n']:>5} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['mean_ms']:>8.2f}"
        )
    verdict = "met" if result["target_met"] else "MISSED"
    typer.echo(
        f"model load {result['model_load_s']} s; target p50 < {TARGET_P50_MS:.0f} ms: {verdict}"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
