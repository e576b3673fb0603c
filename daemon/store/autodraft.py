"""Autodraft's state: every inbox message seen, its verdict, and its draft's life.

A message is ``skipped`` (with its reason) or ``pending``; a pending one becomes an
``intent`` (the composed draft and its Message-ID stored before the APPEND) and
then ``written`` (the server's reference to it stored after). A written draft
later turns ``edited``, ``sent`` or ``deleted``; none of those is ever written
again. The watcher's cursor lives in ``sync_cursors`` under :func:`cursor_folder`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from panza.daemon.store.db import NOW, count

State = Literal["skipped", "pending", "intent", "written", "edited", "sent", "deleted"]
STATES: tuple[State, ...] = ("skipped", "pending", "intent", "written", "edited", "sent", "deleted")


def cursor_folder(folder: str) -> str:
    """The ``sync_cursors`` key of the inbox watcher (apart from the Sent sync's folders)."""
    return f"autodraft:{folder}"


@dataclass(frozen=True)
class Seen:
    """A new inbox message and its verdict (``reason`` None: it qualifies)."""

    provider_id: str
    folder: str
    message_id: str | None
    thread_key: str | None
    sender: str
    subject: str
    received_at: datetime | None
    reason: str | None
    alias: str | None = None
    thread_id: str | None = None
    original: bytes | None = None  # the header block, to compose the reply from
    body: str | None = None  # the message's text, for the prompt


@dataclass(frozen=True)
class Entry:
    """One row of ``autodraft_messages``."""

    account: str
    provider_id: str
    folder: str
    message_id: str | None
    thread_key: str | None
    thread_id: str | None
    sender: str
    subject: str
    received_at: str | None
    state: State
    reason: str | None
    alias: str | None
    original: bytes | None
    body: str | None
    draft_message_id: str | None
    draft_raw: bytes | None
    draft_ref: str | None
    draft_id: str | None
    adapter_version: int | None
    written_at: str | None
    seen_at: str


_COLUMNS = ", ".join(Entry.__dataclass_fields__)


def _entries(rows: Iterable[sqlite3.Row]) -> list[Entry]:
    out = []
    for row in rows:
        values = dict(zip(Entry.__dataclass_fields__, tuple(row), strict=True))
        for key in ("original", "draft_raw"):
            values[key] = None if values[key] is None else bytes(values[key])
        out.append(Entry(**values))
    return out


def add_seen(conn: sqlite3.Connection, account: str, seen: Sequence[Seen]) -> int:
    """Record new messages (ones already recorded are left alone); how many were new."""
    added = 0
    for s in seen:
        cur = conn.execute(
            "INSERT OR IGNORE INTO autodraft_messages (account, provider_id, folder, message_id,"
            " thread_key, thread_id, sender, subject, received_at, state, reason, alias,"
            " original, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account,
                s.provider_id,
                s.folder,
                s.message_id,
                s.thread_key,
                s.thread_id,
                s.sender,
                s.subject,
                s.received_at.astimezone(UTC).isoformat() if s.received_at else None,
                "pending" if s.reason is None else "skipped",
                s.reason,
                s.alias,
                s.original,
                s.body,
            ),
        )
        added += cur.rowcount
    return added


def known(conn: sqlite3.Connection, account: str, provider_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(provider_ids), 500):
        part = list(provider_ids[start : start + 500])
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            "SELECT provider_id FROM autodraft_messages WHERE account = ?"
            f" AND provider_id IN ({marks})",
            (account, *part),
        )
        found.update(str(r[0]) for r in rows)
    return found


def in_state(
    conn: sqlite3.Connection, states: Sequence[State], account: str | None = None, limit: int = -1
) -> list[Entry]:
    """Rows in ``states`` (oldest seen first), of one account or all."""
    marks = ",".join("?" * len(states))
    where = f"state IN ({marks})" + (" AND account = ?" if account is not None else "")
    params: tuple[object, ...] = (*states, account) if account is not None else tuple(states)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM autodraft_messages WHERE {where}"
        " ORDER BY seen_at, provider_id LIMIT ?",
        (*params, limit),
    )
    return _entries(rows)


def recent(conn: sqlite3.Connection, limit: int = 50, skipped: bool = True) -> list[Entry]:
    """The newest rows first (``panza drafts``)."""
    where = "" if skipped else "WHERE state != 'skipped'"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM autodraft_messages {where}"
        " ORDER BY coalesce(received_at, seen_at) DESC LIMIT ?",
        (limit,),
    )
    return _entries(rows)


def set_intent(
    conn: sqlite3.Connection,
    account: str,
    provider_id: str,
    *,
    message_id: str,
    raw: bytes,
    draft_id: str,
    adapter_version: int,
) -> None:
    """The composed draft, recorded before it is written to the server."""
    conn.execute(
        "UPDATE autodraft_messages SET state = 'intent', draft_message_id = ?, draft_raw = ?,"
        f" draft_id = ?, adapter_version = ?, updated_at = {NOW}"
        " WHERE account = ? AND provider_id = ? AND state = 'pending'",
        (message_id, raw, draft_id, adapter_version, account, provider_id),
    )


def set_written(conn: sqlite3.Connection, account: str, provider_id: str, ref: str) -> None:
    """The draft is on the server at ``ref``; the copies kept to write it are dropped."""
    conn.execute(
        "UPDATE autodraft_messages SET state = 'written', draft_ref = ?, original = NULL,"
        f" body = NULL, draft_raw = NULL, written_at = {NOW}, updated_at = {NOW}"
        " WHERE account = ? AND provider_id = ? AND state = 'intent'",
        (ref, account, provider_id),
    )


def set_state(
    conn: sqlite3.Connection,
    account: str,
    provider_id: str,
    state: State,
    reason: str | None = None,
    ref: str | None = None,
) -> None:
    """Move a row on (skipped late, edited, sent, deleted); its kept copies are dropped."""
    conn.execute(
        "UPDATE autodraft_messages SET state = ?, reason = coalesce(?, reason),"
        " draft_ref = coalesce(?, draft_ref), original = NULL, body = NULL, draft_raw = NULL,"
        f" updated_at = {NOW} WHERE account = ? AND provider_id = ?",
        (state, reason, ref, account, provider_id),
    )


def written_within(conn: sqlite3.Connection, minutes: int = 60) -> int:
    """Drafts written in the last ``minutes`` (the hourly limit)."""
    return count(
        conn,
        "SELECT count(*) FROM autodraft_messages WHERE written_at >="
        f" strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{int(minutes)} minutes')",
    )


def state_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per state, every state present (zero when none)."""
    found = dict(
        conn.execute("SELECT state, count(*) FROM autodraft_messages GROUP BY state").fetchall()
    )
    return {state: int(found.get(state, 0)) for state in STATES}


def replied_in_thread(
    conn: sqlite3.Connection, thread_key: str | None, since: datetime | None
) -> bool:
    """Whether the user's sent mail has a message in the thread, at or after ``since``."""
    if not thread_key:
        return False
    after = since.astimezone(UTC).isoformat() if since else None
    row = conn.execute(
        "SELECT 1 FROM emails WHERE thread_key = ? AND (?2 IS NULL OR date IS NULL OR date >= ?2)"
        " LIMIT 1",
        (thread_key, after),
    ).fetchone()
    return row is not None


@dataclass(frozen=True)
class SentReply:
    """A kept sent email in the thread of a message Panza wrote a draft reply for."""

    account: str
    provider_id: str
    draft_id: str
    text: str


def sent_replies(conn: sqlite3.Connection, since: str) -> list[SentReply]:
    """Kept emails stored at or after ``since`` that answer a written draft's message (sent
    after it arrived) whose draft has no feedback yet; oldest reply first."""
    rows = conn.execute(
        "SELECT a.account, a.provider_id, a.draft_id, e.text FROM autodraft_messages a"
        " JOIN emails e ON e.thread_key = a.thread_key"
        " JOIN drafts d ON d.id = a.draft_id"
        " WHERE e.status = 'kept' AND e.added_at >= ? AND d.sent_text IS NULL"
        " AND a.state IN ('written', 'edited', 'deleted', 'sent')"
        " AND (a.received_at IS NULL OR e.date IS NULL OR e.date >= a.received_at)"
        " ORDER BY e.date, e.id",
        (since,),
    )
    return [SentReply(str(r[0]), str(r[1]), str(r[2]), str(r[3] or "")) for r in rows]
