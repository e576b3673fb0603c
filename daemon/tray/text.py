"""The tray's status lines in words: counts, relative times, the adapter's figure, problems.

Pure; labels are for the user's own screen and are never logged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeGuard

MAX_LABEL = 72


def status_lines(status: dict[str, Any] | None, now: float) -> list[str]:
    """Emails learned from, last sync, current adapter, acceptance figure, problems."""
    if status is None:
        return ["Start it with: panza daemon"]
    lines = [f"Emails learned from: {int((status.get('emails') or {}).get('kept') or 0):,}"]
    lines.append(f"Last sync: {last_sync(status, now)}")
    adapter = status.get("adapter")
    if isinstance(adapter, dict) and adapter.get("version") is not None:
        when = parse_time(adapter.get("created_at"))
        trained = f", trained {ago(when, now)}" if when is not None else ""
        lines.append(f"Adapter {version_name(adapter['version'])}{trained}")
        figure = acceptance(adapter.get("metrics"))
        if figure:
            lines.append(figure)
    else:
        lines.append("Adapter: none trained yet")
    autodraft = status.get("autodraft") or {}
    if autodraft.get("accounts"):
        counts = autodraft.get("counts") or {}
        lines.append(
            f"Replies in Drafts: {counts.get('written', 0)}, waiting: {counts.get('pending', 0)}"
        )
    lines += problems(status)
    for account in status.get("accounts") or []:
        if account.get("state") == "error":
            lines.append(f"{account.get('name')}: last sync failed: {account.get('message')}")
    return lines


def problems(status: dict[str, Any]) -> list[str]:
    """What the user must fix: accounts needing re-auth, a config that was not applied."""
    found = [
        f"{a.get('name')}: sign in again ({a.get('message') or 'credentials refused'})"
        for a in status.get("accounts") or []
        if a.get("state") == "auth_needed"
    ]
    error = status.get("config_error")
    if error:
        found.append("Config not applied: " + " ".join(str(error).split()))
    return found


def last_sync(status: dict[str, Any], now: float) -> str:
    accounts = status.get("accounts") or []
    if not accounts:
        return "no accounts set up"
    times = [t for t in (parse_time(a.get("last_sync_at")) for a in accounts) if t is not None]
    return ago(max(times), now) if times else "never"


def acceptance(metrics: Any) -> str | None:
    """The figure a version was judged by: draft acceptance, else held-out loss, else BLEU."""
    if isinstance(metrics, str):
        try:
            metrics = json.loads(metrics)
        except ValueError:
            return None
    if not isinstance(metrics, dict):
        return None
    for key in ("acceptance", "acceptance_rate"):
        rate = metrics.get(key)
        if number(rate):
            return f"Drafts accepted: {rate * 100 if rate <= 1 else rate:.0f}%"
    heldout, before = metrics.get("heldout"), metrics.get("compared_heldout")
    loss = heldout.get("loss") if isinstance(heldout, dict) else metrics.get("heldout_loss")
    if number(loss):
        old = before.get("loss") if isinstance(before, dict) else None
        if number(old) and old > 0:
            against = metrics.get("compared_with") or "previous"
            return f"Held-out loss: {loss:.3f} ({(loss - old) / old:+.1%} vs {against})"
        return f"Held-out loss: {loss:.3f}"
    if number(metrics.get("bleu")) and number(metrics.get("rouge_l")):
        return f"BLEU {metrics['bleu']:.3f}, ROUGE-L {metrics['rouge_l']:.3f}"
    return None


def version_name(version: Any) -> str:
    return f"v{version:04d}" if isinstance(version, int) else f"v{version}"


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an ISO 8601 string (``Z`` or offset) or a number."""
    if number(value):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp()


def ago(then: float, now: float) -> str:
    seconds = max(0.0, now - then)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def duration(seconds: float) -> str:
    """A time still to wait, as a person would say it."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60:02d} min"


def number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_LABEL else flat[: MAX_LABEL - 1] + "…"
