"""kill -9 of ``panza sync`` at several points, then a re-run: nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from panza.daemon.demo.sample import PERSONA, generate
from panza.daemon.demo.sample.dovecot import PASSWORD, append, flags
from tests.imap.conftest import Setup

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N = 2500


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        return list(conn.execute(sql))


def stored(db: Path) -> int:
    try:
        rows = query(db, "SELECT count(*) FROM emails")
    except sqlite3.OperationalError:  # created, not yet migrated
        return 0
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def test_kill_9_mid_sync_then_rerun_loses_and_duplicates_nothing(
    tmp_path: Path, mailbox: Setup, test_keyring: dict[str, str]
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, **test_keyring, "PANZA_HOME": str(home)}
    cli = [sys.executable, "-m", "panza.daemon.cli"]

    def panza(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
        )

    assert panza("init", "--name", PERSONA.name, "--email", PERSONA.address).returncode == 0
    added = panza(
        *("account", "add", "imap", "work", "--host", "127.0.0.1", "--user", mailbox.user),
        *("--port", str(mailbox.server.tls_port), "--ca-file", str(mailbox.ca_file)),
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert added.returncode == 0, added.stderr
    messages = generate(N, seed=51)
    admin = mailbox.admin()
    append(admin, [m.raw for m in messages], chunk=500)
    db = home / "data" / "panza.db"

    rng = random.Random(5)
    kills: list[tuple[int, int]] = []  # (stored when killed, exit status)
    # Killed while logging in, then after roughly 1, 900 and 1800 stored messages (plus
    # a random few ms, so the kill lands anywhere in fetching, cleaning or committing).
    for target in (0, 1, 900, 1800):
        proc = subprocess.Popen(
            [*cli, "sync"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            if target == 0:
                time.sleep(0.3)
            else:
                while stored(db) < target and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.05))
        finally:
            proc.send_signal(signal.SIGKILL)
            status = proc.wait()
        kills.append((stored(db), status))
    assert sum(1 for count, status in kills if status == -signal.SIGKILL and count < N) >= 3

    final = panza("sync")
    assert final.returncode == 0, final.stderr
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    ids = [r[0] for r in query(db, "SELECT message_id FROM emails")]
    providers = [r[0] for r in query(db, "SELECT provider_id FROM emails")]
    assert len(ids) == N and sorted(ids) == sorted(m.message_id for m in messages)  # type: ignore[type-var]
    assert len(set(providers)) == N
    ((cursor,),) = query(db, "SELECT value FROM sync_cursors WHERE account = 'work'")
    assert json.loads(str(cursor))["last_uid"] == N
    again = panza("sync")
    assert again.stdout.strip() == "work: 0 new kept, 0 new discarded, 0 already stored"
    assert all(b"\\Seen" not in f for f in flags(admin).values())
