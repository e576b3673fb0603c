"""How much of a draft survived in the text the user sent, and finding sent drafts in synced mail.

The similarity is :class:`difflib.SequenceMatcher`'s ratio over the two texts' words
(lower-cased, whitespace collapsed): 1.0 when sent unchanged, 0.0 when nothing is shared.
A draft counts as *sent with light edits* at :data:`LIGHT_EDITS` (0.8) or more; ``status``
reports the share of drafts with feedback that were. A synced sent email is taken as a
draft's final text when it reaches :data:`MATCH_MIN` (0.5) against a draft from the last
:data:`MATCH_DAYS` days that has no feedback yet.
"""

from __future__ import annotations

import sqlite3
from difflib import SequenceMatcher
from typing import Any

from panza.daemon.store import Store

LIGHT_EDITS = 0.8
MATCH_MIN = 0.5
MATCH_DAYS = 14
MATCH_BATCH = 200
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _words(text: str) -> list[str]:
    return text.lower().split()


def similarity(draft: str, sent: str) -> float:
    """Normalized similarity of two texts in [0, 1]; two empty texts are identical."""
    a, b = _words(draft), _words(sent)
    if not a and not b:
        return 1.0
    return round(SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


def record(store: Store, draft_id: str, sent_text: str) -> float | None:
    """Store the sent text and its similarity to the draft; None when the draft is unknown.

    The similarity (up to a second for the largest texts) is computed before the write
    transaction, so the store stays free for others meanwhile.
    """
    row = store.conn.execute("SELECT text FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    if row is None:
        return None
    score = similarity(str(row[0] or ""), sent_text)
    with store.write() as conn:
        _save(conn, draft_id, sent_text, score)
    return score


def _save(
    conn: sqlite3.Connection, draft_id: str, sent_text: str, score: float, only_open: bool = False
) -> bool:
    only = " AND sent_text IS NULL" if only_open else ""
    cursor = conn.execute(
        f"UPDATE drafts SET sent_text = ?, similarity = ?, feedback_at = {NOW} WHERE id = ?" + only,
        (sent_text, score, draft_id),
    )
    return cursor.rowcount > 0


def now(conn: sqlite3.Connection) -> str:
    """The store's clock, in the format of ``added_at`` (to find emails stored after it)."""
    return str(conn.execute(f"SELECT {NOW}").fetchone()[0])


def match_sent(store: Store, since: str, batch: int = MATCH_BATCH) -> int:
    """Record kept emails stored at or after ``since`` as feedback for the drafts they match.

    Each email goes to its most similar open draft (>= :data:`MATCH_MIN`); a draft is
    matched once. Emails are scored ``batch`` at a time with no transaction open; each
    batch's matches are then written in one short transaction (feedback the user sent
    meanwhile wins). Returns the number of drafts that got feedback.
    """
    drafts = _open_drafts(store.conn)
    matched, after = 0, 0
    while drafts:
        rows = store.conn.execute(
            "SELECT id, text FROM emails WHERE status = 'kept' AND added_at >= ? AND id > ?"
            " ORDER BY id LIMIT ?",
            (since, after, batch),
        ).fetchall()
        if not rows:
            break
        after = int(rows[-1][0])
        found: list[tuple[str, str, float]] = []
        for row in rows:
            text = str(row[1] or "")
            score, best = max(
                ((similarity(d, text), i) for i, d in drafts.items()), default=(0, "")
            )
            if score >= MATCH_MIN:
                found.append((best, text, score))
                del drafts[best]
        if found:
            with store.write() as conn:
                matched += sum(_save(conn, *f, only_open=True) for f in found)
    return matched


def _open_drafts(conn: sqlite3.Connection) -> dict[str, str]:
    """Recent drafts without feedback: id -> text."""
    return {
        str(r[0]): str(r[1] or "")
        for r in conn.execute(
            "SELECT id, text FROM drafts WHERE sent_text IS NULL AND created_at >="
            f" strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{MATCH_DAYS} days')"
        )
    }


def acceptance(conn: sqlite3.Connection) -> dict[str, Any]:
    """Drafts with feedback, their mean similarity, and the share sent with light edits."""
    n, mean, light = conn.execute(
        "SELECT count(*), avg(similarity), avg(similarity >= ?) FROM drafts"
        " WHERE similarity IS NOT NULL",
        (LIGHT_EDITS,),
    ).fetchone()
    return {
        "drafts_with_feedback": int(n),
        "mean_similarity": None if mean is None else round(float(mean), 4),
        "light_edit_share": None if light is None else round(float(light), 4),
        "light_edit_threshold": LIGHT_EDITS,
    }
