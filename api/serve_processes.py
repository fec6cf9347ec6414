"""Several server processes on one port, each accepting on a socket of its own.

Why not uvicorn's own `--workers`: its supervisor binds one socket and every child
accepts from it, so whichever process wakes first takes a whole burst of
keep-alive connections. Measured with `bench.stored_get` (8 clients opening
together), the connections landed 8/0 on one process in 3 of 3 tries, and a
second process added nothing. Here each process binds its own listening socket
with `SO_REUSEPORT`, and the kernel hashes every new connection to one of them.

The parent only supervises: it checks the port is free before starting anyone
(a clear error instead of N children failing alike), restarts a process that
dies once it has been serving, and stops everyone on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Annotated

import typer

APP = "api.main:app"
log = logging.getLogger("ld.serve")
STARTUP_GRACE_S = 10.0
"""A process that exits sooner than this after its start is not restarted: a
failure that early (an import error, a bad setting) would repeat forever."""
STOP_WAIT_S = 30.0


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A bound socket that other sockets with SO_REUSEPORT may bind too (not listening yet)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class PortInUse(RuntimeError):
    """Raised before any process starts: the port is held by a socket not sharing it."""


def check_port(host: str, port: int) -> None:
    try:
        reuse_port_socket(host, port).close()
    except OSError as error:
        raise PortInUse(f"端口 {host}:{port} 已被占用，无法启动服务（{error.strerror}）") from error


def serve_one(host: str, port: int, log_level: str, access_log: bool = True) -> None:
    """One server process: the app from the environment, on its own SO_REUSEPORT socket."""
    import uvicorn

    sock = reuse_port_socket(host, port)
    config = uvicorn.Config(APP, host=host, port=port, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve_processes(
    host: str, port: int, workers: int, log_level: str = "info", access_log: bool = True
) -> int:
    """Run `workers` server processes until a signal; the exit code for the command."""
    check_port(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int) -> tuple[BaseProcess, float]:
        process = context.Process(
            target=serve_one,
            args=(host, port, log_level, access_log),
            name=f"ld-serve-{index}",
        )
        process.start()
        return process, time.monotonic()

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running = [start(index) for index in range(workers)]
    code = 0
    try:
        while not stopping:
            for index, (process, started) in enumerate(running):
                process.join(timeout=0.2 / workers)
                if process.exitcode is None or stopping:
                    continue
                if time.monotonic() - started < STARTUP_GRACE_S:
                    log.error(
                        "服务进程 %s 启动后即退出（退出码 %s），全部停止",
                        process.name,
                        process.exitcode,
                    )
                    code = process.exitcode or 1
                    stopping = True
                    break
                log.warning(
                    "服务进程 %s 退出（退出码 %s），已重新启动", process.name, process.exitcode
                )
                running[index] = start(index)
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        deadline = time.monotonic() + STOP_WAIT_S
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def main(
    port: Annotated[int, typer.Option(help="the port every process shares")],
    host: str = "127.0.0.1",
    workers: int = 2,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """`python -m api.serve_processes --port P --workers N`: the processes of
    `ld serve --workers N` without its set-up (the bench serves a migrated database)."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s: %(message)s")
    raise typer.Exit(serve_processes(host, port, workers, log_level, access_log))


if __name__ == "__main__":
    typer.run(main)
