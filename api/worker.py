"""The background worker: claims re-score and embedding jobs from the database and runs them.

When idle it queues an embedding job if texts wait for their vectors
(api.services.embedding_jobs).

The service starts one in a thread (the embedded default); `ld worker` runs the
same loop as its own process, and several may share one PostgreSQL queue.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from api.runtime import Runtime
from api.services.embedding_jobs import ensure_embedding_job
from api.services.job_runner import (
    DEFAULT_BACKOFF,
    STALE_AFTER,
    beat,
    claim_job,
    fail_job,
    run_job,
)
from api.services.transient import Backoff, retry_transient

log = logging.getLogger("api.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def work_once(
    engine: Engine,
    runtime: Runtime,
    worker: str,
    progress: Callable[[int, int], None] | None = None,
    job_id: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    stale_after: timedelta = STALE_AFTER,
    slice_size: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> int | None:
    """Claim and work one job (or its next slice); returns its id, or None when there was none.

    A heartbeat thread keeps the claim fresh while a step runs, so only a
    worker that has really died is taken over.  A locked database is waited
    out (`backoff`) when claiming, in each step and when recording a failure;
    the job fails for good only on another error or once the retries run out.
    """
    claimed = retry_transient(
        lambda: claim_job(engine, worker, job_id, stale_after), backoff=backoff
    )
    if claimed is None:
        return None
    stop_beating = threading.Event()
    interval = max(stale_after.total_seconds() / 4, 0.2)

    def heartbeat() -> None:
        while not stop_beating.wait(interval):
            try:
                beat(engine, claimed, worker)
            except Exception:  # a missed beat is harmless; the next one may pass
                log.warning("heartbeat for job %s failed", claimed, exc_info=True)

    beating = threading.Thread(target=heartbeat, name=f"ld-heartbeat-{claimed}", daemon=True)
    beating.start()
    try:
        outcome = run_job(
            engine,
            claimed,
            runtime,
            worker,
            progress,
            should_stop,
            slice_size=slice_size,
            stale_after=stale_after,
            backoff=backoff,
        )
        if outcome == "lost":
            log.warning("job %s was taken over by another worker", claimed)
        elif outcome == "cancelled":
            log.info("job %s was cancelled", claimed)
    except Exception as error:  # a job must end failed, never stuck "running"
        log.exception("job %s failed", claimed)
        fail_job(engine, claimed, worker, f"{type(error).__name__}: {error}", backoff)
    finally:
        stop_beating.set()
        beating.join()
    return claimed


class Worker:
    """A polling worker in a daemon thread, stopped with the app.

    `slice_size` enterprises per turn when other owners wait (None: a job runs to
    its end); see api.services.job_turns.
    """

    def __init__(
        self,
        engine: Engine,
        runtime: Runtime,
        poll_seconds: float = 1.0,
        stale_after: timedelta = STALE_AFTER,
        slice_size: int | None = None,
    ) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self.slice_size = slice_size
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ld-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the loop to end after the current step (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        self._thread.join(timeout)

    def _loop(self) -> None:
        name = worker_name()
        while not self._stop.is_set():
            try:
                done = work_once(
                    self.engine,
                    self.runtime,
                    name,
                    should_stop=self._stop.is_set,
                    stale_after=self.stale_after,
                    slice_size=self.slice_size,
                )
                busy = done is not None
                if not busy:  # idle: texts written since may wait for their vectors
                    busy = (
                        ensure_embedding_job(engine=self.engine, runtime=self.runtime) is not None
                    )
            except Exception:  # the database may be briefly unavailable: keep polling
                log.exception("worker loop error")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
