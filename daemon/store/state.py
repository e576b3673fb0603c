"""Sync cursors, adapter versions, account status and small key/value state."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from panza.daemon.store.db import NOW, count


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
        f" updated_at = {NOW}",
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
    found = adapter_versions(conn).get(version)
    if found is None:
        raise KeyError(f"adapter version {version} is not in the store")
    return found.path


def set_current_adapter(conn: sqlite3.Connection, version: int) -> None:
    found = adapter_versions(conn).get(version)
    if found is None or found.status != "accepted":
        raise ValueError(f"adapter v{version:04d} is not an accepted version")
    set_meta(conn, "current_adapter", str(version))


@dataclass(frozen=True)
class AdapterVersion:
    """One recorded adapter version: where it is, how it was made, and the verdict."""

    version: int
    path: Path
    parent: int | None
    method: str
    status: str  # accepted | rejected
    reason: str | None
    email_count: int
    cutoff_date: str | None
    metrics: dict[str, Any]
    created_at: str


def adapter_versions(conn: sqlite3.Connection) -> dict[int, AdapterVersion]:
    """Every recorded adapter version by number, oldest first."""
    rows = conn.execute(
        "SELECT version, path, parent, method, status, reason, email_count, cutoff_date, metrics,"
        " created_at FROM adapter_versions ORDER BY version"
    )
    return {
        int(r[0]): AdapterVersion(
            int(r[0]),
            Path(r[1]),
            None if r[2] is None else int(r[2]),
            str(r[3]),
            str(r[4]),
            r[5],
            int(r[6]),
            r[7],
            dict(json.loads(r[8] or "{}")),
            str(r[9]),
        )
        for r in rows
    }


def kept_since_last_adapter(conn: sqlite3.Connection) -> int:
    """Kept emails stored after the newest adapter version was made (all, before any)."""
    return count(
        conn,
        "SELECT count(*) FROM emails WHERE status = 'kept' AND added_at >"
        " COALESCE((SELECT max(created_at) FROM adapter_versions), '')",
    )


AccountState = Literal["ok", "auth_needed", "error"]


def set_account_status(
    conn: sqlite3.Connection, account: str, state: AccountState, message: str = "", new: int = 0
) -> None:
    """Record the outcome of a sync; ``ok`` also stamps the last successful sync time."""
    conn.execute(
        "INSERT INTO account_status (account, state, message, last_sync_at, last_new)"
        f" VALUES (?1, ?2, ?3, CASE WHEN ?2 = 'ok' THEN {NOW} END,"
        " ?4) ON CONFLICT (account) DO UPDATE SET state = excluded.state,"
        " message = excluded.message,"
        " last_sync_at = COALESCE(excluded.last_sync_at, account_status.last_sync_at),"
        " last_new = CASE WHEN excluded.state = 'ok' THEN excluded.last_new"
        " ELSE account_status.last_new END,"
        f" updated_at = {NOW}",
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
