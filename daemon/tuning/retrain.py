"""A retrain, whoever starts it (the schedule in ``server/routines.py`` or the ``retrain``
method): playback for the kept emails without an instruction, then a training run, each in
a child process. Blocking: the daemon runs it as a job on a worker thread."""

from __future__ import annotations

from typing import Any, Protocol

from panza.daemon.config import Config
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.daemon.tuning.start_playback import run_playback
from panza.daemon.tuning.start_training import run_training

TRAIN_NICENESS = 10  # playback and training children run below the daemon's other work


class Progress(Protocol):
    """Reports a job's stage, how far it is, and (when it knows) the seconds left."""

    def __call__(
        self, stage: str, done: int, total: int | None, eta_s: float | None = None
    ) -> None: ...


class Home(Protocol):
    """Where a retrain reads and writes: the daemon's store, config and paths."""

    @property
    def store(self) -> Store: ...
    @property
    def config(self) -> Config: ...
    @property
    def paths(self) -> Paths: ...


def play_back(home: Home, progress: Progress) -> dict[str, Any]:
    """An instruction for each kept email without one, in a child process (blocking)."""
    progress("playback", 0, None)
    played = run_playback(
        home.store,
        home.config,
        home.paths,
        progress=lambda d, t: progress("playback", d, t),
        niceness=TRAIN_NICENESS,
    )
    return {"written": played.written, "failed": dict(played.failed)}


def retrain(home: Home, progress: Progress, full: bool = False) -> dict[str, Any]:
    """Playback for emails without an instruction, then a training run (blocking)."""
    played = play_back(home, progress)

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            progress("training", int(event["step"]), event.get("total"), event.get("eta_s"))
        elif kind == "stage":
            progress(str(event.get("stage", "")), 0, None)
        elif kind == "notice":
            progress(str(event.get("message", "")), 0, None)

    progress("training", 0, None)
    outcome = run_training(
        home.store,
        home.config,
        home.paths,
        full_retrain=full,
        on_event=on_event,
        niceness=TRAIN_NICENESS,
    )
    published = outcome.result.published
    return {
        "status": outcome.status,
        "version": outcome.version,
        "playback": played,
        "heldout": published.manifest.heldout.summary() if published else None,
    }
