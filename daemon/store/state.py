"""Sync cursors, adapter versions, drafts and small key/value state."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Literal


def get_cursor(conn: sqlite3.Connection, account: str, folder: str) -> dict[str, Any] | None:
    """The stored cursor of one account/folder, or None before the first sync."""
    row = conn.execute(
        "SELECT value FROM sync_cursors WHERE account = ? AND folder = ?", (account, folder)
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def set_cursor(conn: sqlite3.Connection, account: str, folder: str, value: dict[str, Any]) -> None:
    """Advance a cursor; call inside the same transaction as the messages it covers."""
    conn.execute(
        "INSERT INTO sync_cursors (account, folder, value) VALUES (?, ?, ?)"
        " ON CONFLICT (account, folder) DO UPDATE SET value = excluded.value,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        (account, folder, json.dumps(value, sort_keys=True)),
    )


def delete_cursors(conn: sqlite3.Connection, account: str) -> None:
    conn.execute("DELETE FROM sync_cursors WHERE account = ?", (account,))


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def add_adapter_version(
    conn: sqlite3.Connection,
    version: int,
    path: str,
    method: str,
    status: str,
    *,
    parent: int | None = None,
    reason: str | None = None,
    email_count: int = 0,
    cutoff_date: str | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    """Record a finished adapter version (accepted or rejected with its reason)."""
    conn.execute(
        "INSERT INTO adapter_versions (version, path, parent, method, status, reason,"
        " email_count, cutoff_date, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            version,
            path,
            parent,
            method,
            status,
            reason,
            email_count,
            cutoff_date,
            json.dumps(metrics or {}),
        ),
    )


def current_adapter(conn: sqlite3.Connection) -> int | None:
    value = get_meta(conn, "current_adapter")
    return None if value is None else int(value)


def adapter_path(conn: sqlite3.Connection, version: int) -> Path:
    """The folder of adapter `version` (which the store must know)."""
    row = conn.execute("SELECT path FROM adapter_versions WHERE version = ?", (version,)).fetchone()
    if row is None:
        raise KeyError(f"adapter version {version} is not in the store")
    return Path(row[0])


def set_current_adapter(conn: sqlite3.Connection, version: int) -> None:
    row = conn.execute(
        "SELECT status FROM adapter_versions WHERE version = ?", (version,)
    ).fetchone()
    if row is None or row[0] != "accepted":
        raise ValueError(f"adapter v{version:04d} is not an accepted version")
    set_meta(conn, "current_adapter", str(version))


def add_draft(
    conn: sqlite3.Connection,
    draft_id: str,
    mode: str,
    instruction: str,
    text: str,
    *,
    subject: str = "",
    adapter_version: int | None = None,
    retrieved: list[dict[str, Any]] | None = None,
    timings: dict[str, float | None] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO drafts (id, mode, instruction, subject, text, adapter_version, retrieved,"
        " timings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft_id,
            mode,
            instruction,
            subject,
            text,
            adapter_version,
            json.dumps(retrieved or []),
            json.dumps(timings or {}),
        ),
    )


def record_feedback(conn: sqlite3.Connection, draft_id: str, sent_text: str) -> bool:
    """Store the text the user finally sent; False when the draft is unknown."""
    cur = conn.execute(
        "UPDATE drafts SET sent_text = ?, feedback_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        " WHERE id = ?",
        (sent_text, draft_id),
    )
    return cur.rowcount == 1


AccountState = Literal["ok", "auth_needed", "error"]


def set_account_status(
    conn: sqlite3.Connection, account: str, state: AccountState, message: str = "", new: int = 0
) -> None:
    """Record the outcome of a sync; ``ok`` also stamps the last successful sync time."""
    conn.execute(
        "INSERT INTO account_status (account, state, message, last_sync_at, last_new)"
        " VALUES (?1, ?2, ?3, CASE WHEN ?2 = 'ok' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END,"
        " ?4) ON CONFLICT (account) DO UPDATE SET state = excluded.state,"
        " message = excluded.message,"
        " last_sync_at = COALESCE(excluded.last_sync_at, account_status.last_sync_at),"
        " last_new = CASE WHEN excluded.state = 'ok' THEN excluded.last_new"
        " ELSE account_status.last_new END,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        (account, state, message, new),
    )


def account_status(conn: sqlite3.Connection, account: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT account, state, message, last_sync_at, last_new, updated_at FROM account_status"
        " WHERE account = ?",
        (account,),
    ).fetchone()
    return None if row is None else dict(row)


def forget_account(conn: sqlite3.Connection, account: str) -> None:
    """Drop an account's cursors and status (its emails stay: they are the user's writing)."""
    conn.execute("DELETE FROM sync_cursors WHERE account = ?", (account,))
    conn.execute("DELETE FROM account_status WHERE account = ?", (account,))
