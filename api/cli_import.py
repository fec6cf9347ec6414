"""`ld import enterprises|partners FILE`: the page's spreadsheet import, from the shell.

Every row is checked through the API's schemas and services first; the file
is imported only when it is clean, or its valid rows alone with --valid-only,
in one transaction.  `register(app)` adds the command group to the `ld` app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.auth import Principal
from api.config import get_settings
from api.services.spreadsheets import ImportReport, import_spreadsheet
from matcher.industry import IndustryTable
from models.db import make_engine, run_migrations, session_scope

CLI_IMPORT_PRINCIPAL = Principal(name="cli-import", role="admin")
MAX_FILE_BYTES = 16 * 1024 * 1024

import_app = typer.Typer(
    help="Import enterprises or partners from .xlsx or .csv (template: the page's 导入导出).",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=".xlsx or .csv file")
]
ValidOnly = Annotated[
    bool, typer.Option("--valid-only", help="import the valid rows even if others have errors")
]
CheckOnly = Annotated[bool, typer.Option("--check", help="only check the file; import nothing")]


def _run(kind: str, path: Path, valid_only: bool, check: bool) -> None:
    if path.stat().st_size > MAX_FILE_BYTES:
        typer.echo(f"{path}: larger than {MAX_FILE_BYTES} bytes", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    run_migrations(engine)
    industries = IndustryTable.from_csv(settings.fixtures_dir / "gbt4754_2017.csv")
    mode = "check" if check else ("valid" if valid_only else "all")
    with session_scope(engine) as session:
        report = import_spreadsheet(
            session=session,
            kind=kind,
            filename=path.name,
            content=path.read_bytes(),
            principal=CLI_IMPORT_PRINCIPAL,
            industries=industries,
            mode=mode,
        )
        if not report.committed:
            session.rollback()
    _print(report, path)
    if report.errors and not report.committed:
        raise typer.Exit(1)


def _print(report: ImportReport, path: Path) -> None:
    for error in report.errors:
        typer.echo(str(error), err=True)
    valid = len(report.valid_rows)
    if report.committed:
        skipped = f", skipped {report.invalid_count} invalid" if report.errors else ""
        ids = ", ".join(str(i) for i in report.imported_ids)
        typer.echo(f"{path.name}: imported {valid} of {report.total} rows{skipped} (ids {ids})")
    elif report.errors:
        typer.echo(
            f"{path.name}: {len(report.errors)} problems, {valid} of {report.total} rows valid; "
            "nothing imported (fix the file, or use --valid-only)"
        )
    else:
        typer.echo(f"{path.name}: all {report.total} rows valid; nothing imported (--check)")


@import_app.command("enterprises")
def import_enterprises(
    file: FileArg, valid_only: ValidOnly = False, check: CheckOnly = False
) -> None:
    """Import enterprises (sheet 企业, assets in sheet 资产 keyed by 企业名称)."""
    _run("enterprises", file, valid_only, check)


@import_app.command("partners")
def import_partners(file: FileArg, valid_only: ValidOnly = False, check: CheckOnly = False) -> None:
    """Import partners (sheet 合作主体 or the first sheet)."""
    _run("partners", file, valid_only, check)


def register(app: typer.Typer) -> None:
    """Add the `import` command group to the `ld` app."""
    app.add_typer(import_app, name="import")
