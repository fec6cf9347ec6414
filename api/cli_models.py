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


def _shipped_model(settings):  # type: ignore[no-untyped-def]
    from matcher.diagnosis.model import load_treatment_model

    path = settings.fixtures_dir / MODEL_FILE
    return load_treatment_model(path) if path.exists() else None


def _train_candidate(settings, *, data: Path, profiles, labels, records) -> None:  # type: ignore[no-untyped-def]
    """Fit with the earlier overrides, compare on the held-out ones, store the candidate."""
    from api.services import diagnosis_models
    from api.services.diagnosis_candidates import (
        data_card,
        held_out_report,
        override_examples,
        split_by_time,
    )
    from matcher.diagnosis import load_lexicon
    from matcher.diagnosis.evaluation import Label
    from matcher.diagnosis.training import train_treatment_model
    from models.db import make_engine, run_migrations, session_scope

    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    lexicon = load_lexicon(settings.fixtures_dir / LEXICON_FILE)
    with session_scope(engine) as session:
        earlier, held_out = split_by_time(override_examples(session), settings.learn_holdout_share)
        typer.echo(f"with {len(earlier)} officer overrides; {len(held_out)} held out")
        model = train_treatment_model(
            profiles + [e.profile for e in earlier],
            labels + [Label(primary=e.primary, acceptable=(e.primary,)) for e in earlier],
            lexicon=lexicon,
            records=records + [_override_record(e) for e in earlier],
            source=data.name,
        )
        compared_with = diagnosis_models.active_version(session)
        active = diagnosis_models.model_of(session, _shipped_model(settings), compared_with)
        report = (
            held_out_report(held_out, lexicon=lexicon, active=active, candidate=model)
            if held_out
            else {}
        )
        row = diagnosis_models.store_candidate(
            session=session,
            model=model,
            data=data_card(earlier, held_out, corpus=data.name, rows=len(records)),
            held_out=report,
            compared_with=compared_with,
            actor=CLI_ACTOR,
        )
    typer.echo(f"candidate {row.version} stored, not active (compared with {compared_with})")
    _echo_held_out(report)
    typer.echo(f"activate with: ld train-activate {row.version}")


def _diagnosis_models(activate: str | None) -> None:
    from api.errors import DomainError
    from api.services import diagnosis_models
    from models.db import make_engine, run_migrations, session_scope

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    base = _shipped_model(settings)
    try:
        with session_scope(engine) as session:
            if activate is not None:
                job = diagnosis_models.activate(session=session, version=activate, actor=CLI_ACTOR)
                queued = f", re-score job #{job.id} queued" if job else ""
                typer.echo(f"diagnosis model {activate} active{queued}")
                return
            _, entries = diagnosis_models.list_models(session=session, base=base)
    except DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
    for e in entries:
        mark = "*" if e.active else " "
        overall = e.held_out.get("overall", {})
        summary = ""
        if overall:
            before, after = overall["active_agrees"], overall["candidate_agrees"]
            summary = f" held-out agreement {before:.3f} → {after:.3f}"
        fitted = (
            f" {e.data.get('overrides_used')} overrides"
            if e.data
            else f" shipped ({e.model_version})"
        )
        typer.echo(f"{mark} {e.version:<24}{fitted}{summary}")


def _override_record(example) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An override as it enters the model version's data hash."""
    return {
        "enterprise": example.profile.id or "",
        "override": example.primary,
        "at": example.at.isoformat(),
    }


def _echo_held_out(report: dict) -> None:  # type: ignore[type-arg]
    """The active model and the candidate on the held-out overrides, per category."""
    if not report:
        typer.echo("no override held out (fewer than two): nothing to compare on")
        return
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
        from matcher.diagnosis.evaluation import load_training_set
        from matcher.diagnosis.training import train_treatment_model

        settings = get_settings()
        data = data or settings.fixtures_dir / TRAINING_FILE
        profiles, labels = load_training_set(data)
        records = [
            json.loads(x) for x in data.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
        if with_overrides:
            _train_candidate(settings, data=data, profiles=profiles, labels=labels, records=records)
            return
        model = train_treatment_model(
            profiles,
            labels,
            lexicon=load_lexicon(settings.fixtures_dir / LEXICON_FILE),
            records=records,
            source=data.name,
        )
        out = out or settings.fixtures_dir / MODEL_FILE
        meta = model.save(out)
        typer.echo(f"{model.model_version}: {len(labels)} examples → {out}")
        typer.echo(meta.read_text(encoding="utf-8"))

    @app.command("diagnosis-models")
    def diagnosis_models_command(
        activate: Annotated[
            str | None, typer.Option(help="make this version active (base: the shipped model)")
        ] = None,
    ) -> None:
        """List the diagnosis models (* = active), or activate one (also to roll back)."""
        _diagnosis_models(activate)

    @app.command("train-activate")
    def train_activate(
        version: Annotated[str, typer.Argument(help="a candidate stored by ld train (or base)")],
    ) -> None:
        """Make a stored diagnosis model the active one; every process follows at once."""
        _diagnosis_models(version)

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
