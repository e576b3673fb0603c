"""Training and test records from the store, with retrieved past emails attached.

A record is panza.training's plain JSON form of one kept email that has an
instruction. A stable share of training records (chosen by a hash of the id, so the
same emails get context run after run) carries the emails retrieval finds for its
instruction; never itself, and never a test email, which must not leak into training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# (instruction, last thread message, ids to leave out) -> [{subject, text, date}], best first
Retriever = Callable[[str, str | None, Collection[int]], list[dict[str, Any]]]

_ROWS = (
    "SELECT id, date, subject, text, thread, split, instruction FROM emails"
    " WHERE status = 'kept' AND instruction IS NOT NULL AND instruction != ''"
    " ORDER BY date IS NULL, date, id"
)


@dataclass
class Split:
    """Records per split, and how many kept emails still lack an instruction."""

    train: list[dict[str, Any]]
    test: list[dict[str, Any]]
    without_instruction: int


def load_split(conn: sqlite3.Connection) -> Split:
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for row in _rows(conn):
        (test if row["split"] == "test" else train).append(to_record(row))
    missing = conn.execute(
        "SELECT count(*) FROM emails WHERE status = 'kept'"
        " AND (instruction IS NULL OR instruction = '')"
    ).fetchone()[0]
    return Split(train, test, int(missing))


def _rows(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    cur = conn.execute(_ROWS)
    cur.row_factory = sqlite3.Row
    yield from cur


def to_record(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    thread = json.loads(row["thread"]) if isinstance(row["thread"], str) else row["thread"]
    return {
        "id": str(row["id"]),
        "instruction": row["instruction"],
        "text": row["text"],
        "date": row["date"],
        "thread": [
            {"sender": m.get("sender", ""), "text": m.get("text", ""), "date": m.get("date")}
            for m in thread or []
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
