"""The real daemon: IDLE wakes it for new mail (no waiting for the hourly poll), pause holds
it, `panza status` and `panza drafts` show what it did."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from panza.daemon.demo.sample.dovecot import uids
from panza.daemon.store.state import get_cursor
from tests.autodraft.conftest import ADA, Home, message
from tests.daemon_process import panza, stop_daemon
from tests.server.test_daemon import start

pytestmark = pytest.mark.integration


@pytest.fixture
def daemon(home: Home) -> Iterator[Client]:
    with (home.root / "config.toml").open("a", encoding="utf-8") as f:
        f.write("\n[schedule]\nsync_minutes = 60\n")  # a poll would come only in an hour
    proc = start(home.root)
    client = Client(paths.resolve().socket_file, timeout=60)
    try:
        yield client
    finally:
        client.close()
        assert stop_daemon(proc) == 0


def wait_for(check: object, timeout: float = 120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_idle_wakes_the_daemon_for_new_mail_and_pause_holds_it(home: Home, daemon: Client) -> None:
    admin = home.setup.admin()
    # The watcher has scanned the (empty) inbox once and now waits in IDLE.
    wait_for(lambda: get_cursor(home.store.conn, "work", "autodraft:INBOX") is not None)
    time.sleep(0.5)

    admin.append("INBOX", message("priya@uni.example", ADA, "Talk", "<p1@uni.example>"))
    took = wait_for(lambda: len(uids(admin, "Drafts")) == 1)
    assert took < 60  # IDLE, not the 60-minute poll

    assert daemon.call("pause") == {"paused": True}
    admin.append(
        "INBOX", message("tom@uni.example", ADA, "Budget", "<t1@uni.example>", age=timedelta(0))
    )
    time.sleep(3)
    assert len(uids(admin, "Drafts")) == 1
    daemon.call("resume")
    wait_for(lambda: len(uids(admin, "Drafts")) == 2)

    status = daemon.call("status")["autodraft"]
    assert status["accounts"] == ["work"] and status["counts"]["written"] == 2
    assert status["last_hour"] == 2 and status["errors"] == {}
    shown = panza("status", home=home.root)
    assert "Autodraft: 2 in Drafts, 0 waiting" in shown.stdout
    listed = panza("drafts", home=home.root)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert "in Drafts" in lines[0] and "tom@uni.example: Budget" in lines[0]
    assert "priya@uni.example: Talk" in lines[1]
    assert lines[-1].startswith("All: 2 written; 2 written in the last hour (limit 10)")
