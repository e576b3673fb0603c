"""The CLI clients of the daemon: `panza draft` (through the daemon, and without one),
`retrain`, `pause`, `resume`, and SIGTERM during training stopping the child."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.cli.draft_cmds import reply_params
from panza.daemon.client import Client
from panza.daemon.mail.clean import CleanRules
from panza.daemon.store import Store
from panza.daemon.store.state import current_adapter
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config
from tests.server.test_daemon import start, stop
from tests.server.test_draft import trained_home  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

EML = b"""From: Tom Baker <tom@example.org>
To: David <david@example.org>
Subject: Cluster budget
Date: Tue, 02 Jan 2024 10:00:00 +0000
Message-ID: <t2@example.org>
Content-Type: text/plain; charset=utf-8

Can we move the cluster budget meeting to Friday?

On Mon, 1 Jan 2024 at 09:00, David <david@example.org> wrote:
> The cluster budget is due next week, please send numbers.
"""

FAST = ["--temperature", "0", "--max-new-tokens", "16"]


class Pieces:
    """A stdout that remembers each write."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def drafts() -> list[dict[str, Any]]:
    with Store(paths.resolve().db_file) as store:
        rows = store.conn.execute("SELECT mode, subject, text FROM drafts ORDER BY created_at")
        return [dict(r) for r in rows]


def test_reply_to_builds_the_thread_oldest_first(tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(EML)
    params = reply_params(eml, CleanRules(frozenset(), frozenset()))
    assert params["mode"] == "reply" and params["subject"] == "Re: Cluster budget"
    texts = [m["text"] for m in params["thread"]]
    assert texts == [
        "The cluster budget is due next week, please send numbers.",
        "Can we move the cluster budget meeting to Friday?",
    ]
    assert params["thread"][-1]["from"] == "Tom Baker"


def test_clients_say_how_to_start_the_daemon(
    learn_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["retrain"], ["retrain", "--full"], ["pause"], ["resume"], ["status"]):
        assert main(command) != 0
        err = capsys.readouterr().err
        assert "daemon is not running" in err and "panza daemon" in err, command


def test_draft_without_a_daemon_runs_the_writer_here(
    trained_home: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No daemon: the writer streams to stdout from this process; no part of the server
    # (service, jobs, the draft queue, the socket server) is built for it.
    from panza.daemon.server.drafting import Drafting
    from panza.daemon.server.jobs import Jobs
    from panza.daemon.server.operations import Service
    from panza.daemon.server.socket_server import Server

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("panza draft without a daemon built a server object")

    for server_part in (Service, Jobs, Drafting, Server):
        monkeypatch.setattr(server_part, "__init__", refuse)
    before = len(drafts())
    pieces = Pieces()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", pieces)
        assert main(["draft", "Ask Tom about the cluster budget", *FAST]) == 0
    stored = drafts()[before:]
    assert len(stored) == 1 and stored[0]["mode"] == "new"
    assert len(pieces.written) >= 3  # streamed as it was written, then a newline
    assert "".join(pieces.written).strip() == stored[0]["text"]

    assert main(["draft", "Thank Tom", "--json", *FAST]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["adapter_version"] == 1 and len(result["draft_id"]) == 16
    assert result["text"] == drafts()[-1]["text"]


def test_draft_through_the_daemon(
    trained_home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proc = start(trained_home)
    try:
        # Through the daemon: tokens arrive as events and go to stdout as they come.
        pieces = Pieces()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "stdout", pieces)
            args = ["draft", "Ask Tom about the cluster budget", "--subject", "Budget", *FAST]
            assert main(args) == 0
        assert len(pieces.written) >= 3  # two or more tokens as they came, then a newline
        assert "".join(pieces.written).strip() == drafts()[-1]["text"]
        assert drafts()[-1]["subject"] == "Budget"

        assert main(["draft", "Ask Tom", "--json", *FAST]) == 0
        result = json.loads(capsys.readouterr().out)  # only the result object
        assert set(result) >= {"draft_id", "text", "adapter_version", "retrieved", "timings"}

        eml = tmp_path / "m.eml"
        eml.write_bytes(EML)
        assert main(["draft", "--reply-to", str(eml), "--json", *FAST]) == 0
        json.loads(capsys.readouterr().out)
        assert drafts()[-1]["mode"] == "reply"
        assert drafts()[-1]["subject"] == "Re: Cluster budget"

        assert main(["pause"]) == 0
        with Client(paths.resolve().socket_file) as c:
            assert c.call("status")["paused"] is True
        assert main(["resume"]) == 0
        with Client(paths.resolve().socket_file) as c:
            assert c.call("status")["paused"] is False
        capsys.readouterr()
        assert main(["retrain"]) == 0
        assert "Training: nothing_to_train" in capsys.readouterr().out
    finally:
        assert stop(proc) == 0


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(p) for p in text)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_sigterm_during_training_stops_the_child(learn_home: Path, tiny_base: Path) -> None:
    write_config(learn_home, tiny_base, epochs=5000, full_epochs=5000)
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:12])
    proc = start(learn_home)
    stopped = False
    try:
        c = Client(paths.resolve().socket_file, timeout=300)
        rid = c.send("retrain", {})
        kids: set[int] = set()
        for message in c.messages():
            assert message.get("id") != rid or "ok" not in message, message
            if message.get("stage") == "training" and message.get("done", 0) >= 1:
                kids = _children(proc.pid)
                break
        assert kids, "no training child found"
        code = stop(proc)
        stopped = True
        c.close()
        assert code == 0
        deadline = time.monotonic() + 5
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(k) for k in kids)
    finally:
        if not stopped:
            stop(proc)
    with Store(paths.resolve().db_file) as store:
        assert current_adapter(store.conn) is None
        accepted = store.conn.execute(
            "SELECT count(*) FROM adapter_versions WHERE status = 'accepted'"
        ).fetchone()[0]
    assert accepted == 0


@pytest.mark.parametrize(
    ("paused", "kept", "played"),
    [(False, 3, 3), (False, 0, 0), (True, 3, 0)],
    ids=["new mail", "nothing new kept", "paused"],
)
def test_playback_after_a_sync_only_for_new_mail_and_not_while_paused(
    learn_home: Path, paused: bool, kept: int, played: int
) -> None:
    """A sync asked for while paused still stores mail; playback (a model run) waits."""
    import asyncio

    from panza.daemon.config import load_config
    from panza.daemon.pipeline.sync import SyncOutcome
    from panza.daemon.server.background import Background
    from panza.daemon.server.drafting import Drafting
    from panza.daemon.server.jobs import Jobs
    from panza.daemon.server.operations import Service
    from panza.daemon.server.routines import Routines
    from panza.daemon.server.writer import Writer
    from panza.daemon.store.emails import InsertResult

    where = paths.resolve()
    with Store(where.db_file) as store:
        add_emails(store, EMAILS[:3])
        service = Service(where, load_config(where.config_file), store)
        service.paused = paused
        jobs = Jobs()
        spawned: list[str] = []

        async def go() -> None:
            async with Background() as background:  # waits for the playback it spawned

                def spawn(work: Any, name: str) -> None:
                    spawned.append(name)
                    background.spawn(work, name)

                routines = Routines(service, jobs, Drafting(service, Writer(service), jobs), spawn)
                routines.after_sync([SyncOutcome("a", InsertResult(kept=kept))])
                assert len(spawned) == (1 if played else 0)

        try:
            asyncio.run(go())
        finally:
            jobs.shutdown()
        if played:
            state = jobs.states["playback"]
            assert state.last_error is None and state.last_result["written"] == played
        else:
            assert "playback" not in jobs.states
        missing = store.conn.execute(
            "SELECT count(*) FROM emails WHERE instruction IS NULL"
        ).fetchone()[0]
        assert missing == 3 - played
