"""The real daemon under load with a trained tiny adapter: concurrency, bad input, SIGTERM
mid-draft, adapter hot-swap while drafting, another uid refused (issue 6)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from panza.daemon.protocol import MAX_LINE
from panza.daemon.store import Store
from panza.daemon.store.state import add_adapter_version, current_adapter, set_current_adapter
from tests.daemon_process import connect_as_nobody
from tests.server.test_daemon import start, stop

pytestmark = pytest.mark.integration

LONG = {"instruction": "Write a long update on the project", "temperature": 0}


@pytest.fixture
def home(trained: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PANZA_HOME", str(trained))
    return trained


@pytest.fixture
def daemon(home: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start(home)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            assert stop(proc) == 0
        elif proc.stdout:
            proc.stdout.close()
        assert not paths.resolve().socket_file.exists()


def connect(timeout: float = 120) -> Client:
    return Client(paths.resolve().socket_file, timeout=timeout)


def until_reply(c: Client, request_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Messages for ``request_id`` up to and including its reply; fail if the line closes."""
    events: list[dict[str, Any]] = []
    for message in c.messages():
        if message.get("id") != request_id:
            continue
        if "ok" in message:
            return message, events
        events.append(message)
    raise AssertionError(f"connection closed before the reply to {request_id}")


def first_token(c: Client, request_id: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for message in c.messages():
        if message.get("id") != request_id:
            continue
        assert "ok" not in message, f"the draft ended before any token: {message}"
        seen.append(message)
        if message.get("event") == "token":
            return seen
    raise AssertionError("connection closed")


def raw_line(sock: socket.socket, data: bytes) -> dict[str, Any]:
    """Send one raw line on a bare socket and read one reply line."""
    sock.sendall(data)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(65536)
        assert chunk, "the daemon closed the connection"
        buf += chunk
    return dict(json.loads(buf))


def test_twenty_concurrent_clients(daemon: subprocess.Popen[bytes]) -> None:
    results: dict[int, list[tuple[str, dict[str, Any], list[dict[str, Any]]]]] = {}
    failures: list[BaseException] = []
    go = threading.Barrier(20)

    def client(n: int) -> None:
        try:
            with connect() as c:
                go.wait(30)
                done = []
                for method in ("ping", "status", "draft", "ping"):
                    params: dict[str, Any] = {}
                    if method == "draft":
                        params = {"instruction": f"Thank Tom, note {n}", "temperature": 0}
                        params["max_new_tokens"] = 6
                    rid = c.send(method, params)
                    reply, events = until_reply(c, rid)
                    assert reply["id"] == rid and all(e["id"] == rid for e in events)
                    done.append((method, reply, events))
                results[n] = done
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not failures, failures
    assert sorted(results) == list(range(20))
    for done in results.values():
        assert [m for m, _, _ in done] == ["ping", "status", "draft", "ping"]
        assert all(reply["ok"] for _, reply, _ in done), done
        assert done[0][1]["result"]["pong"] is True
        assert done[0][1]["result"] == done[3][1]["result"]
        assert done[0][1]["result"]["pid"] == daemon.pid
        assert done[1][1]["result"]["adapter"]["version"] >= 1
        draft, events = done[2][1]["result"], done[2][2]
        assert len(draft["draft_id"]) == 16 and draft["adapter_version"] >= 1
        assert any(e["event"] == "token" for e in events)
    # each draft stored once, with its own id
    ids = {done[2][1]["result"]["draft_id"] for done in results.values()}
    assert len(ids) == 20
    with Store(paths.resolve().db_file) as store:
        marks = [f"'{i}'" for i in ids]
        stored = store.conn.execute(
            f"SELECT count(*) FROM drafts WHERE id IN ({','.join(marks)})"
        ).fetchone()[0]
    assert stored == 20


def test_bad_requests_while_another_client_drafts(daemon: subprocess.Popen[bytes]) -> None:
    sock_path = str(paths.resolve().socket_file)
    with connect() as drafter, socket.socket(socket.AF_UNIX) as bad:
        bad.settimeout(60)
        bad.connect(sock_path)
        rid = drafter.send("draft", {**LONG, "max_new_tokens": 300})
        first_token(drafter, rid)

        reply = raw_line(bad, b'{"v": 1, "id": "x1", "method": "ping"\n')
        assert reply["ok"] is False and reply["error"]["code"] == "bad_request"
        assert "not JSON" in reply["error"]["message"]
        reply = raw_line(bad, b'{"v": 1, "id": "x2", "method": "pong", "params": {}}\n')
        assert reply["id"] == "x2" and reply["error"]["code"] == "bad_request"
        assert "unknown method 'pong'" in reply["error"]["message"]
        huge = json.dumps(
            {"v": 1, "id": "x3", "method": "ping", "params": {"pad": "a" * (MAX_LINE + 10)}}
        )
        reply = raw_line(bad, huge.encode() + b"\n")
        assert reply["ok"] is False and reply["error"]["code"] == "too_large"
        # the same connection still serves
        reply = raw_line(bad, b'{"v": 1, "id": "x4", "method": "ping", "params": {}}\n')
        assert reply["id"] == "x4" and reply["ok"] is True and reply["result"]["pong"] is True

        final, events = until_reply(drafter, rid)
        assert final["ok"] is True, final
        assert len(final["result"]["draft_id"]) == 16
        assert all(e["id"] == rid for e in events)


def test_sigterm_during_a_draft(daemon: subprocess.Popen[bytes]) -> None:
    sock = paths.resolve().socket_file
    c = connect(timeout=15)
    try:
        rid = c.send("draft", {**LONG, "max_new_tokens": 800})
        first_token(c, rid)
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(15)
        took = time.monotonic() - started
        # a reply (cancelled) or a closed connection; a hang would raise TimeoutError
        replies = [m for m in c.messages() if m.get("id") == rid and "ok" in m]
    finally:
        c.close()
    assert code == 0
    assert took < 5, f"the daemon took {took:.1f} s to stop"
    assert all(r["ok"] is False and r["error"]["code"] == "cancelled" for r in replies), replies
    assert not sock.exists()


def test_adapter_hot_swap_while_drafting(home: Path, daemon: subprocess.Popen[bytes]) -> None:
    where = paths.resolve()
    with Store(where.db_file) as store:
        old = current_adapter(store.conn)
        assert old is not None
        row = store.conn.execute(
            "SELECT path, method FROM adapter_versions WHERE version = ?", (old,)
        ).fetchone()
        new = int(store.conn.execute("SELECT max(version) FROM adapter_versions").fetchone()[0]) + 1
    target = where.adapters_dir / f"v{new:04d}"
    shutil.copytree(row[0], target)

    with connect() as c:
        # load the model with the old adapter first, so the long draft is all generation
        reply, _ = until_reply(c, c.send("draft", {**LONG, "max_new_tokens": 4}))
        assert reply["result"]["adapter_version"] == old
        rid = c.send("draft", {**LONG, "max_new_tokens": 400})
        first_token(c, rid)
        with Store(where.db_file) as store, store.write() as conn:
            add_adapter_version(conn, new, str(target), row[1], "accepted", parent=old)
            set_current_adapter(conn, new)
        reply, events = until_reply(c, rid)
        assert reply["ok"] is True, reply
        assert reply["result"]["adapter_version"] == old  # the running draft keeps its model
        reply, events = until_reply(c, c.send("draft", {**LONG, "max_new_tokens": 4}))
        assert reply["ok"] is True, reply
        assert reply["result"]["adapter_version"] == new
        assert any(e.get("event") == "progress" and "loading" in e["stage"] for e in events)
        assert c.call("status")["adapter"]["version"] == new


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_uid_is_refused(daemon: subprocess.Popen[bytes]) -> None:
    assert connect_as_nobody(paths.resolve().socket_file) == 0  # PermissionError
    with connect() as c:  # and the daemon still serves its own user
        assert c.call("ping")["pong"] is True
