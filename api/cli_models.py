"""`ld train` and `ld evaluate`: the learned model and the quality reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.config import get_settings
from api.runtime import MODEL_FILE, RULES_FILE

TRAINING_FILE = "diagnosis_training.jsonl"


def _override_examples() -> tuple[list, list]:  # type: ignore[type-arg]
    """Profiles and labels from officers' overrides in the configured database."""
    from api.services.diagnoses import list_override_labels
    from api.services.enterprises import list_assets
    from api.services.mapping import enterprise_profile
    from matcher.evaluation import Label
    from models.db import make_engine, run_migrations, session_scope
    from models.tables import Enterprise

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    profiles, labels = [], []
    with session_scope(engine) as session:
        for enterprise_id, primary in list_override_labels(session=session):
            row = session.get(Enterprise, enterprise_id)
            if row is None:
                continue
            assets = list_assets(session=session, enterprise_id=enterprise_id)
            profiles.append(enterprise_profile(row, assets))
            labels.append(Label(primary=primary, acceptable=(primary,)))
    return profiles, labels


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        data: Annotated[Path | None, typer.Option(help="labelled training set (jsonl)")] = None,
        out: Annotated[Path | None, typer.Option(help="where to write the artifact")] = None,
        with_overrides: Annotated[
            bool, typer.Option(help="add officers' overrides from the database as labels")
        ] = False,
    ) -> None:
        """Fit the treatment model with cross-validation and write a versioned artifact."""
        from matcher.evaluation import load_training_set
        from matcher.training import train_treatment_model

        settings = get_settings()
        data = data or settings.fixtures_dir / TRAINING_FILE
        out = out or settings.fixtures_dir / MODEL_FILE
        profiles, labels = load_training_set(data)
        if with_overrides:
            extra_profiles, extra_labels = _override_examples()
            profiles, labels = profiles + extra_profiles, labels + extra_labels
            typer.echo(f"with {len(extra_labels)} officer overrides")
        model = train_treatment_model(
            profiles,
            [label.primary for label in labels],
            acceptable=[label.acceptable for label in labels],
            source=data.name,
        )
        meta = model.save(out)
        typer.echo(f"{model.model_version}: {len(labels)} examples → {out}")
        typer.echo(meta.read_text(encoding="utf-8"))

    @app.command()
    def evaluate(
        devset: Annotated[Path, typer.Argument(help="folder with enterprises.jsonl, labels.jsonl")],
        matching: Annotated[bool, typer.Option(help="also evaluate matching")] = True,
    ) -> None:
        """Diagnosis and matching quality on a labelled set (never trained on)."""
        from api.runtime import load_runtime
        from matcher.diagnosis_rules import load_diagnosis_rules
        from matcher.evaluation import evaluate_diagnosis, load_labelled_set
        from matcher.match_eval import (
            _predicted_diagnosis,
            evaluate_matching,
            format_matching_report,
        )
        from matcher.report_format import format_diagnosis_report

        settings = get_settings()
        runtime = load_runtime(settings)
        profiles, labels = load_labelled_set(devset)
        report = evaluate_diagnosis(
            profiles,
            labels,
            rules=load_diagnosis_rules(settings.fixtures_dir / RULES_FILE),
            model=runtime.treatment_model,
        )
        typer.echo("== Diagnosis ==")
        typer.echo(format_diagnosis_report(report))
        if not matching or not (devset / "relevance.jsonl").exists():
            return
        common = {
            "encoder": runtime.encoder,
            "config": runtime.matcher_config,
            "industries": runtime.industries,
            "chain": runtime.chain,
        }
        typer.echo("== Matching, with the service's own diagnosis ==")
        predicted = evaluate_matching(
            devset, categories_from=_predicted_diagnosis(devset), **common
        )  # type: ignore[arg-type]
        typer.echo(format_matching_report(predicted))
        typer.echo("== Matching, with the labelled categories (oracle diagnosis) ==")
        typer.echo(format_matching_report(evaluate_matching(devset, **common)))  # type: ignore[arg-type]
