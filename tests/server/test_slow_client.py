"""A client that stops reading cannot hold the server: its requests are cancelled (item 4)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon.protocol import Request
from panza.daemon.server.socket_server import MAX_IN_FLIGHT, Emit, Server
from tests.server.test_server import Conn, request

STALL_S = 1.0


class Flood:
    """A server whose ``status`` streams tokens until cancelled, holding a shared lock."""

    def __init__(self, path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.lock = asyncio.Lock()  # stands in for the one-draft-at-a-time lock
        self.cancelled = threading.Event()
        self.sent = 0
        self.waiting = 0  # requests inside `wait`
        handlers = {"status": self.flood, "ping": self.ping, "sync": self.wait}
        self.server = Server(path, handlers, stall_s=lambda: STALL_S)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.server.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def flood(self, req: Request, emit: Emit) -> dict[str, Any]:
        async with self.lock:
            try:
                while True:
                    await emit({"id": req.id, "event": "token", "text": "word " * 20})
                    self.sent += 1
            except asyncio.CancelledError:
                self.cancelled.set()
                raise

    async def ping(self, req: Request, emit: Emit) -> dict[str, Any]:
        async with self.lock:
            return {"pong": True}

    async def wait(self, req: Request, emit: Emit) -> dict[str, Any]:
        self.waiting += 1
        await asyncio.sleep(30)
        return {}

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def flood(tmp_path: Path) -> Iterator[tuple[Flood, Path]]:
    path = tmp_path / "run" / "daemon.sock"
    server = Flood(path)
    yield server, path
    server.close()


def silent_client(path: Path) -> socket.socket:
    """A client with a tiny receive buffer that sends one request and never reads."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(str(path))
    return sock


def test_a_client_that_never_reads_is_cancelled_and_the_lock_freed(
    flood: tuple[Flood, Path],
) -> None:
    server, path = flood
    stuck = silent_client(path)
    try:
        stuck.sendall(json.dumps(request("status", "s1")).encode() + b"\n")
        assert server.cancelled.wait(STALL_S + 20), "the stalled request was never cancelled"
        # Only what fits in the bounded buffers went out before the server gave up.
        assert 0 < server.sent < 5000
        other = Conn(path)
        try:
            started = time.monotonic()
            other.send(request("ping", "p1"))  # needs the lock the stalled request held
            assert other.recv() == {"id": "p1", "ok": True, "result": {"pong": True}}
            assert time.monotonic() - started < 5
        finally:
            other.close()
        stuck.settimeout(5)
        drained = b""
        while chunk := stuck.recv(1 << 16):  # the server hung up: end of stream, then nothing
            drained += chunk
        assert drained.count(b"\n") == len(drained.splitlines())
    finally:
        stuck.close()


def test_requests_in_flight_per_connection_are_bounded(flood: tuple[Flood, Path]) -> None:
    _, path = flood
    c = Conn(path)
    try:
        lines = [json.dumps(request("sync", f"w{i}")).encode() for i in range(MAX_IN_FLIGHT + 1)]
        c.send(b"\n".join(lines) + b"\n")
        reply = c.recv()
        assert reply["id"] == f"w{MAX_IN_FLIGHT}" and reply["error"]["code"] == "busy"
    finally:
        c.close()


def test_stop_waits_for_the_requests_of_connections_already_closed(
    flood: tuple[Flood, Path],
) -> None:
    """A client that hangs up leaves its requests cancelled but still finishing; stop()
    must wait for them too, or they die pending with the event loop."""
    server, path = flood
    c = Conn(path)
    lines = [json.dumps(request("sync", f"q{i}")).encode() for i in range(3)]
    c.send(b"\n".join(lines) + b"\n")
    deadline = time.monotonic() + 5
    while server.waiting < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.waiting == 3  # all three are in their handler
    c.close()

    async def stop_then_list_unfinished() -> list[asyncio.Task[Any]]:
        await server.server.stop()
        me = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not me and not t.done()]

    assert server.call(stop_then_list_unfinished()) == []
