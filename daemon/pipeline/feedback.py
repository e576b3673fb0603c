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
from panza.daemon.store.drafts import draft_text, feedback_figures, open_drafts, save_feedback
from panza.daemon.store.emails import kept_added_since

LIGHT_EDITS = 0.8
MATCH_MIN = 0.5
MATCH_DAYS = 14
MATCH_BATCH = 200


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
    draft = draft_text(store.conn, draft_id)
    if draft is None:
        return None
    score = similarity(draft, sent_text)
    with store.write() as conn:
        save_feedback(conn, draft_id, sent_text, score)
    return score


def match_sent(store: Store, since: str, batch: int = MATCH_BATCH) -> int:
    """Record kept emails stored at or after ``since`` as feedback for the drafts they match.

    Each email goes to its most similar open draft (>= :data:`MATCH_MIN`); a draft is
    matched once. Emails are scored ``batch`` at a time with no transaction open; each
    batch's matches are then written in one short transaction (feedback the user sent
    meanwhile wins). Returns the number of drafts that got feedback.
    """
    drafts = open_drafts(store.conn, MATCH_DAYS)
    matched, after = 0, 0
    while drafts:
        emails = kept_added_since(store.conn, since, after, batch)
        if not emails:
            break
        after = emails[-1].id
        found: list[tuple[str, str, float]] = []
        for email in emails:
            score, best = max(
                ((similarity(d, email.text), i) for i, d in drafts.items()), default=(0, "")
            )
            if score >= MATCH_MIN:
                found.append((best, email.text, score))
                del drafts[best]
        if found:
            with store.write() as conn:
                matched += sum(save_feedback(conn, *f, only_open=True) for f in found)
    return matched


def acceptance(conn: sqlite3.Connection) -> dict[str, Any]:
    """Drafts with feedback, their mean similarity, and the share sent with light edits."""
    figures = feedback_figures(conn, LIGHT_EDITS)
    return {
        "drafts_with_feedback": figures.count,
        "mean_similarity": _rounded(figures.mean_similarity),
        "light_edit_share": _rounded(figures.share_at_least),
        "light_edit_threshold": LIGHT_EDITS,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
