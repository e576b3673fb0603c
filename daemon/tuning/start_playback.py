"""Playback, store side: pick the emails that need an instruction, run the playback job,
and write each batch's instructions (or failure reasons) back as it arrives.

An email needs playback when it has none yet or when its instruction came from another
model; one that failed with the current model is skipped unless asked to retry. Each
batch is committed on arrival, so a killed run loses at most the batch in flight and
the next run resumes with what is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.config import Config
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.daemon.store.instructions import (
    InstructionResult,
    needing_instruction,
    set_instructions,
)
from panza.daemon.tuning import child, job_fields
from panza.training.playback import PlaybackItem
from panza.training.playback_files import PlaybackBatch, PlaybackJob

Progress = Callable[[int, int], None]


@dataclass
class PlaybackOutcome:
    model: str
    pending: int
    written: int = 0
    failed: Counter[str] = field(default_factory=Counter)


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
    name = job_fields.playback_name(config)
    todo = needing_instruction(store.conn, name, retry_failed)
    outcome = PlaybackOutcome(name, len(todo))
    if not todo:
        return outcome
    spec = job_fields.model_spec(config, paths, name)
    # The recorded model is the configured name, even when it resolves to a folder.
    job = PlaybackJob(
        spec,
        tuple(PlaybackItem(str(e.id), e.text, e.subject) for e in todo),
        config.training.playback_batch_size,
    )

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") != "playback_batch":
            return
        batch = PlaybackBatch.from_json(event)
        results = [
            InstructionResult(int(r.id), r.instruction, name, r.error) for r in batch.results
        ]
        with store.write() as conn:  # each batch on arrival: a killed run resumes after it
            set_instructions(conn, results)
        outcome.written += sum(r.instruction is not None for r in results)
        outcome.failed.update(r.error.split(" ")[0] for r in results if r.error)
        if progress is not None:
            progress(batch.done, len(todo))

    child.run_job(
        job.to_json(), on_event, command=command, niceness=niceness, env=job_fields.child_env()
    )
    return outcome
