"""`ld train` and `ld evaluate`: the learned model and the quality reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.auth import CLI_ACTOR
from api.cli_matching import DiagnosisSource
from api.config import get_settings
from api.runtime import LEXICON_FILE, MODEL_FILE

TRAINING_FILE = "diagnosis_corpus.jsonl"


def _overrides(settings):  # type: ignore[no-untyped-def]
    """(earlier, held out) officer overrides from the configured database, by time."""
    from api.services.diagnosis_candidates import override_examples, split_by_time
    from models.db import make_engine, run_migrations, session_scope

    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    with session_scope(engine) as session:
        examples = override_examples(session)
    return split_by_time(examples, settings.learn_holdout_share)


def _echo_held_out(settings, held_out, candidate) -> None:  # type: ignore[no-untyped-def]
    """The active model and the candidate on the held-out overrides, per category."""
    from api.services.diagnosis_candidates import held_out_report
    from matcher.diagnosis import load_lexicon
    from matcher.diagnosis.model import load_treatment_model

    if not held_out:
        typer.echo("no override held out (fewer than two): nothing to compare on")
        return
    active_path = settings.fixtures_dir / MODEL_FILE
    active = load_treatment_model(active_path) if active_path.exists() else None
    lexicon = load_lexicon(settings.fixtures_dir / LEXICON_FILE)
    report = held_out_report(held_out, lexicon=lexicon, active=active, candidate=candidate)
    typer.echo(f"{'group':<24} {'n':>3} {'active agrees':>14} {'candidate agrees':>17}")
    for group, row in report.items():
        typer.echo(
            f"{group:<24} {row['overrides']:>3} {row['active_agrees']:>14.3f} "
            f"{row['candidate_agrees']:>17.3f}"
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        data: Annotated[Path | None, typer.Option(help="labelled training set (jsonl)")] = None,
        out: Annotated[Path | None, typer.Option(help="where to write the artifact")] = None,
        with_overrides: Annotated[
            bool,
            typer.Option(
                help="add officers' overrides from the database as labels; the result is a "
                "candidate (compared on the most recent overrides), activated with "
                "`ld train-activate`"
            ),
        ] = False,
    ) -> None:
        """Fit the model on the diagnosis corpus; CV picks the blend weight and flag margin."""
        import json

        from matcher.diagnosis import load_lexicon
        from matcher.diagnosis.evaluation import Label, load_training_set
        from matcher.diagnosis.training import train_treatment_model

        settings = get_settings()
        data = data or settings.fixtures_dir / TRAINING_FILE
        profiles, labels = load_training_set(data)
        records = [
            json.loads(x) for x in data.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        held_out: list = []  # type: ignore[type-arg]
        if with_overrides:
            earlier, held_out = _overrides(settings)
            profiles = profiles + [e.profile for e in earlier]
            labels = labels + [Label(primary=e.primary, acceptable=(e.primary,)) for e in earlier]
            typer.echo(f"with {len(earlier)} officer overrides; {len(held_out)} held out")
        model = train_treatment_model(
            profiles,
            labels,
            lexicon=load_lexicon(settings.fixtures_dir / LEXICON_FILE),
            records=records,
            source=data.name,
        )
        if out is None:
            out = (
                settings.data_dir / "candidates" / f"diagnosis-{model.model_version}.joblib"
                if with_overrides
                else settings.fixtures_dir / MODEL_FILE
            )
        meta = model.save(out)
        typer.echo(f"{model.model_version}: {len(labels)} examples → {out}")
        typer.echo(meta.read_text(encoding="utf-8"))
        if with_overrides:
            _echo_held_out(settings, held_out, model)
            typer.echo(f"candidate, not active; activate with: ld train-activate {out}")

    @app.command("train-activate")
    def train_activate(
        candidate: Annotated[Path, typer.Argument(help="a candidate written by ld train")],
    ) -> None:
        """Make a candidate diagnosis model the active one (the service loads it at start)."""
        from api.services.diagnosis_candidates import activate_model
        from models.db import make_engine, run_migrations, session_scope

        settings = get_settings()
        engine = make_engine(settings.resolved_database_url)
        run_migrations(engine)
        active = settings.fixtures_dir / MODEL_FILE
        try:
            with session_scope(engine) as session:
                activate_model(session=session, candidate=candidate, active=active, actor=CLI_ACTOR)
        except FileNotFoundError:
            typer.echo(f"no candidate at {candidate}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{candidate} → {active}; restart the service to load it")

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
