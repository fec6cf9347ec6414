"""Reading uploaded spreadsheets in child processes, so a hostile file costs a niced child
its deadline and never the service: the event loop and the other officers' requests.

`ReaderPool` keeps up to `size` warm worker processes (spawned, not forked: the service
has threads of its own).  Each is niced, has its address space capped, and reads one file
at a time with `parse_import` (read within ReadLimits, checked against the schemas; no
database).  The parent waits in a worker thread, passes the child's progress on, and kills
a child that is still busy past the deadline, or is replaced when one dies.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from api.services.spreadsheets import limits as messages
from api.services.spreadsheets.importing import ParsedImport, parse_import
from api.services.spreadsheets.limits import DEFAULT_LIMITS, ReadLimits
from api.services.spreadsheets.sheets import CellError, Progress, no_progress

log = logging.getLogger("api.imports")

GIB = 1024 * 1024 * 1024
CHILD_DIED = "读取文件的进程意外退出（文件可能损坏或过于复杂），请检查文件后重试"


@dataclass(frozen=True)
class ReaderSettings:
    size: int = 2
    """Files read at once; more wait their turn (the page shows 排队)."""
    nice: int = 10
    memory_bytes: int = int(1.5 * GIB)
    """The child's address space (RLIMIT_AS), set once its modules are loaded (~0.45 GiB):
    what reading a file may add is the rest."""
    grace_seconds: float = 5.0
    """Beyond the limits' own max_seconds (the child stops itself), when the parent kills it."""
    progress_every: float = 0.2
    start_seconds: float = 120.0
    """How long a new child may take to load its modules (niced, on a busy machine)."""


def _serve(conn: Connection, nice: int, memory_bytes: int, progress_every: float) -> None:
    """A child's loop: one (kind, filename, content, limits) in, progress and a result out."""
    try:
        os.nice(nice)
    except OSError:
        pass
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):
        pass
    conn.send(("ready",))
    while True:
        try:
            kind, filename, content, limits = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:
            conn.send(("failed", messages.out_of_memory()))
            continue
        last = 0.0

        def progress(stage: str, done: int, total: int | None) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= progress_every:
                last = now
                conn.send(("progress", stage, done, total))

        try:
            result: Any = (
                "done",
                parse_import(kind, filename, content, limits=limits, progress=progress),
            )
        except MemoryError:
            result = ("failed", messages.out_of_memory())
        del content
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("failed", messages.out_of_memory()))


@dataclass
class _Child:
    process: Any
    conn: Connection
    ready: bool = False
    """The child has loaded its modules and said so; the file's deadline starts after."""

    def wait_ready(self, seconds: float) -> bool:
        if self.ready:
            return True
        try:
            self.ready = self.conn.poll(seconds) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            self.ready = False
        return self.ready

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


@dataclass
class ReaderPool:
    """Warm child processes that read uploads; `parse` blocks, so call it from a thread."""

    settings: ReaderSettings = field(default_factory=ReaderSettings)
    clock: Callable[[], float] = time.monotonic
    _idle: list[_Child] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: threading.Semaphore = field(init=False)
    _closed: bool = False

    def __post_init__(self) -> None:
        self._slots = threading.Semaphore(self.settings.size)

    def _spawn(self) -> _Child:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(
                child,
                self.settings.nice,
                self.settings.memory_bytes,
                self.settings.progress_every,
            ),
            name="ld-import-reader",
            daemon=True,
        )
        process.start()
        child.close()
        return _Child(process, parent)

    def warm(self) -> None:
        """Start one idle child ahead of the first upload (its imports take a second or two)."""
        with self._lock:
            if self._idle or self._closed:
                return
            self._idle.append(self._spawn())

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.is_alive():
                    return child
                child.stop()
        return self._spawn()

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if self._closed:
                child.stop()
            else:
                self._idle.append(child)

    def parse(
        self,
        kind: str,
        filename: str,
        content: bytes,
        *,
        limits: ReadLimits = DEFAULT_LIMITS,
        progress: Progress = no_progress,
    ) -> ParsedImport:
        """`parse_import` of the file in a child; any failure of the child is a file error."""
        if not self._slots.acquire(blocking=False):
            progress("queued", 0, None)
            self._slots.acquire()
        try:
            child = self._take()
            if not child.ready:
                progress("starting", 0, None)
            if not child.wait_ready(self.settings.start_seconds):
                child.stop()
                return _failed(kind, CHILD_DIED)
            try:
                child.conn.send((kind, filename, content, limits))
            except (OSError, ValueError):
                child.stop()
                return _failed(kind, CHILD_DIED)
            deadline = self.clock() + limits.max_seconds + self.settings.grace_seconds
            while True:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    log.warning(
                        "import reader killed after %.0f s: %s", limits.max_seconds, filename
                    )
                    child.stop()
                    return _failed(kind, messages.too_slow(limits))
                try:
                    if not child.conn.poll(min(remaining, 0.5)):
                        continue
                    message = child.conn.recv()
                except (EOFError, OSError):
                    child.stop()
                    return _failed(kind, CHILD_DIED)
                if message[0] == "progress":
                    progress(message[1], message[2], message[3])
                    continue
                self._give_back(child)
                if message[0] == "done":
                    return message[1]
                return _failed(kind, message[1])
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for child in idle:
            child.stop()


def _failed(kind: str, message: str) -> ParsedImport:
    return ParsedImport(kind=kind, errors=[CellError("", 0, "", message)])
