"""Durations and run estimates in words."""

from __future__ import annotations

import pytest

from panza.training.progress import describe_estimate, describe_job, duration, estimate_event


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0 s"),
        (59.6, "60 s"),
        (95, "2 min"),
        (5399, "1 h 30 min"),
        (5000, "83 min"),
        (11100, "3 h 5 min"),
        (7200, "2 h"),
    ],
)
def test_durations_read_at_a_glance(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_estimate_scales_the_measured_steps_to_the_whole_run() -> None:
    event = estimate_event(2, 120, 42.0)
    assert event["seconds_per_step"] == 21.0 and event["total_s"] == 2520.0
    assert event["eta_s"] == 2478.0
    assert describe_estimate(event) == (
        "Measured 21 s per step over the first 2 of 120 steps: training takes about 42 min"
        " (41 min left)"
    )


def test_a_running_job_reads_as_its_step_and_time_left() -> None:
    job = {"running": True, "stage": "training", "done": 21, "total": 50, "eta_s": 1500.0}
    assert describe_job(job) == "training: step 21 of 50, about 25 min left"
    assert describe_job({**job, "eta_s": None}) == "training: step 21 of 50"
    assert describe_job({**job, "running": False}) is None
    assert describe_job({**job, "total": None}) is None
