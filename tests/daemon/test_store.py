"""The SQLite store: migrations, dedupe, cursors in the same transaction as their data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from panza.daemon.errors import StoreError
from panza.daemon.pipeline import feedback
from panza.daemon.store import EmailRecord, Store, counts, insert_emails, iter_emails, state
from panza.daemon.store.drafts import add_draft
from panza.daemon.store.migrations import MIGRATIONS, Migration
from panza.daemon.store.records import split_for


def rec(
    provider_id: str, message_id: str | None, status: str = "kept", **kw: object
) -> EmailRecord:
    fields: dict[str, object] = dict(
        account="acct",
        provider_id=provider_id,
        message_id=message_id,
        date=datetime(2024, 1, 8, tzinfo=UTC),
        subject="s",
        recipients=("tom@x.example",),
        text="Some words the user wrote.",
        thread=(),
        status=status,
        reason=None if status == "kept" else "too_short",
    )
    fields.update(kw)
    return EmailRecord(**fields)  # type: ignore[arg-type]


def test_wal_and_schema_version(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == max(m.number for m in MIGRATIONS)


def test_reopen_does_not_remigrate(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as s, s.write() as conn:
        insert_emails(conn, [rec("p1", "<a@x>")])
    with Store(tmp_path / "a.db") as s:
        assert counts(s.conn)[0] == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db"):
        pass
    newer = (*MIGRATIONS, Migration(99, "future", "CREATE TABLE future (x)"))
    with Store(tmp_path / "a.db", newer):
        pass
    with pytest.raises(StoreError, match="newer Panza"):
        Store(tmp_path / "a.db")


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    latest = max(m.number for m in MIGRATIONS)
    broken = Migration(latest + 1, "broken", "CREATE TABLE ok (x); CREATE TABLE ok (x);")
    bad = (*MIGRATIONS, broken)
    with pytest.raises(sqlite3.OperationalError):
        Store(tmp_path / "a.db", bad)
    with Store(tmp_path / "a.db") as s:
        assert s.schema_version == latest
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master")}
        assert "ok" not in tables


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(path)


def test_dedupe_by_message_id_and_provider_id(store: Store) -> None:
    with store.write() as conn:
        first = insert_emails(conn, [rec("p1", "<a@x>"), rec("p2", "<b@x>", status="discarded")])
        again = insert_emails(
            conn,
            [
                rec("p9", "<a@x>"),  # same Message-ID seen in another folder
                rec("p2", None),  # same provider id, no Message-ID
                rec("p3", "<c@x>"),  # new, identical text: a separate email
            ],
        )
    assert (first.kept, dict(first.discarded), first.duplicates) == (1, {"too_short": 1}, 0)
    assert (again.kept, again.duplicates) == (1, 2)
    assert counts(store.conn) == (2, {"too_short": 1})


def test_iter_emails_oldest_first_with_json_fields(store: Store) -> None:
    with store.write() as conn:
        insert_emails(
            conn,
            [
                rec(
                    "p2",
                    "<b@x>",
                    date=datetime(2024, 2, 1, tzinfo=UTC),
                    thread=({"sender": "Tom", "date": "", "text": "Hi"},),
                ),
                rec("p1", "<a@x>", date=datetime(2024, 1, 1, tzinfo=UTC)),
                rec("p3", "<c@x>", date=None),
            ],
        )
    rows = list(iter_emails(store.conn))
    assert [r["message_id"] for r in rows] == ["<a@x>", "<b@x>", "<c@x>"]
    assert rows[1]["thread"] == [{"sender": "Tom", "date": "", "text": "Hi"}]
    assert rows[0]["recipients"] == ["tom@x.example"]


def test_cursor_advances_only_with_its_data(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write(durable=True) as conn:
        insert_emails(conn, [rec("p1", "<a@x>")])
        state.set_cursor(conn, "acct", "Sent", {"uid": 10})
        raise RuntimeError("killed mid-batch")
    assert state.get_cursor(store.conn, "acct", "Sent") is None
    assert counts(store.conn)[0] == 0
    with store.write(durable=True) as conn:
        insert_emails(conn, [rec("p1", "<a@x>")])
        state.set_cursor(conn, "acct", "Sent", {"uid": 10})
    assert state.get_cursor(store.conn, "acct", "Sent") == {"uid": 10}
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # back to NORMAL


def test_adapter_versions_and_current(store: Store) -> None:
    with store.write() as conn:
        state.add_adapter_version(conn, 1, "adapters/v0001", "rosa", "accepted", email_count=10)
        state.add_adapter_version(
            conn, 2, "adapters/v0002", "rosa", "rejected", parent=1, reason="held-out loss rose"
        )
        state.set_current_adapter(conn, 1)
        with pytest.raises(ValueError, match="not an accepted version"):
            state.set_current_adapter(conn, 2)
    assert state.current_adapter(store.conn) == 1


def test_drafts_and_feedback(store: Store) -> None:
    with store.write() as conn:
        add_draft(conn, "d1", "new", "Decline politely", "Dear Tom, ...", adapter_version=None)
    assert feedback.record(store, "d1", "Dear Tom, sorry.") == 0.6667
    assert feedback.record(store, "nope", "x") is None
    row = store.conn.execute("SELECT sent_text, similarity FROM drafts WHERE id='d1'").fetchone()
    assert tuple(row) == ("Dear Tom, sorry.", 0.6667)


def test_split_is_stable_and_near_fraction() -> None:
    ids = [f"id{i}" for i in range(5000)]
    splits = [split_for(i, 0.1) for i in ids]
    assert splits == [split_for(i, 0.1) for i in ids]
    assert 0.08 < splits.count("test") / len(ids) < 0.12
