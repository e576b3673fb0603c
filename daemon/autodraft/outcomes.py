"""Replies sent from Panza drafts, found in the synced Sent mail: how much of each survived.

A sent email in the thread of a message Panza drafted a reply for (same thread
key, sent after the message arrived) is that draft's outcome: the draft turns
``sent`` and the existing acceptance figure (:mod:`panza.daemon.feedback`)
records how much of it the user kept.
"""

from __future__ import annotations

from panza.daemon import feedback
from panza.daemon.store import Store
from panza.daemon.store.autodraft import set_state


def match_sent_replies(store: Store, since: str) -> int:
    """Feedback for Panza drafts answered by kept emails stored at or after ``since``.

    Each similarity is scored outside any write transaction (``feedback.record``).
    """
    rows = store.conn.execute(
        "SELECT a.account, a.provider_id, a.draft_id, e.text FROM autodraft_messages a"
        " JOIN emails e ON e.thread_key = a.thread_key"
        " JOIN drafts d ON d.id = a.draft_id"
        " WHERE e.status = 'kept' AND e.added_at >= ? AND d.sent_text IS NULL"
        " AND a.state IN ('written', 'edited', 'deleted', 'sent')"
        " AND (a.received_at IS NULL OR e.date IS NULL OR e.date >= a.received_at)"
        " ORDER BY e.date, e.id",
        (since,),
    ).fetchall()
    matched: set[str] = set()
    for account, provider_id, draft_id, text in rows:
        if draft_id in matched:
            continue  # the first reply in the thread is the one sent from the draft
        feedback.record(store, str(draft_id), str(text or ""))
        with store.write() as conn:
            set_state(conn, str(account), str(provider_id), "sent")
        matched.add(str(draft_id))
    return len(matched)
