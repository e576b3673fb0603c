"""Emails in the store: insert with dedupe, counts, listing, and the texts the index and
feedback read."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.store.db import count
from panza.daemon.store.records import EmailRecord, split_for

_INSERT = """
INSERT INTO emails (account, folder, provider_id, message_id, date, subject, recipients,
                    text, thread, thread_key, language, status, reason, content_hash, split)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""


@dataclass
class InsertResult:
    """What a batch did: kept count, discarded counts by reason, duplicates skipped, and
    rows removed because the mail is gone from the source (deleted, or no longer sent)."""

    kept: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    removed: int = 0

    def add(self, other: InsertResult) -> None:
        self.kept += other.kept
        self.discarded.update(other.discarded)
        self.duplicates += other.duplicates
        self.removed += other.removed

    @property
    def changed(self) -> bool:
        """Whether the kept set may differ (so the index has something to do)."""
        return bool(self.new or self.removed)

    @property
    def new(self) -> int:
        return self.kept + sum(self.discarded.values())


def insert_emails(
    conn: sqlite3.Connection, records: Iterable[EmailRecord], test_fraction: float = 0.1
) -> InsertResult:
    """Insert records, skipping any already stored (same Message-ID or provider id)."""
    result = InsertResult()
    for rec in records:
        cur = conn.execute(_INSERT, _row(rec, test_fraction))
        if cur.rowcount == 0:
            result.duplicates += 1
        elif rec.status == "kept":
            result.kept += 1
        else:
            result.discarded[rec.reason or "unknown"] += 1
    return result


def _row(rec: EmailRecord, test_fraction: float) -> tuple[Any, ...]:
    return (
        rec.account,
        rec.folder,
        rec.provider_id,
        rec.message_id,
        rec.date.isoformat() if rec.date else None,
        rec.subject,
        json.dumps(list(rec.recipients)),
        rec.text,
        json.dumps(list(rec.thread), ensure_ascii=False),
        rec.thread_key,
        rec.language,
        rec.status,
        rec.reason,
        rec.content_hash,
        split_for(rec.provider_id, test_fraction),
    )


def delete_emails(conn: sqlite3.Connection, account: str, provider_ids: Collection[str]) -> int:
    """Remove the rows of mail gone from ``account``; the training set and index follow."""
    removed = 0
    ids = sorted(provider_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ",".join("?" * len(part))
        removed += conn.execute(
            f"DELETE FROM emails WHERE account = ? AND provider_id IN ({marks})", (account, *part)
        ).rowcount
    return removed


def known_ids(conn: sqlite3.Connection, account: str, folder: str | None = None) -> set[str]:
    """Provider ids already stored for ``account`` (for sources that dedupe before fetching),
    or for one of its folders."""
    if folder is None:
        rows = conn.execute("SELECT provider_id FROM emails WHERE account = ?", (account,))
    else:
        rows = conn.execute(
            "SELECT provider_id FROM emails WHERE account = ? AND folder = ?", (account, folder)
        )
    return {r[0] for r in rows}


def renumber(
    conn: sqlite3.Connection,
    account: str,
    folder: str,
    new_id: str,
    current: str,
    *,
    message_id: str | None = None,
    content_hash: str = "",
) -> bool:
    """Give ``new_id`` to a row of this folder stored under an earlier numbering (an IMAP
    ``UIDVALIDITY:UID`` id not starting with ``current``) that has the same Message-ID or,
    for mail without one, the same content. True when a row took it: the mail is stored.
    """
    match, value = (
        ("message_id = ?", message_id)
        if message_id is not None
        else ("message_id IS NULL AND content_hash = ?", content_hash)
    )
    row = conn.execute(
        f"SELECT id FROM emails WHERE account = ? AND folder = ? AND {match}"
        " AND instr(provider_id, ':') > 0 AND substr(provider_id, 1, length(?)) != ?"
        " ORDER BY id LIMIT 1",
        (account, folder, value, current, current),
    ).fetchone()
    if row is None:
        return False
    conn.execute("UPDATE emails SET provider_id = ? WHERE id = ?", (new_id, row[0]))
    return True


def counts(conn: sqlite3.Connection) -> tuple[int, dict[str, int]]:
    """Kept count and discarded counts by reason."""
    kept = count(conn, "SELECT count(*) FROM emails WHERE status='kept'")
    rows = conn.execute(
        "SELECT reason, count(*) FROM emails WHERE status='discarded' GROUP BY reason"
        " ORDER BY count(*) DESC"
    )
    return kept, {r[0]: int(r[1]) for r in rows}


def iter_emails(
    conn: sqlite3.Connection, status: str = "kept", limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Stored emails, oldest first, as plain dicts with JSON fields decoded."""
    sql = (
        "SELECT id, account, folder, provider_id, message_id, date, subject, recipients, text,"
        " thread, language, status, reason, split, instruction FROM emails WHERE status = ?"
        " ORDER BY date IS NULL, date, id"
    )
    params: tuple[Any, ...] = (status,)
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    for row in conn.execute(sql, params):
        item = dict(row)
        item["recipients"] = json.loads(item["recipients"])
        item["thread"] = json.loads(item["thread"])
        yield item


def known_message_ids(conn: sqlite3.Connection, message_ids: Iterable[str | None]) -> set[str]:
    """Which of ``message_ids`` are already stored, in any account."""
    wanted = sorted({i for i in message_ids if i})
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        rows = conn.execute(f"SELECT message_id FROM emails WHERE message_id IN ({marks})", part)
        known.update(str(r[0]) for r in rows)
    return known


@dataclass(frozen=True)
class KeptText:
    """A kept email's text as the index embeds it and the writer quotes it."""

    id: int
    content_hash: str
    subject: str
    date: str | None
    text: str


_KEPT_TEXT = "SELECT id, content_hash, subject, date, text FROM emails WHERE status = 'kept'"


def _kept_texts(rows: Iterable[sqlite3.Row]) -> list[KeptText]:
    return [KeptText(int(r[0]), str(r[1]), r[2] or "", r[3], r[4] or "") for r in rows]


def kept_texts(conn: sqlite3.Connection, ids: Sequence[int]) -> list[KeptText]:
    """The kept emails among ``ids`` (at most a few thousand), by id; others are left out."""
    marks = ",".join("?" * len(ids))
    return _kept_texts(conn.execute(f"{_KEPT_TEXT} AND id IN ({marks}) ORDER BY id", list(ids)))


def kept_added_since(
    conn: sqlite3.Connection, since: str, after_id: int, limit: int
) -> list[KeptText]:
    """Up to ``limit`` kept emails stored at or after ``since`` with ids above ``after_id``."""
    rows = conn.execute(
        f"{_KEPT_TEXT} AND added_at >= ? AND id > ? ORDER BY id LIMIT ?", (since, after_id, limit)
    )
    return _kept_texts(rows)


def kept_hashes(conn: sqlite3.Connection) -> dict[int, str]:
    """Every kept email's id and content hash (what the index must hold)."""
    rows = conn.execute("SELECT id, content_hash FROM emails WHERE status = 'kept'")
    return {int(r[0]): str(r[1]) for r in rows}


def content_hashes(conn: sqlite3.Connection, ids: Collection[int]) -> set[str]:
    """The content hashes of the emails ``ids``, kept or not."""
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT content_hash FROM emails WHERE id IN ({marks})", list(ids))
    return {str(r[0]) for r in rows}
