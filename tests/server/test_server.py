"""The socket server with real Unix sockets: isolation, limits, streaming, cancel, security."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon.errors import (
    BusyError,
    ConfigError,
    NotReadyError,
    PanzaError,
    StoreError,
    UserError,
)
from panza.daemon.protocol import MAX_LINE, ProtocolError, Request
from panza.daemon.server.socket_server import AlreadyRunning, Emit, Server, peer_uid, reply_code
from panza.daemon.server.writer import DraftCancelled
from tests.daemon_process import connect_as_nobody


class Harness:
    """A server on its own event loop thread, with handlers that record what happened."""

    def __init__(self, path: Path, allowed_uid: int | None = None) -> None:
        self.cancelled = threading.Event()
        self.loop = asyncio.new_event_loop()
        handlers = {
            "ping": self.ping,
            "status": self.stream,
            "sync": self.slow,
            "retrain": self.boom,
            "reload": self.user_error,
            "pause": self.busy,
        }
        self.server = Server(path, handlers, allowed_uid=allowed_uid)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            self.call(self.server.start())
        except BaseException:
            self._stop_loop()
            raise

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def ping(self, req: Request, emit: Emit) -> dict[str, Any]:
        return {"pong": True}

    async def stream(self, req: Request, emit: Emit) -> dict[str, Any]:
        for i in range(5):
            await emit({"id": req.id, "event": "token", "text": f"t{i}"})
        return {"done": 5}

    async def slow(self, req: Request, emit: Emit) -> dict[str, Any]:
        try:
            await emit({"id": req.id, "event": "progress", "stage": "waiting"})
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return {}

    async def boom(self, req: Request, emit: Emit) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    async def user_error(self, req: Request, emit: Emit) -> dict[str, Any]:
        raise UserError("the config has 1 problem")

    async def busy(self, req: Request, emit: Emit) -> dict[str, Any]:
        raise ProtocolError("busy", "training is running")

    def close(self) -> None:
        self.call(self.server.stop())
        self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "daemon.sock"


@pytest.fixture
def harness(sock_path: Path) -> Iterator[Harness]:
    h = Harness(sock_path)
    yield h
    h.close()


class Conn:
    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes | dict[str, Any]) -> None:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode() + b"\n"
        self.sock.sendall(raw)

    def recv(self) -> dict[str, Any]:
        line = self.file.readline()
        assert line, "connection closed"
        return dict(json.loads(line))

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def connect() -> Iterator[Any]:
    """Open client connections that are all closed after the test."""
    opened: list[Conn] = []

    def open_(path: Path) -> Conn:
        conn = Conn(path)
        opened.append(conn)
        return conn

    yield open_
    for conn in opened:
        conn.close()


def request(method: str, rid: str = "c1", **params: Any) -> dict[str, Any]:
    return {"v": 1, "id": rid, "method": method, "params": params}


def test_ping_and_permissions(connect: Any, harness: Harness, sock_path: Path) -> None:
    c = connect(sock_path)
    c.send(request("ping"))
    assert c.recv() == {"id": "c1", "ok": True, "result": {"pong": True}}
    assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(sock_path.parent.stat().st_mode) == 0o700


def test_bad_lines_do_not_kill_the_connection(
    connect: Any, harness: Harness, sock_path: Path
) -> None:
    c = connect(sock_path)
    c.send(b"{oops\n")
    assert c.recv()["error"]["code"] == "bad_request"
    c.send(b"\n")  # blank lines are ignored
    c.send(b"x" * (MAX_LINE + 10) + b"\n")
    assert c.recv() == {
        "id": None,
        "ok": False,
        "error": {"code": "too_large", "message": f"request over {MAX_LINE} bytes"},
    }
    c.send(request("drft"))
    reply = c.recv()
    assert reply["id"] == "c1" and "did you mean 'draft'" in reply["error"]["message"]
    c.send(request("ping", "c2"))
    assert c.recv()["result"] == {"pong": True}


def test_events_stream_in_order_then_reply(connect: Any, harness: Harness, sock_path: Path) -> None:
    c = connect(sock_path)
    c.send(request("status"))
    got = [c.recv() for _ in range(6)]
    assert [m.get("text") for m in got[:5]] == [f"t{i}" for i in range(5)]
    assert got[5] == {"id": "c1", "ok": True, "result": {"done": 5}}


def test_cancel_and_duplicate_id(connect: Any, harness: Harness, sock_path: Path) -> None:
    c = connect(sock_path)
    c.send(request("sync", "s1"))
    assert c.recv()["event"] == "progress"
    c.send(request("sync", "s1"))
    assert c.recv()["error"] == {"code": "bad_request", "message": "id 's1' is in use"}
    c.send(request("cancel", "x1", target="s1"))
    replies = {m["id"]: m for m in (c.recv(), c.recv())}
    assert replies["x1"]["result"] == {"cancelled": True}
    assert replies["s1"]["error"]["code"] == "cancelled"
    assert harness.cancelled.is_set()
    c.send(request("cancel", "x2", target="nothing"))
    assert c.recv()["result"] == {"cancelled": False}


def test_client_going_away_cancels_its_requests(
    connect: Any, harness: Harness, sock_path: Path
) -> None:
    c = connect(sock_path)
    c.send(request("sync"))
    assert c.recv()["event"] == "progress"
    c.close()
    assert harness.cancelled.wait(5)


def test_errors_map_to_codes_without_internals(
    connect: Any, harness: Harness, sock_path: Path
) -> None:
    c = connect(sock_path)
    c.send(request("retrain", full=False))
    assert c.recv()["error"] == {
        "code": "internal",
        "message": "internal error; see the daemon log",
    }
    c.send(request("reload", "c2"))
    assert c.recv()["error"] == {"code": "bad_request", "message": "the config has 1 problem"}
    c.send(request("pause", "c3"))
    assert c.recv()["error"] == {"code": "busy", "message": "training is running"}
    c.send(request("resume", "c4"))  # no handler registered
    assert c.recv()["error"]["code"] == "unavailable"


def test_one_bad_client_does_not_affect_another(
    connect: Any, harness: Harness, sock_path: Path
) -> None:
    good, bad = connect(sock_path), connect(sock_path)
    bad.send(b"\x00\xff garbage")  # no newline: a half line, then the client vanishes
    good.send(request("status"))
    bad.close()
    assert [good.recv().get("text") for _ in range(5)] == [f"t{i}" for i in range(5)]
    assert good.recv()["ok"]


def test_other_uid_is_refused(connect: Any, sock_path: Path) -> None:
    h = Harness(sock_path, allowed_uid=os.getuid() + 1)
    try:
        c = connect(sock_path)
        try:
            c.send(request("ping"))
            answer = c.file.readline()
        except ConnectionError:
            answer = b""
        assert answer == b""  # closed without an answer
    finally:
        h.close()


def test_peer_uid_is_ours(tmp_path: Path) -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer_uid(a) == os.getuid()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_reach_the_socket(harness: Harness, sock_path: Path) -> None:
    assert connect_as_nobody(sock_path) == 0  # PermissionError: the 0700 dir keeps them out


def test_second_daemon_refused_and_stale_socket_replaced(connect: Any, sock_path: Path) -> None:
    h = Harness(sock_path)
    try:
        with pytest.raises(AlreadyRunning):
            Harness(sock_path)
    finally:
        h.close()
    sock_path.parent.mkdir(parents=True, exist_ok=True)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock_path))
    stale.close()  # a socket file nobody listens on, as a killed daemon leaves
    h2 = Harness(sock_path)
    try:
        c = connect(sock_path)
        c.send(request("ping"))
        assert c.recv()["ok"]
    finally:
        h2.close()
    assert not sock_path.exists()


def test_stop_with_a_client_connected_is_quiet(
    connect: Any, sock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(sock_path)
    c = connect(sock_path)
    c.send(request("sync"))
    assert c.recv()["event"] == "progress"
    with caplog.at_level("DEBUG", logger="asyncio"):
        h.close()
    assert h.cancelled.is_set()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DraftCancelled("cancelled"), "cancelled"),
        (BusyError("sync is already running"), "busy"),
        (NotReadyError("no adapter trained yet"), "not_ready"),
        (ConfigError("config.toml is invalid"), "bad_request"),
        (ProtocolError("too_large", "request over 1 MiB"), "too_large"),
        (StoreError("cannot open panza.db"), "unavailable"),
    ],
)
def test_each_kind_of_error_becomes_its_reply_code(error: PanzaError, code: str) -> None:
    assert reply_code(error) == code
