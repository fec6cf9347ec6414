"""Imports as background runs that the page can watch: queued, reading, checking, done.

An upload becomes an `ImportRun` at once and the page shows its progress while a worker
thread does the work: the file is read and schema-checked in a child process
(isolation.py), then every valid row goes through the API's services in savepoints of
one transaction (importing.apply_import), committed only when the mode allows.  Rows
that passed a check without being imported are stashed (stash.py) for the confirm button,
which starts a second run over them.

Runs live in memory for `STASH_TTL_SECONDS`: they are progress and a report, not data;
the service's state is in the database, the stash on disk.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Principal
from api.services.spreadsheets.importing import (
    ImportReport,
    ParsedImport,
    apply_import,
)
from api.services.spreadsheets.isolation import ReaderPool
from api.services.spreadsheets.limits import DEFAULT_LIMITS, ReadLimits
from api.services.spreadsheets.sheets import CellError
from api.services.spreadsheets.stash import (
    STASH_TTL_SECONDS,
    Stash,
    claim_stash,
    stash_dir,
    sweep,
    write_stash,
)
from matcher.industry import IndustryTable

log = logging.getLogger("api.imports")

RUN_FAILED = "导入时发生内部错误，未导入任何数据；请稍后重试或联系管理员"
TOO_MANY_RUNS = "您已有 {count} 个导入正在进行，请等其完成后再上传"

STAGES = {
    "queued": "排队等待",
    "starting": "启动读取进程",
    "read": "读取文件",
    "validate": "按模板规则逐行检查",
    "database": "与数据库核对",
    "import": "写入数据库",
    "done": "已完成",
}
"""Stage → what the page calls it, in the order a run goes through them."""


@dataclass
class ImportRun:
    id: str
    kind: str
    owner: str
    filename: str
    mode: str
    created: float
    stage: str = "queued"
    done: int = 0
    total: int | None = None
    report: ImportReport | None = None
    stash: str | None = None
    """The id the confirm form posts, when valid rows wait for the officer's click."""

    @property
    def finished(self) -> bool:
        return self.report is not None

    @property
    def percent(self) -> int:
        """Of the whole run, roughly: reading 0–30, checking 30–60, the database 60–100."""
        if self.finished:
            return 100
        spans = {"read": (0, 30), "validate": (30, 30), "database": (60, 40), "import": (60, 40)}
        start, width = spans.get(self.stage, (0, 0))
        share = self.done / self.total if self.total else 0.0
        return int(start + width * min(1.0, share))


@dataclass
class ImportRuns:
    """The runs of one app: started by the pages, watched by the pages, swept when old."""

    engine: Engine
    industries: IndustryTable
    data_dir: Path
    pool: ReaderPool = field(default_factory=ReaderPool)
    limits: ReadLimits = DEFAULT_LIMITS
    per_owner: int = 2
    """Runs one caller may have unfinished at once."""
    clock: Callable[[], float] = time.time
    _runs: dict[str, ImportRun] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="ld-import")
    )

    @property
    def folder(self) -> Path:
        return stash_dir(self.data_dir)

    def get(self, run_id: str, principal: Principal) -> ImportRun | None:
        """The caller's own run (or any, for an admin); None when unknown or expired."""
        with self._lock:
            run = self._runs.get(run_id)
        if run is None or (run.owner != principal.actor and principal.role != "admin"):
            return None
        return run

    def busy(self, principal: Principal) -> str | None:
        """Why the caller may not start another run now, or None."""
        with self._lock:
            count = sum(
                1 for r in self._runs.values() if r.owner == principal.actor and not r.finished
            )
        return TOO_MANY_RUNS.format(count=count) if count >= self.per_owner else None

    def _new(self, principal: Principal, kind: str, filename: str, mode: str) -> ImportRun:
        self.sweep()
        run = ImportRun(
            id=secrets.token_hex(16),
            kind=kind,
            owner=principal.actor,
            filename=filename,
            mode=mode,
            created=self.clock(),
        )
        with self._lock:
            self._runs[run.id] = run
        return run

    def start_upload(
        self, principal: Principal, *, kind: str, filename: str, content: bytes, mode: str
    ) -> ImportRun:
        """Read, check and (as `mode` says) import an uploaded file in the background."""
        run = self._new(principal, kind, filename, mode)

        def read() -> ParsedImport:
            return self.pool.parse(
                kind, filename, content, limits=self.limits, progress=self._progress(run)
            )

        self._threads.submit(self._work, run, principal, read, None)
        return run

    def start_confirm(
        self, principal: Principal, *, kind: str, stash_id: str, mode: str
    ) -> ImportRun | None:
        """Import the rows a check stashed; None when the stash is gone or not the caller's."""
        stash = claim_stash(self.folder, stash_id, owner=principal.actor, kind=kind)
        if stash is None:
            return None
        run = self._new(principal, kind, stash.filename, mode)

        def read() -> ParsedImport:
            return ParsedImport(
                kind=kind, candidates=stash.candidates, errors=stash.skipped, total=stash.total
            )

        self._threads.submit(self._work, run, principal, read, stash)
        return run

    def _progress(self, run: ImportRun) -> Callable[[str, int, int | None], None]:
        def update(stage: str, done: int, total: int | None) -> None:
            if stage == "database" and run.mode != "check":
                stage = "import"
            run.stage, run.done, run.total = stage, done, total
            if stage in ("database", "import"):
                time.sleep(0)  # after each row: the event loop gets the GIL without waiting

        return update

    def _work(
        self,
        run: ImportRun,
        principal: Principal,
        read: Callable[[], ParsedImport],
        stash: Stash | None,
    ) -> None:
        try:
            parsed = read()
            self._progress(run)("database", 0, len(parsed.candidates))
            with Session(self.engine, expire_on_commit=False) as session:
                report = apply_import(
                    session=session,
                    parsed=parsed,
                    principal=principal,
                    industries=self.industries,
                    mode=run.mode,
                    progress=self._progress(run),
                )
                if report.committed:
                    session.commit()
                else:
                    session.rollback()
            if not report.committed and report.valid_rows:
                run.stash = self._stash(run, parsed, report)
        except Exception:
            log.exception("import run %s failed", run.id)
            report = ImportReport(kind=run.kind, errors=[CellError("", 0, "", RUN_FAILED)])
        run.stage = "done"
        run.report = report

    def _stash(self, run: ImportRun, parsed: ParsedImport, report: ImportReport) -> str:
        valid = set(report.valid_rows)
        candidates = [c for c in parsed.candidates if c.row in valid]
        stash = Stash(
            owner=run.owner,
            kind=run.kind,
            filename=run.filename,
            total=report.total,
            skipped=report.errors,
            candidates=candidates,
        )
        return write_stash(self.folder, stash)

    def sweep(self) -> None:
        """Forget runs older than the stash lifetime and delete expired stashes."""
        cutoff = self.clock() - STASH_TTL_SECONDS
        with self._lock:
            for run_id in [k for k, r in self._runs.items() if r.finished and r.created < cutoff]:
                del self._runs[run_id]
        sweep(self.folder)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.pool.close()
