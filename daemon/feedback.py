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

LIGHT_EDITS = 0.8
MATCH_MIN = 0.5
MATCH_DAYS = 14
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _words(text: str) -> list[str]:
    return text.lower().split()


def similarity(draft: str, sent: str) -> float:
    """Normalized similarity of two texts in [0, 1]; two empty texts are identical."""
    a, b = _words(draft), _words(sent)
    if not a and not b:
        return 1.0
    return round(SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


def record(conn: sqlite3.Connection, draft_id: str, sent_text: str) -> float | None:
    """Store the sent text and its similarity to the draft; None when the draft is unknown."""
    row = conn.execute("SELECT text FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    if row is None:
        return None
    score = similarity(str(row[0] or ""), sent_text)
    conn.execute(
        f"UPDATE drafts SET sent_text = ?, similarity = ?, feedback_at = {NOW} WHERE id = ?",
        (sent_text, score, draft_id),
    )
    return score


def now(conn: sqlite3.Connection) -> str:
    """The store's clock, in the format of ``added_at`` (to find emails stored after it)."""
    return str(conn.execute(f"SELECT {NOW}").fetchone()[0])


def match_sent(conn: sqlite3.Connection, since: str) -> int:
    """Record kept emails stored at or after ``since`` as feedback for the drafts they match.

    Each email goes to its most similar open draft (>= :data:`MATCH_MIN`); a draft is
    matched once. Returns the number of drafts that got feedback.
    """
    emails = [
        str(r[0] or "")
        for r in conn.execute(
            "SELECT text FROM emails WHERE status = 'kept' AND added_at >= ? ORDER BY id",
            (since,),
        )
    ]
    if not emails:
        return 0
    drafts = {
        str(r[0]): str(r[1] or "")
        for r in conn.execute(
            "SELECT id, text FROM drafts WHERE sent_text IS NULL AND created_at >="
            f" strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{MATCH_DAYS} days')"
        )
    }
    matched = 0
    for text in emails:
        scored = [(similarity(d, text), i) for i, d in drafts.items()]
        best = max(scored, default=None)
        if best is None or best[0] < MATCH_MIN:
            continue
        record(conn, best[1], text)
        del drafts[best[1]]
        matched += 1
    return matched


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
