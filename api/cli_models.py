"""`ld train` and `ld evaluate`: the learned model and the quality reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_matching import DiagnosisSource
from api.config import get_settings
from api.runtime import LEXICON_FILE, MODEL_FILE

TRAINING_FILE = "diagnosis_corpus.jsonl"


def _override_examples() -> tuple[list, list]:  # type: ignore[type-arg]
    """Profiles and labels from officers' overrides in the configured database."""
    from api.services.diagnoses import list_override_labels
    from api.services.enterprises import list_assets
    from api.services.mapping import enterprise_profile
    from matcher.diagnosis.evaluation import Label
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
        """Fit the model on the diagnosis corpus; CV picks the blend weight and flag margin."""
        import json

        from matcher.diagnosis import load_lexicon
        from matcher.diagnosis.evaluation import load_training_set
        from matcher.diagnosis.training import train_treatment_model

        settings = get_settings()
        data = data or settings.fixtures_dir / TRAINING_FILE
        out = out or settings.fixtures_dir / MODEL_FILE
        profiles, labels = load_training_set(data)
        records = [
            json.loads(x) for x in data.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        if with_overrides:
            extra_profiles, extra_labels = _override_examples()
            profiles, labels = profiles + extra_profiles, labels + extra_labels
            typer.echo(f"with {len(extra_labels)} officer overrides")
        model = train_treatment_model(
            profiles,
            labels,
            lexicon=load_lexicon(settings.fixtures_dir / LEXICON_FILE),
            records=records,
            source=data.name,
        )
        meta = model.save(out)
        typer.echo(f"{model.model_version}: {len(labels)} examples → {out}")
        typer.echo(meta.read_text(encoding="utf-8"))

    @app.command()
    def evaluate(
        devsets: Annotated[
            list[Path],
            typer.Argument(
                help="one or more folders with enterprises.jsonl, labels.jsonl "
                "(e.g. shared/devset-judged shared/devset)"
            ),
        ],
        matching: Annotated[bool, typer.Option(help="also evaluate matching")] = True,
        model: Annotated[
            str | None, typer.Option(help="embedding model for matching (default: configured)")
        ] = None,
        dense: Annotated[
            bool, typer.Option(help="rank with the dense similarity (--no-dense: without)")
        ] = True,
        config: Annotated[
            Path | None, typer.Option(help="matcher weights TOML (default: the configured one)")
        ] = None,
        diagnosis: Annotated[
            DiagnosisSource,
            typer.Option(help="rank for the service's diagnosis, the labels or both"),
        ] = DiagnosisSource.both,
        drop_industry: Annotated[
            bool, typer.Option(help="also rank with every industry code blanked")
        ] = False,
        cache: Annotated[
            Path | None, typer.Option(help="keep the set's embeddings in this folder between runs")
        ] = None,
    ) -> None:
        """Diagnosis and matching quality on labelled sets (never trained on), one after another."""
        from api.cli_matching import echo_matching_reports
        from api.runtime import load_runtime
        from matcher.diagnosis.evaluation import evaluate_diagnosis, load_labelled_set
        from matcher.diagnosis.report import format_diagnosis_report
        from matcher.encoders.loading import load_encoder
        from matcher.matching.config import MatcherConfig

        settings = get_settings()
        encoder = (
            load_encoder(model, settings.model_cache_dir, settings.embedding_backend)
            if model
            else None
        )
        runtime = load_runtime(settings, encoder=encoder)
        for devset in devsets:
            typer.echo(f"######## {devset} ########")
            profiles, labels = load_labelled_set(devset)
            report = evaluate_diagnosis(
                profiles,
                labels,
                lexicon=runtime.lexicon,
                model=runtime.treatment_model,
            )
            typer.echo("== Diagnosis ==")
            typer.echo(format_diagnosis_report(report))
            if not matching or not (devset / "relevance.jsonl").exists():
                continue
            echo_matching_reports(
                devset,
                runtime=runtime,
                encoder=runtime.encoder if dense else None,
                config=MatcherConfig.from_toml(config) if config else runtime.matcher_config,
                diagnosis=diagnosis,
                drop_industry=drop_industry,
                cache_dir=cache,
            )
