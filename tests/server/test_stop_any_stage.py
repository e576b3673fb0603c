"""Quit (the protocol's ``stop``, the tray's "Quit Panza") and SIGTERM stop a retrain at
any stage, not only while its training child runs: during playback, and while the
training run is still being prepared (no child yet). The daemon ends promptly and
publishes no adapter. Real daemon, real children, the tiny test model."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from panza.daemon.store import Store
from panza.daemon.tuning import child
from panza.daemon.tuning.child import JobCancelledError, TrainingJobError
from tests.corpus import EMAILS, add_emails
from tests.model_fixtures import write_config
from tests.server.test_daemon import start
from tests.server.test_daemon_cli import _alive, _children

pytestmark = pytest.mark.integration

PROMPTLY_S = 60  # the stage in flight may finish (loading the embedder), nothing longer


def stops_cleanly(home: Path, stage: str, done: int, how: str) -> None:
    """Start a retrain and stop the daemon when progress reaches ``stage`` with ``done``:
    it exits 0 within PROMPTLY_S, its children with it, and no adapter is published."""
    proc = start(home)
    c = Client(paths.resolve().socket_file, timeout=300)
    try:
        rid = c.send("retrain", {})
        for message in c.messages():
            assert message.get("id") != rid or "ok" not in message, message
            if message.get("stage") == stage and message.get("done", 0) >= done:
                break
        kids = _children(proc.pid)
        if how == "quit":
            with Client(paths.resolve().socket_file, timeout=30) as other:
                assert other.call("stop") == {"stopping": True}
        else:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(PROMPTLY_S) == 0
    finally:
        c.close()
        if proc.poll() is None:  # it did not stop: take its children down with it
            for kid in _children(proc.pid):
                subprocess.run(["kill", "-9", str(kid)], check=False)
            proc.kill()
            proc.wait(30)
        if proc.stdout:
            proc.stdout.close()
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(k) for k in kids)
    with Store(paths.resolve().db_file) as store:
        versions = store.conn.execute("SELECT count(*) FROM adapter_versions").fetchone()[0]
    folder = paths.resolve().adapters_dir
    assert (versions, sorted(p.name for p in folder.glob("v*"))) == (0, [])


def test_quit_while_the_training_run_is_prepared(learn_home: Path, tiny_base: Path) -> None:
    # Retrieval context on: preparing the run loads the embedding model in the daemon
    # (seconds, no child process yet); the training itself would run for a long time.
    write_config(learn_home, tiny_base, epochs=5000, full_epochs=5000, rag_share=0.5)
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:12])
    stops_cleanly(learn_home, "training", 0, "quit")


def test_sigterm_during_playback(learn_home: Path, tiny_base: Path) -> None:
    # The tiny model writes the instructions: playback is a child of its own, batch by batch.
    write_config(learn_home, tiny_base, epochs=5000, full_epochs=5000)
    config = learn_home / "config.toml"
    config.write_text(config.read_text().replace('playback = "subject"', 'playback = ""'))
    with Store(paths.resolve().db_file) as store:
        add_emails(store, EMAILS[:24])
    stops_cleanly(learn_home, "playback", 1, "sigterm")


def test_no_child_starts_once_the_daemon_stops_them(tmp_path: Path) -> None:
    started = tmp_path / "started"
    command = (sys.executable, "-c", f"open({str(started)!r}, 'w')")
    child.stop_all()
    try:
        with pytest.raises(JobCancelledError, match="the daemon is shutting down"):
            child.run_job({"kind": "train"}, lambda event: None, command=command)
        assert not started.exists()
    finally:
        child.reopen()
    with pytest.raises(TrainingJobError, match=r"the panza\.training process failed"):
        child.run_job({"kind": "train"}, lambda event: None, command=command)
    assert started.exists()  # reopened: children start again (this one gives no result)
