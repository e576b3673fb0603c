"""Drafts Panza wrote and the feedback on them: the text finally sent and its similarity.

Similarities are scored by the caller before it opens a write transaction
(:mod:`panza.daemon.pipeline.feedback`), so the writes here stay short.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from panza.daemon.store.db import NOW


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


def draft_text(conn: sqlite3.Connection, draft_id: str) -> str | None:
    """The text of draft ``draft_id``; None when the draft is unknown."""
    row = conn.execute("SELECT text FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return None if row is None else str(row[0] or "")


def save_feedback(
    conn: sqlite3.Connection, draft_id: str, sent_text: str, score: float, only_open: bool = False
) -> bool:
    """Store the sent text and its similarity; False when no draft took it (unknown id, or
    with ``only_open`` one that already has feedback)."""
    only = " AND sent_text IS NULL" if only_open else ""
    cursor = conn.execute(
        f"UPDATE drafts SET sent_text = ?, similarity = ?, feedback_at = {NOW} WHERE id = ?" + only,
        (sent_text, score, draft_id),
    )
    return cursor.rowcount > 0


def open_drafts(conn: sqlite3.Connection, days: int) -> dict[str, str]:
    """Drafts of the last ``days`` days without feedback: id -> text."""
    rows = conn.execute(
        "SELECT id, text FROM drafts WHERE sent_text IS NULL AND created_at >="
        f" strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{int(days)} days')"
    )
    return {str(r[0]): str(r[1] or "") for r in rows}


@dataclass(frozen=True)
class FeedbackFigures:
    """Drafts with feedback, their mean similarity, and the share at or above a threshold."""

    count: int
    mean_similarity: float | None
    share_at_least: float | None


def feedback_figures(conn: sqlite3.Connection, threshold: float) -> FeedbackFigures:
    n, mean, share = conn.execute(
        "SELECT count(*), avg(similarity), avg(similarity >= ?) FROM drafts"
        " WHERE similarity IS NOT NULL",
        (threshold,),
    ).fetchone()
    return FeedbackFigures(
        int(n), None if mean is None else float(mean), None if share is None else float(share)
    )
