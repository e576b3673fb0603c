"""Training and test records from the store, with retrieved past emails attached.

A record is panza.training's plain JSON form of one kept email that has an
instruction. A stable share of training records (chosen by a hash of the id, so the
same emails get context run after run) carries the emails retrieval finds for its
instruction; never itself, and never a test email, which must not leak into training.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from panza.daemon.store.instructions import Instructed, instructed, without_instruction

log = logging.getLogger(__name__)

# (instruction, last thread message, ids to leave out) -> [{subject, text, date}], best first
Retriever = Callable[[str, str | None, Collection[int]], list[dict[str, Any]]]


@dataclass
class Split:
    """Records per split, and how many kept emails still lack an instruction."""

    train: list[dict[str, Any]]
    test: list[dict[str, Any]]
    without_instruction: int


def load_split(conn: sqlite3.Connection) -> Split:
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for email in instructed(conn):
        (test if email.split == "test" else train).append(to_record(email))
    return Split(train, test, without_instruction(conn))


def to_record(email: Instructed) -> dict[str, Any]:
    return {
        "id": str(email.id),
        "instruction": email.instruction,
        "text": email.text,
        "date": email.date,
        "thread": [
            {"sender": m.get("sender", ""), "text": m.get("text", ""), "date": m.get("date")}
            for m in email.thread
        ],
        "retrieved": [],
    }


def chosen_for_context(record_id: str, share: float, seed: int) -> bool:
    """Whether this record gets retrieved context: stable per id, `share` of them overall."""
    digest = hashlib.sha256(f"{seed}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def attach_retrieved(
    records: list[dict[str, Any]],
    retriever: Retriever,
    *,
    share: float,
    seed: int,
    never: Collection[int] = (),
) -> int:
    """Fill "retrieved" for the chosen share of `records`; returns how many got some."""
    attached = 0
    banned = set(never)
    for rec in records:
        if not chosen_for_context(rec["id"], share, seed):
            continue
        last = rec["thread"][-1]["text"] if rec["thread"] else None
        hits = retriever(rec["instruction"], last, banned | {int(rec["id"])})
        rec["retrieved"] = [
            {"subject": h["subject"], "text": h["text"], "date": h["date"]} for h in hits
        ]
        attached += bool(hits)
    return attached
