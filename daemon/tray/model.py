"""What the tray shows, computed from one ``status`` reply (``None``: the daemon is down).

Pure functions: the app polls ``status`` and renders what :func:`view` returns;
tests feed recorded replies. Labels are for the user's own screen only, never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from panza.daemon.tray import text

TRAIN_JOB = "train"


class State(StrEnum):
    IDLE = "idle"
    SYNCING = "syncing"
    TRAINING = "training"
    PAUSED = "paused"
    ERROR = "error"


class Action(StrEnum):
    DRAFT = "draft"
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

_NAMES = {
    Action.DRAFT: "Draft",
    Action.SYNC: "Sync",
    Action.RETRAIN: "Retrain",
    Action.QUIT: "Quit",
}
DRAFT_LABEL = "Draft with Panza…"


class Drafting(StrEnum):
    """Whether "Draft with Panza…" can be offered: the tray needs a way to ask and copy."""

    READY = "ready"
    BUSY = "busy"  # one draft at a time: its dialog or request is open
    UNSUPPORTED = "unsupported"  # this tray backend has no input dialog (not GTK)


@dataclass(frozen=True)
class Seen:
    """The first progress seen of a running training stage: where the ETA's rate starts."""

    started_at: float | None
    stage: str
    at: float
    done: int


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
    *,
    drafting: Drafting = Drafting.READY,
    seen: Seen | None = None,
) -> View:
    """The tray's view of one ``status`` reply at time ``now`` (epoch seconds)."""
    state, pct = icon_state(status)
    title = headline(status, state, pct, remaining(status, seen, now))
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
            _draft_item(status, drafting),
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


def headline(
    status: dict[str, Any] | None, state: State, pct: int | None, left: float | None = None
) -> str:
    if status is None:
        return "Panza: daemon not running"
    if state is State.TRAINING:
        eta = f", {text.duration(left)} left" if left is not None else ""
        return f"Panza: training {pct}%{eta}" if pct is not None else "Panza: training"
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


def follow(seen: Seen | None, status: dict[str, Any] | None, now: float) -> Seen | None:
    """The training stage's first progress sample, kept while the same stage runs."""
    job = running_job(status, TRAIN_JOB) if status is not None else None
    if not job:
        return None
    started, stage = job.get("started_at"), str(job.get("stage") or "")
    if seen is not None and (seen.started_at, seen.stage) == (started, stage):
        return seen
    return Seen(started if text.number(started) else None, stage, now, int(job.get("done") or 0))


def remaining(status: dict[str, Any] | None, seen: Seen | None, now: float) -> float | None:
    """Seconds of training left: the daemon's estimate (``eta_s``) when it gives one, else the
    rate seen since ``seen``; None until there is either."""
    job = running_job(status, TRAIN_JOB) if status is not None else None
    if not job or job.get("stage") != "training":
        return None
    if text.number(job.get("eta_s")):
        return max(0.0, float(job["eta_s"]))
    if seen is None:
        return None
    total, done = job.get("total"), job.get("done") or 0
    if not text.number(total) or not text.number(done) or done <= seen.done or now <= seen.at:
        return None
    return max(0.0, (total - done) * (now - seen.at) / (done - seen.done))


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
        status = result.get("status")
        if status in ("accepted", "rejected") and result.get("version") is not None:
            return f"Retrain: {text.version_name(result['version'])} {status}"
        if status == "nothing_to_train":
            return "Retrain: no new emails to learn from"
        return "Retrain finished"  # the reply comes when the run is over, never at its start
    if action is Action.DRAFT:
        return "Draft copied to the clipboard: paste it into your email"
    return None


def describe_error(action: Action, code: str, message: str) -> str:
    if code == "busy":
        return f"{_NAMES.get(action, action.value)}: already running"
    return f"{_NAMES.get(action, action.value)} failed: {message}"


def offers(ping: dict[str, Any] | None, method: str) -> bool:
    """Whether the daemon that answered ``ping`` offers ``method``, from its ``methods`` list.

    A daemon that does not list its methods is taken to offer them all: a call it cannot
    serve then fails with the daemon's own message.
    """
    methods = (ping or {}).get("methods")
    return not isinstance(methods, list) or method in methods


def _draft_item(status: dict[str, Any] | None, drafting: Drafting) -> Item:
    if drafting is Drafting.BUSY:
        return Item("Drafting…", Action.DRAFT, enabled=False)
    if drafting is Drafting.UNSUPPORTED:
        return Item(f"{DRAFT_LABEL} (needs the GTK tray)", Action.DRAFT, enabled=False)
    if status is not None and not status.get("adapter"):  # the daemon drafts with an adapter
        return Item(f"{DRAFT_LABEL} (after the first training)", Action.DRAFT, enabled=False)
    return Item(DRAFT_LABEL, Action.DRAFT, enabled=status is not None)


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
            label += f", {text.duration(eta)} left"
        return Item(label, Action.RETRAIN, False)
    if not available:
        return Item("Retrain now (not available in this version)", Action.RETRAIN, False)
    return Item("Retrain now", Action.RETRAIN, enabled=status is not None)
