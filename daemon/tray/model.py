"""What the tray shows, computed from one ``status`` reply (``None``: the daemon is down).

Pure functions: the app polls ``status`` and renders what :func:`view` returns;
tests feed recorded replies. Labels are for the user's own screen only, never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from panza.daemon.tray import text
from panza.training.progress import duration

TRAIN_JOB = "train"


class State(StrEnum):
    IDLE = "idle"
    SYNCING = "syncing"
    TRAINING = "training"
    PAUSED = "paused"
    ERROR = "error"


class Action(StrEnum):
    SYNC = "sync"
    RETRAIN = "retrain"
    PAUSE = "pause"
    RESUME = "resume"
    OPEN_DATA = "open_data"
    OPEN_LOG = "open_log"
    QUIT = "quit"
    CLOSE = "close"


# The daemon request each action sends: (method, params). The others act locally.
REQUESTS: dict[Action, tuple[str, dict[str, Any]]] = {
    Action.SYNC: ("sync", {}),
    Action.RETRAIN: ("retrain", {}),
    Action.PAUSE: ("pause", {}),
    Action.RESUME: ("resume", {}),
    Action.QUIT: ("stop", {}),
}

_NAMES = {Action.SYNC: "Sync", Action.RETRAIN: "Retrain", Action.QUIT: "Quit"}


@dataclass(frozen=True)
class Item:
    """One menu entry: a status line (no action), an action, or a separator."""

    label: str
    action: Action | None = None
    enabled: bool = True
    default: bool = False
    separator: bool = False


SEPARATOR = Item("", enabled=False, separator=True)


@dataclass(frozen=True)
class View:
    """Everything the tray shows: icon state, training percent, tooltip, menu."""

    state: State
    percent: int | None
    title: str
    items: tuple[Item, ...]

    def labels(self) -> list[str]:
        return [i.label for i in self.items if not i.separator]

    def item(self, action: Action) -> Item | None:
        return next((i for i in self.items if i.action is action), None)


def view(
    status: dict[str, Any] | None,
    now: float,
    notice: str | None = None,
    retrain_available: bool = True,
) -> View:
    """The tray's view of one ``status`` reply at time ``now`` (epoch seconds)."""
    state, pct = icon_state(status)
    title = headline(status, state, pct)
    lines = [Item(title, enabled=False)]
    lines += [Item(text.clip(line), enabled=False) for line in text.status_lines(status, now)]
    if notice:
        lines.append(Item(text.clip(notice), enabled=False))
    up = status is not None
    return View(
        state,
        pct,
        title,
        (
            *lines,
            SEPARATOR,
            _sync_item(status),
            _retrain_item(status, retrain_available),
            Item("Resume", Action.RESUME, up)
            if status and status.get("paused")
            else Item("Pause", Action.PAUSE, up),
            SEPARATOR,
            Item("Open data folder", Action.OPEN_DATA),
            Item("Open log", Action.OPEN_LOG),
            SEPARATOR,
            Item("Quit Panza", Action.QUIT),
            Item("Close tray", Action.CLOSE),
        ),
    )


def icon_state(status: dict[str, Any] | None) -> tuple[State, int | None]:
    """Icon state and training percent. Activity shows over problems: it ends on its own."""
    if status is None:
        return State.ERROR, None
    train = running_job(status, TRAIN_JOB)
    if train is not None:
        return State.TRAINING, percent(train)
    if syncing(status):
        return State.SYNCING, None
    if text.problems(status):
        return State.ERROR, None
    if status.get("paused"):
        return State.PAUSED, None
    return State.IDLE, None


def headline(status: dict[str, Any] | None, state: State, pct: int | None) -> str:
    if status is None:
        return "Panza: daemon not running"
    if state is State.TRAINING:
        return f"Panza: training {pct}%" if pct is not None else "Panza: training"
    return {
        State.SYNCING: "Panza: syncing mail",
        State.ERROR: "Panza: needs attention",
        State.PAUSED: "Panza: paused (no scheduled sync or training)",
    }.get(state, "Panza: idle")


def running_job(status: dict[str, Any], name: str) -> dict[str, Any] | None:
    job = (status.get("jobs") or {}).get(name)
    if isinstance(job, dict) and job.get("running"):
        return job
    return {} if name in (status.get("running") or []) else None


def syncing(status: dict[str, Any]) -> bool:
    """A sync pass or a dropped mbox import is bringing mail in."""
    return any(n == "sync" or n.startswith("import ") for n in status.get("running") or [])


def percent(job: dict[str, Any]) -> int | None:
    total, done = job.get("total"), job.get("done") or 0
    if not isinstance(total, int | float) or total <= 0:
        return None
    return max(0, min(100, int(done * 100 // total)))


def describe_reply(action: Action, result: dict[str, Any]) -> str | None:
    """One line about a finished action, for the menu; None where the state says it all."""
    if action is Action.SYNC:
        accounts = result.get("accounts") or []
        if not accounts:
            return "Sync: no accounts set up (panza account add)"
        failed = [str(a.get("account")) for a in accounts if not a.get("ok")]
        kept = sum(int(a.get("kept") or 0) for a in accounts)
        tail = f"; failed: {', '.join(failed)}" if failed else ""
        return f"Sync done: {kept:,} new email{'s' if kept != 1 else ''}{tail}"
    if action is Action.RETRAIN:
        if result.get("status") in ("accepted", "rejected") and result.get("version") is not None:
            return f"Retrain: {text.version_name(result['version'])} {result['status']}"
        return "Retrain started"
    return None


def describe_error(action: Action, code: str, message: str) -> str:
    if code == "busy":
        return f"{_NAMES.get(action, action.value)}: already running"
    return f"{_NAMES.get(action, action.value)} failed: {message}"


def absent_method(code: str, message: str) -> bool:
    """The daemon has no such method (an older version), as opposed to the method failing."""
    return code == "unavailable" and "not available in this daemon" in message


def _sync_item(status: dict[str, Any] | None) -> Item:
    if status is not None and syncing(status):
        job = running_job(status, "sync") or {}
        done, total = job.get("done"), job.get("total")
        progress = (
            f" {done:,}/{total:,}" if text.number(done) and text.number(total) and total else ""
        )
        return Item(f"Syncing…{progress}", Action.SYNC, enabled=False)
    return Item("Sync now", Action.SYNC, enabled=status is not None, default=True)


def _retrain_item(status: dict[str, Any] | None, available: bool) -> Item:
    train = running_job(status, TRAIN_JOB) if status is not None else None
    if train is not None:
        pct, eta = percent(train), train.get("eta_s")
        label = f"Training… {pct}%" if pct is not None else "Training…"
        if text.number(eta) and pct is not None:
            label += f", about {duration(eta)} left"
        return Item(label, Action.RETRAIN, False)
    if not available:
        return Item("Retrain now (not available in this version)", Action.RETRAIN, False)
    return Item("Retrain now", Action.RETRAIN, enabled=status is not None)
