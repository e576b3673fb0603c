"""Playback, store side: pick the emails that need an instruction, run the playback job,
and write each batch's instructions (or failure reasons) back as it arrives.

An email needs playback when it has none yet or when its instruction came from another
model; one that failed with the current model is skipped unless asked to retry. Each
batch is committed on arrival, so a killed run loses at most the batch in flight and
the next run resumes with what is left.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.config import Config
from panza.daemon.learn import child, settings
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.training.job_files import model_json

Progress = Callable[[int, int], None]


@dataclass
class PlaybackOutcome:
    model: str
    pending: int
    written: int = 0
    failed: Counter[str] = field(default_factory=Counter)


def pending(
    conn: sqlite3.Connection, model: str, retry_failed: bool = False
) -> list[dict[str, Any]]:
    """Kept emails (both splits) whose instruction is missing or from another model."""
    rows = conn.execute(
        "SELECT id, subject, text FROM emails WHERE status = 'kept' AND"
        " (instruction_model IS NULL OR instruction_model != ?"
        "  OR (? AND (instruction IS NULL OR instruction = '')))"
        " ORDER BY date IS NULL, date, id",
        (model, int(retry_failed)),
    )
    return [{"id": str(r[0]), "subject": r[1] or "", "text": r[2] or ""} for r in rows]


def write_batch(store: Store, results: Sequence[dict[str, Any]]) -> None:
    """Store one batch of results in one transaction."""
    with store.write() as conn:
        conn.executemany(
            "UPDATE emails SET instruction = ?, instruction_model = ?, playback_error = ?"
            " WHERE id = ?",
            [(r["instruction"], r["model"], r["error"], int(r["id"])) for r in results],
        )


def run_playback(
    store: Store,
    config: Config,
    paths: Paths,
    *,
    retry_failed: bool = False,
    progress: Progress | None = None,
    command: Sequence[str] = child.CHILD,
    niceness: int = 0,
) -> PlaybackOutcome:
    """Play back every pending email; returns what was written and why others failed."""
    name = settings.playback_name(config)
    todo = pending(store.conn, name, retry_failed)
    outcome = PlaybackOutcome(name, len(todo))
    if not todo:
        return outcome
    spec = settings.model_spec(config, paths, name)
    # The recorded model is the configured name, even when it resolves to a folder.
    job = {
        "kind": "playback",
        "model": model_json(spec),
        "items": todo,
        "batch_size": config.training.playback_batch_size,
    }

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") != "playback_batch":
            return
        results = [{**r, "model": name} for r in event["results"]]
        write_batch(store, results)
        outcome.written += sum(r["instruction"] is not None for r in results)
        outcome.failed.update(str(r["error"]).split(" ")[0] for r in results if r["error"])
        if progress is not None:
            progress(int(event["done"]), len(todo))

    child.run_job(job, on_event, command=command, niceness=niceness, env=settings.child_env())
    return outcome
