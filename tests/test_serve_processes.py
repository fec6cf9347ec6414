"""`ld serve --workers N`: every process accepts on its own socket, so connections spread.

The spreading is read from the kernel itself (/proc: which process owns the
server end of each connection), not from anything the service reports.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.serve_processes import PortInUse, check_port, reuse_port_socket
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads connections from Linux /proc"
)


def test_two_sockets_share_a_port_but_a_plain_listener_blocks_it() -> None:
    port = free_port()
    first = reuse_port_socket("127.0.0.1", port)
    second = reuse_port_socket("127.0.0.1", port)  # would raise EADDRINUSE without the option
    first.close()
    second.close()
    plain = socket.socket()
    plain.bind(("127.0.0.1", port))
    plain.listen()
    try:
        with pytest.raises(PortInUse, match="已被占用"):
            check_port("127.0.0.1", port)
    finally:
        plain.close()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _server_ends(port: int) -> dict[str, int]:
    """inode → client port, for the established connections whose server end is `port`."""
    ends = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port:
            ends[inode] = int(remote.split(":")[1], 16)
    return ends


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {**os.environ, "LD_DATA_DIR": str(tmp_path / "data"), "LD_ADMIN_TOKEN": "workers"}
    env.pop("LD_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@linux_only
@pytest.mark.slow  # two real server processes start and import the app
def test_connections_opened_together_reach_both_processes(
    two_processes: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = two_processes
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    servers: list[int] = []
    while len(servers) < 2:
        assert process.poll() is None, "ld serve --workers 2 exited"
        assert time.monotonic() < deadline, "the two processes did not start"
        servers = _listening_children(process.pid, port)
        time.sleep(0.2)
    assert len(servers) == 2, servers

    clients = [httpx.Client(base_url=base, timeout=10.0) for _ in range(16)]
    together = threading.Barrier(len(clients))

    def first_request(client: httpx.Client) -> int:
        together.wait()  # a burst, as eight officers' pages opening at once
        return client.get("/health").status_code

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            assert list(pool.map(first_request, clients)) == [200] * len(clients)
        # every connection is still open (kept alive) while the owners are read
        ends = _server_ends(port)
        owners = {pid: len(_socket_inodes(pid) & set(ends)) for pid in servers}
        # 16 connections hashed over two sockets: all on one has odds 2 / 2**16.
        assert sum(owners.values()) == 16, owners
        assert all(count > 0 for count in owners.values()), owners
    finally:
        for client in clients:
            client.close()
    assert process.poll() is None


def _listening_children(pid: int, port: int) -> list[int]:
    """The children of `pid` holding a listening socket on `port` (multiprocessing's
    resource tracker is a child too, and holds none)."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            listening.add(fields[9])
    return [child for child in _children(pid) if _socket_inodes(child) & listening]
