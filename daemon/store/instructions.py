"""Playback's instructions on kept emails: what still needs one, the results written back,
and the instructed emails that training and evaluation read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from panza.daemon.store.db import count
from panza.daemon.store.records import Split, ThreadItem


@dataclass(frozen=True)
class Uninstructed:
    """A kept email that needs an instruction from the playback model."""

    id: int
    subject: str
    text: str


def needing_instruction(
    conn: sqlite3.Connection, model: str, retry_failed: bool = False
) -> list[Uninstructed]:
    """Kept emails (both splits) whose instruction is missing or from another model, oldest
    first; one that failed with ``model`` only when ``retry_failed``."""
    rows = conn.execute(
        "SELECT id, subject, text FROM emails WHERE status = 'kept' AND"
        " (instruction_model IS NULL OR instruction_model != ?"
        "  OR (? AND (instruction IS NULL OR instruction = '')))"
        " ORDER BY date IS NULL, date, id",
        (model, int(retry_failed)),
    )
    return [Uninstructed(int(r[0]), r[1] or "", r[2] or "") for r in rows]


def without_instruction(conn: sqlite3.Connection) -> int:
    """How many kept emails still lack an instruction."""
    return count(
        conn,
        "SELECT count(*) FROM emails WHERE status = 'kept'"
        " AND (instruction IS NULL OR instruction = '')",
    )


@dataclass(frozen=True)
class InstructionResult:
    """Playback's answer for one email: its instruction, or why there is none."""

    email_id: int
    instruction: str | None
    model: str
    error: str | None


def set_instructions(conn: sqlite3.Connection, results: Sequence[InstructionResult]) -> None:
    conn.executemany(
        "UPDATE emails SET instruction = ?, instruction_model = ?, playback_error = ? WHERE id = ?",
        [(r.instruction, r.model, r.error, r.email_id) for r in results],
    )


@dataclass(frozen=True)
class Instructed:
    """A kept email with its instruction: one training or test example."""

    id: int
    date: str | None
    subject: str
    text: str
    thread: tuple[ThreadItem, ...]
    split: Split
    instruction: str


def instructed(conn: sqlite3.Connection) -> list[Instructed]:
    """Every kept email that has an instruction, oldest first."""
    rows = conn.execute(
        "SELECT id, date, subject, text, thread, split, instruction FROM emails"
        " WHERE status = 'kept' AND instruction IS NOT NULL AND instruction != ''"
        " ORDER BY date IS NULL, date, id"
    )
    return [
        Instructed(
            int(r[0]),
            r[1],
            r[2] or "",
            r[3] or "",
            tuple(json.loads(r[4] or "[]")),
            "test" if r[5] == "test" else "train",
            str(r[6]),
        )
        for r in rows
    ]
