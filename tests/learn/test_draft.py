"""Drafting through the real daemon with a trained tiny adapter: stream, cancel, queue, retrain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.client import Client, DaemonError
from panza.daemon.store import Store
from tests.learn.corpus import EMAILS, add_emails
from tests.native.conftest import Host, MiB, request
from tests.server.test_daemon import start, stop

pytestmark = pytest.mark.integration


@pytest.fixture
def trained_home(learn_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:12])
    assert main(["train"]) == 0
    capsys.readouterr()
    return learn_home


@pytest.fixture
def client(trained_home: Path) -> Iterator[Client]:
    proc = start(trained_home)
    c = Client(paths.resolve().socket_file, timeout=300)
    try:
        yield c
    finally:
        c.close()
        assert stop(proc) == 0


def first_token(c: Client, request_id: str) -> None:
    """Read until the request's first token; fail (not hang) if it ends without one."""
    for message in c.messages():
        if message.get("id") != request_id:
            continue
        assert "ok" not in message, f"the draft ended before any token: {message}"
        if message.get("event") == "token":
            return
    raise AssertionError("connection closed")


def draft(c: Client, **params: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    result = c.call("draft", {"temperature": 0, "max_new_tokens": 24, **params}, events.append)
    return result, events


def test_drafting_end_to_end(client: Client, trained_home: Path) -> None:
    # One daemon for every drafting check: each test here pays for a training run.
    result, events = draft(client, instruction="Ask Tom about the cluster budget")
    tokens = [e["text"] for e in events if e["event"] == "token"]
    assert len(tokens) >= 2  # streamed, not one blob
    assert "".join(tokens).strip() == result["text"]
    assert result["adapter_version"] == 1 and len(result["draft_id"]) == 16
    assert result["timings"]["first_token_s"] > 0
    assert result["timings"]["total_s"] >= result["timings"]["first_token_s"]
    assert isinstance(result["retrieved"], list)
    # the draft is stored, and the text the user finally sent can be recorded
    assert client.call("feedback", {"draft_id": result["draft_id"], "text": "Hi Tom"}) == {
        "recorded": True
    }
    with Store(paths.resolve().db_file) as store:
        row = store.conn.execute(
            "SELECT instruction, text, sent_text, adapter_version FROM drafts"
        ).fetchone()
    assert tuple(row) == ("Ask Tom about the cluster budget", result["text"], "Hi Tom", 1)
    assert client.call("status")["adapter"]["version"] == 1

    # a reply needs no instruction
    result, _ = draft(client, mode="reply", thread=[{"from": "Tom", "text": "Lunch on Friday?"}])
    assert result["adapter_version"] == 1

    # cancel stops a running draft, only from the connection that owns it
    rid = client.send(
        "draft", {"instruction": "Write a long update", "temperature": 0, "max_new_tokens": 400}
    )
    first_token(client, rid)
    with Client(paths.resolve().socket_file, timeout=60) as other:
        assert other.call("cancel", {"target": rid}) == {"cancelled": False}
    cancel_id = client.send("cancel", {"target": rid})
    replies: dict[str, dict[str, Any]] = {}
    for message in client.messages():
        if "ok" in message and message["id"] in (rid, cancel_id):
            replies[message["id"]] = message
            if len(replies) == 2:
                break
    assert replies[cancel_id]["result"] == {"cancelled": True}
    assert replies[rid]["error"]["code"] == "cancelled"

    # a second draft waits its turn and is told its place
    seen: list[dict[str, Any]] = []
    with Client(paths.resolve().socket_file, timeout=300) as second:
        rid = client.send(
            "draft", {"instruction": "Write a long update", "temperature": 0, "max_new_tokens": 120}
        )
        first_token(client, rid)
        worker = threading.Thread(
            target=lambda: second.call(
                "draft",
                {"instruction": "Thank Tom", "temperature": 0, "max_new_tokens": 8},
                seen.append,
            )
        )
        worker.start()
        for message in client.messages():
            if message.get("id") == rid and "ok" in message:
                assert message["ok"]
                break
        worker.join(300)
    assert {"event": "queued", "position": 1} in [
        {k: v for k, v in e.items() if k != "id"} for e in seen
    ]
    assert any(e["event"] == "token" for e in seen)


def test_draft_through_the_native_host(client: Client, trained_home: Path) -> None:
    """The browser's path: framed request in, one frame per token event, then the reply."""
    host = Host(trained_home)
    try:
        host.send(
            request(
                "d1",
                "draft",
                instruction="Thank Tom for the report.",
                max_new_tokens=24,
                temperature=0,
            )
        )
        frames = host.until_reply("d1", timeout=300)
    finally:
        code = host.close()
    reply = frames[-1]
    assert reply["ok"] is True, reply
    tokens = [m for m in frames if m.get("event") == "token"]
    assert len(tokens) >= 2  # streamed: many frames, not one
    assert all(m["id"] == "d1" for m in frames)
    assert "".join(t["text"] for t in tokens).strip() == reply["result"]["text"]
    assert max(host.sizes) < MiB
    assert code == 0


def test_retrain_over_the_protocol(client: Client) -> None:
    events: list[dict[str, Any]] = []
    result = client.call("retrain", {}, events.append)
    assert result["status"] == "nothing_to_train"
    assert any(e["event"] == "progress" for e in events)
    with pytest.raises(DaemonError):  # full retrain while one is running is busy...
        rid = client.send("retrain", {"full": True})
        client.call("retrain", {})
    for message in client.messages():  # ...and the first one finishes: v0002
        if message.get("id") == rid and "ok" in message:
            assert message["result"]["status"] in ("accepted", "rejected")
            break


def test_not_ready_before_any_training(learn_home: Path) -> None:
    proc = start(learn_home)
    try:
        with (
            Client(paths.resolve().socket_file, timeout=60) as c,
            pytest.raises(DaemonError) as info,
        ):
            c.call("draft", {"instruction": "Hi"})
        assert info.value.code == "not_ready"
        assert "panza train" in str(info.value)
    finally:
        assert stop(proc) == 0
