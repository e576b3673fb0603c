"""Training progress in words: the run estimate made from its first steps, and durations.

Pure (no torch), so the CLI and the tray can show the same figures the trainer emits.
"""

from __future__ import annotations

from typing import Any

# Steps timed before the whole run is estimated: the first one also pays for warm-up
# (allocations, kernel selection), so the estimate errs long rather than short.
ESTIMATE_AFTER_STEPS = 2


def duration(seconds: float) -> str:
    """A rounded duration a person reads at a glance: "40 s", "12 min", "3 h 5 min"."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def estimate_event(done: int, total: int, seconds: float) -> dict[str, Any]:
    """The "estimate" event after `done` of `total` steps took `seconds`."""
    per_step = seconds / max(1, done)
    return {
        "event": "estimate",
        "steps_measured": done,
        "total": total,
        "seconds_per_step": round(per_step, 3),
        "total_s": round(per_step * total, 1),
        "eta_s": round(per_step * (total - done), 1),
    }


def describe_estimate(event: dict[str, Any]) -> str:
    """One line for the terminal: what was measured and what the whole run will take."""
    return (
        f"Measured {duration(event['seconds_per_step'])} per step over the first"
        f" {event['steps_measured']} of {event['total']} steps: training takes about"
        f" {duration(event['total_s'])} ({duration(event['eta_s'])} left)"
    )


def describe_job(job: dict[str, Any]) -> str | None:
    """ "step 21 of 50, about 25 min left" for a running job with a total, else None."""
    done, total, eta = job.get("done"), job.get("total"), job.get("eta_s")
    if not job.get("running") or not isinstance(total, int) or total <= 0:
        return None
    left = f", about {duration(eta)} left" if isinstance(eta, int | float) else ""
    return f"{job.get('stage') or 'working'}: step {done} of {total}{left}"
