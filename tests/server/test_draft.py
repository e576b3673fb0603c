"""Drafting through the real daemon with a trained tiny adapter, one behaviour per test.

Training the adapter is the slow part, so one daemon serves the module; the tests run in
file order and the one that retrains comes last.
"""

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
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config
from tests.native.conftest import Host, MiB, request
from tests.server.test_daemon import start, stop
from tests.server.test_daemon_load import first_token, until_reply

pytestmark = [pytest.mark.integration, pytest.mark.process, pytest.mark.model]
CONTEXT = 1024  # the tiny model's max_position_embeddings (demo_model.TINY)


@pytest.fixture(scope="module")
def trained_home(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("draft") / "panza-home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PANZA_HOME", str(home))
        write_config(home, tiny_base)
        with Store(paths.resolve().db_file) as store:
            add_emails(store, EMAILS[:12])
        assert main(["train"]) == 0
        yield home


@pytest.fixture(scope="module")
def socket_file(trained_home: Path) -> Iterator[Path]:
    proc = start(trained_home)
    try:
        yield paths.resolve({"PANZA_HOME": str(trained_home)}).socket_file
    finally:
        assert stop(proc) == 0


@pytest.fixture
def client(socket_file: Path) -> Iterator[Client]:
    with Client(socket_file, timeout=300) as c:
        yield c


def draft(c: Client, **params: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    result = c.call("draft", {"temperature": 0, "max_new_tokens": 24, **params}, events.append)
    return result, events


def test_a_draft_streams_the_tokens_of_its_text(client: Client) -> None:
    result, events = draft(client, instruction="Ask Tom about the cluster budget")
    tokens = [e["text"] for e in events if e["event"] == "token"]
    assert len(tokens) >= 2  # streamed, not one blob
    assert "".join(tokens).strip() == result["text"]
    assert result["adapter_version"] == 1 and len(result["draft_id"]) == 16
    assert result["capped_to"] is None
    assert 0 < result["timings"]["first_token_s"] <= result["timings"]["total_s"]


def test_a_draft_is_stored_with_the_text_finally_sent(client: Client, trained_home: Path) -> None:
    result, _ = draft(client, instruction="Ask Tom about the cluster budget")
    assert client.call("feedback", {"draft_id": result["draft_id"], "text": "Hi Tom"}) == {
        "recorded": True
    }
    with Store(paths.resolve({"PANZA_HOME": str(trained_home)}).db_file) as store:
        row = store.conn.execute(
            "SELECT instruction, text, sent_text, adapter_version FROM drafts WHERE id = ?",
            (result["draft_id"],),
        ).fetchone()
    assert tuple(row) == ("Ask Tom about the cluster budget", result["text"], "Hi Tom", 1)


def test_a_reply_needs_no_instruction(client: Client) -> None:
    result, events = draft(
        client, mode="reply", thread=[{"from": "Tom", "text": "Lunch on Friday?"}]
    )
    assert result["adapter_version"] == 1
    assert any(e["event"] == "token" for e in events)


def test_a_draft_asking_for_more_than_the_context_is_capped(client: Client) -> None:
    """4096 new tokens do not fit beside the prompt in a 1024-token context: capped, not failed."""
    result, _ = draft(client, instruction="Write a long update", max_new_tokens=4096)
    assert result["capped_to"] is not None
    assert 0 < result["capped_to"] < CONTEXT  # the context less the prompt's tokens


def test_cancel_stops_a_draft_only_from_its_own_connection(
    client: Client, socket_file: Path
) -> None:
    rid = client.send(
        "draft", {"instruction": "Write a long update", "temperature": 0, "max_new_tokens": 400}
    )
    first_token(client, rid)
    with Client(socket_file, timeout=60) as other:
        assert other.call("cancel", {"target": rid}) == {"cancelled": False}
    cancel_id = client.send("cancel", {"target": rid})
    replies: dict[str, dict[str, Any]] = {}
    for message in client.messages():
        if "ok" in message and message["id"] in (rid, cancel_id):
            replies[message["id"]] = message
            if len(replies) == 2:
                break
    assert set(replies) == {rid, cancel_id}, "the connection closed before both replies"
    assert replies[cancel_id]["result"] == {"cancelled": True}
    assert replies[rid]["error"]["code"] == "cancelled"


def test_a_second_draft_waits_and_is_told_its_place(client: Client, socket_file: Path) -> None:
    seen: list[dict[str, Any]] = []
    with Client(socket_file, timeout=300) as second:
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
        reply, _ = until_reply(client, rid)
        worker.join(300)
    assert reply["ok"] is True
    assert not worker.is_alive()
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
    rid = client.send("retrain", {"full": True})
    with pytest.raises(DaemonError) as busy:  # a second run while one is running is busy...
        client.call("retrain", {})
    assert busy.value.code == "busy"
    reply, _ = until_reply(client, rid)  # ...and the first one finishes: v0002
    assert reply["result"]["status"] in ("accepted", "rejected")


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
