"""Replies sent from Panza drafts, found in the synced Sent mail: how much of each survived.

A sent email in the thread of a message Panza drafted a reply for (same thread
key, sent after the message arrived) is that draft's outcome: the draft turns
``sent`` and the existing acceptance figure (:mod:`panza.daemon.pipeline.feedback`)
records how much of it the user kept.
"""

from __future__ import annotations

from panza.daemon.pipeline import feedback
from panza.daemon.store import Store
from panza.daemon.store.autodraft import sent_replies, set_state


def match_sent_replies(store: Store, since: str) -> int:
    """Feedback for Panza drafts answered by kept emails stored at or after ``since``.

    Each similarity is scored outside any write transaction (``feedback.record``).
    """
    matched: set[str] = set()
    for reply in sent_replies(store.conn, since):
        if reply.draft_id in matched:
            continue  # the first reply in the thread is the one sent from the draft
        feedback.record(store, reply.draft_id, reply.text)
        with store.write() as conn:
            set_state(conn, reply.account, reply.provider_id, "sent")
        matched.add(reply.draft_id)
    return len(matched)
