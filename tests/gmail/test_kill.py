"""`panza sync` killed with SIGKILL at several points, then run again: nothing lost or doubled.

The fake server holds the chosen request until the test has killed the client,
so each kill lands at a known point of the sync.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from panza.daemon.demo.sample.fake_gmail import Call
from tests.gmail.conftest import ACCOUNT, FakeGoogle, Keyring, add_gmail_account, panza, start_panza

pytestmark = pytest.mark.integration


class Gate:
    """Stops the server at the first call ``match`` accepts, until the test releases it."""

    def __init__(self, match: Callable[[Call], bool]) -> None:
        self.match = match
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, call: Call) -> None:
        if not self.reached.is_set() and self.match(call):
            self.reached.set()
            self.release.wait(timeout=60)


def nth_raw_batch(n: int) -> Callable[[Call], bool]:
    seen = [0]

    def match(call: Call) -> bool:
        if call.kind == "batch" and call.fmt == "raw":
            seen[0] += 1
        return seen[0] == n

    return match


def kill_sync_at(google: FakeGoogle, env: dict[str, str], match: Callable[[Call], bool]) -> None:
    gate = Gate(match)
    google.gmail.on_call = gate
    proc = start_panza("sync", env=env)
    try:
        assert gate.reached.wait(timeout=60), "the sync never reached the kill point"
        proc.kill()  # SIGKILL: no cleanup, no rollback handler, no atexit
        proc.communicate(timeout=30)
    finally:
        gate.release.set()
        google.gmail.on_call = None
        google.server.wait_idle()
    assert proc.returncode == -9


def stored(db: Path) -> tuple[Counter[str], str | None]:
    """provider id -> rows, and the stored historyId, read as a fresh process would."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT provider_id FROM emails WHERE account = ?", (ACCOUNT,))
        ids = Counter(r[0] for r in rows)
        cursor = conn.execute(
            "SELECT json_extract(value, '$.history_id') FROM sync_cursors WHERE account = ?",
            (ACCOUNT,),
        ).fetchone()
    conn.close()
    return ids, cursor[0] if cursor else None


def test_killed_syncs_resume_without_loss_or_duplicates(
    google: FakeGoogle, signed_in: Keyring, home: Path, cli_env: dict[str, str]
) -> None:
    add_gmail_account(home, google)
    db = home / "data" / "panza.db"
    gmail = google.gmail
    gmail.page_cap = 100
    first = google.fill(300)  # 3 list pages, 6 batches of 50
    start_history = str(gmail.history_id)

    # 1. Killed while listing: nothing stored, no cursor.
    kill_sync_at(google, cli_env, lambda c: c.kind == "list" and c.params.get("pageToken") == "100")
    assert stored(db) == (Counter(), None)

    # 2. Killed during the third raw batch: the first two are committed, still no cursor.
    kill_sync_at(google, cli_env, nth_raw_batch(3))
    ids, cursor = stored(db)
    assert len(ids) == 100 and set(ids.values()) == {1} and cursor is None
    committed = set(ids)

    # 3. A full run fetches only what is missing and then stores the historyId.
    gmail.calls.clear()
    result = panza("sync", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(", 0 already stored\n")
    ids, cursor = stored(db)
    assert ids == Counter(dict.fromkeys(first, 1)) and cursor == start_history
    assert sorted(gmail.fetched("raw")) == sorted(set(first) - committed)

    # 4. Killed during an incremental sync's fetch: the cursor stays where it was.
    late = google.fill(80, tag="late")
    kill_sync_at(google, cli_env, nth_raw_batch(2))
    ids, cursor = stored(db)
    assert cursor == start_history and len(ids) == 350 and set(ids.values()) == {1}

    # 5. The next run completes the increment.
    gmail.calls.clear()
    assert panza("sync", env=cli_env).returncode == 0
    ids, cursor = stored(db)
    assert ids == Counter(dict.fromkeys(first + late, 1)) and cursor == str(gmail.history_id)
    assert next(c.kind for c in gmail.calls if not c.in_batch) == "history"
    assert len(gmail.fetched("raw")) == 30
