"""The matching half of `ld evaluate`: rankings on a labelled set, per variant and category.

The engine's evaluation (matcher.matching.evaluation) takes loaded objects;
this module picks them from the options: which encoder (the runtime's, a
named one, or none), which config, which diagnosis (the service's own, the
labelled one, or both) and whether to blank the industry codes as well.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the engine loads only when the command runs, not for `ld --help`
    from api.runtime import Runtime
    from matcher.encoders.loading import Encoder
    from matcher.matching.config import MatcherConfig
    from matcher.matching.context import DiagnosisCategories
    from matcher.profile import EnterpriseProfile


class DiagnosisSource(StrEnum):
    """Which categories the rankings are computed for."""

    both = "both"
    predicted = "predicted"
    gold = "gold"


def predicted_categories(runtime: Runtime) -> Callable[[EnterpriseProfile], DiagnosisCategories]:
    """The service's own diagnosis (the runtime's rules and model) as matching categories."""
    from matcher import diagnose  # the function; the package re-exports it
    from matcher.matching.context import DiagnosisCategories

    def predict(profile: EnterpriseProfile) -> DiagnosisCategories:
        result = diagnose(profile, rules=runtime.diagnosis_rules, model=runtime.treatment_model)
        return DiagnosisCategories.from_diagnosis(result)

    return predict


def echo_matching_reports(
    devset: Path,
    *,
    runtime: Runtime,
    encoder: Encoder | None,
    config: MatcherConfig,
    diagnosis: DiagnosisSource = DiagnosisSource.both,
    drop_industry: bool = False,
    cache_dir: Path | None = None,
) -> None:
    """Print one table per diagnosis source (and one with industry codes blanked)."""
    from matcher.matching.evaluation import Devset, evaluate_matching, format_matching_report

    data = Devset.load(devset)
    common = {
        "encoder": encoder,
        "config": config,
        "industries": runtime.industries,
        "chain": runtime.chain,
        "cache_dir": cache_dir,
    }
    if diagnosis in (DiagnosisSource.both, DiagnosisSource.predicted):
        typer.echo("== Matching, with the service's own diagnosis ==")
        predicted = evaluate_matching(data, categories_from=predicted_categories(runtime), **common)  # type: ignore[arg-type]
        typer.echo(format_matching_report(predicted))
    if diagnosis in (DiagnosisSource.both, DiagnosisSource.gold):
        typer.echo("== Matching, with the labelled categories (oracle diagnosis) ==")
        typer.echo(format_matching_report(evaluate_matching(data, **common)))  # type: ignore[arg-type]
    if drop_industry:
        typer.echo("== Matching, labelled categories, industry_code blanked (incomplete forms) ==")
        blind = evaluate_matching(data, variants=("full", "rules"), drop_industry=True, **common)  # type: ignore[arg-type]
        typer.echo(format_matching_report(blind))
