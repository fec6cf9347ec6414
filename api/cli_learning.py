"""`ld learn`, `ld configs` (and activate) and `ld simulate-decisions`: the learning loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.auth import CLI_ACTOR
from api.config import get_settings


def _metrics_table(metrics: dict) -> str:  # type: ignore[type-arg]
    lines = [
        f"  {'group':<24} {'n':>3} {'NDCG active':>12} {'candidate':>10} {'Δ':>7} "
        f"{'rej@3 active':>13} {'candidate':>10}"
    ]
    for group, m in metrics.items():

        def num(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"

        delta = "-" if m["delta"] is None else f"{m['delta']:+.3f}"
        lines.append(
            f"  {group:<24} {m['enterprises']:>3} {num(m['ndcg_active']):>12} "
            f"{num(m['ndcg_candidate']):>10} {delta:>7} {m['rejected_top3_active']:>13} "
            f"{m['rejected_top3_candidate']:>10}"
        )
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command()
    def learn() -> None:
        """Learn a candidate matcher config from the officers' decisions (not activated)."""
        from api.errors import DomainError
        from api.runtime import load_runtime
        from api.services.matcher_configs import learn_candidate, learn_settings
        from models.db import make_engine, run_migrations, session_scope

        settings = get_settings()
        engine = make_engine(settings.resolved_database_url)
        run_migrations(engine)
        runtime = load_runtime(settings)
        try:
            with session_scope(engine) as session:
                row = learn_candidate(
                    session=session,
                    runtime=runtime,
                    settings=learn_settings(settings),
                    actor=CLI_ACTOR,
                )
        except DomainError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
        typer.echo(f"candidate {row.version} (not active; compared with {row.compared_with})")
        typer.echo(f"fitted on {json.dumps(row.data, ensure_ascii=False)}")
        typer.echo(f"held out  {json.dumps(row.held_out, ensure_ascii=False)}")
        typer.echo(_metrics_table(row.metrics))
        typer.echo(f"activate with: ld configs --activate {row.version}")

    @app.command()
    def configs(
        activate: Annotated[
            str | None, typer.Option(help="make this version active (base: the shipped file)")
        ] = None,
    ) -> None:
        """List the matcher configs (* = active), or activate one (also to roll back)."""
        from api.errors import DomainError
        from api.runtime import load_runtime
        from api.services.matcher_configs import activate as activate_version
        from api.services.matcher_configs import list_configs
        from models.db import make_engine, run_migrations, session_scope

        settings = get_settings()
        engine = make_engine(settings.resolved_database_url)
        run_migrations(engine)
        runtime = load_runtime(settings)
        try:
            with session_scope(engine) as session:
                if activate is not None:
                    config, job = activate_version(
                        session=session, runtime=runtime, version=activate, actor=CLI_ACTOR
                    )
                    queued = f", re-score job #{job.id} queued" if job else ""
                    typer.echo(f"{activate} active ({config.config_hash()}){queued}")
                    return
                active, entries = list_configs(session=session, runtime=runtime)
        except DomainError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
        for e in entries:
            mark = "*" if e.active else " "
            overall = e.metrics.get("overall", {})
            delta = overall.get("delta")
            summary = "" if delta is None else f" held-out ΔNDCG@10 {delta:+.3f}"
            fitted = f" {e.data.get('decisions')} decisions" if e.data else " shipped file"
            typer.echo(f"{mark} {e.version:<8} {e.config_hash}{fitted}{summary}")

    @app.command("simulate-decisions")
    def simulate_decisions(
        devset: Annotated[Path, typer.Argument(help="a judged set (enterprises, relevance…)")],
        cache: Annotated[
            Path | None, typer.Option(help="keep the set's embeddings in this folder")
        ] = None,
        seed: Annotated[int, typer.Option(help="the first split's seed (reproducible)")] = 0,
        splits: Annotated[
            int, typer.Option(min=1, help="random splits, seeds seed … seed+splits−1")
        ] = 5,
        ceiling: Annotated[
            bool,
            typer.Option(help="also fit on the tested half's own decisions (in-sample ceiling)"),
        ] = False,
    ) -> None:
        """Simulated officers on half the set, learn, evaluate on the other half; both folds of
        each of `splits` random halvings, then the mean and spread over the folds."""
        from api.runtime import load_runtime
        from api.services.matcher_configs import learn_settings
        from matcher.matching.evaluation import Devset
        from matcher.matching.simulation import format_simulation, run_simulation

        settings = get_settings()
        runtime = load_runtime(settings)
        folds = run_simulation(
            Devset.load(devset),
            encoder=runtime.encoder,
            config=runtime.matcher_config,
            industries=runtime.industries,
            chain=runtime.chain,
            settings=learn_settings(settings),
            registry=runtime.registry,
            cache_dir=cache,
            seeds=range(seed, seed + splits),
            ceiling=ceiling,
        )
        typer.echo(format_simulation(folds))
