"""The daemon's own work: the rules of when (pure) and the background tasks that run it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from panza.daemon.server.background import Background
from panza.daemon.server.jobs import Jobs, JobState
from panza.daemon.server.routines import playback_wanted
from panza.daemon.server.schedule import RETRY_TRAIN_S, retrain_for_new_mail, retry_wait_over
from panza.daemon.tuning.retrain import Progress

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("failed_at", "may_start"),
    [
        (None, True),  # the last training succeeded, or none ran yet
        (NOW - 60, False),  # failed a minute ago: not again each minute
        (NOW - RETRY_TRAIN_S + 1, False),
        (NOW - RETRY_TRAIN_S, True),  # an hour later it tries again
        (NOW - 3 * RETRY_TRAIN_S, True),
    ],
)
def test_scheduled_training_waits_an_hour_after_a_failure(
    failed_at: float | None, may_start: bool
) -> None:
    assert retry_wait_over(failed_at, NOW) is may_start


def test_a_failed_job_says_when_it_failed_and_a_later_success_clears_it() -> None:
    def boom(progress: Progress) -> None:
        raise ValueError("no base model configured")

    async def scenario() -> tuple[JobState, float | None]:
        jobs = Jobs(workers=1)
        try:
            with pytest.raises(ValueError):
                await jobs.run("train", boom)
            failed = JobState(**vars(jobs.states["train"]))
            await jobs.run("train", lambda progress: None)
            return failed, jobs.states["train"].failed_at
        finally:
            jobs.shutdown()

    failed, after_success = asyncio.run(scenario())
    assert failed.failed_at is not None and failed.failed_at == failed.finished_at
    assert after_success is None


def test_enough_new_mail_retrains_early() -> None:
    assert retrain_for_new_mail(200, 200) and retrain_for_new_mail(201, 200)
    assert not retrain_for_new_mail(199, 200)


@pytest.mark.parametrize(
    ("kept", "paused", "running", "wanted"),
    [
        (3, False, [], True),
        (3, False, ["sync", "import"], True),
        (0, False, [], False),  # nothing new kept: no model run
        (3, True, [], False),  # paused: the next sync or training after resume plays back
        (3, False, ["playback"], False),  # the running playback takes these too
        (3, False, ["train"], False),  # training plays back first anyway
    ],
)
def test_playback_after_a_sync(kept: int, paused: bool, running: list[str], wanted: bool) -> None:
    assert playback_wanted(kept, paused, running) is wanted


def test_a_failing_task_is_logged_and_its_siblings_run_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("disk full")

    async def finishes() -> None:
        await asyncio.sleep(0.05)
        done.append("finished")

    async def scenario() -> None:
        async with Background() as background:
            background.spawn(fails(), "playback after sync")
            background.spawn(finishes(), "other")

    with caplog.at_level(logging.ERROR, logger="panza.daemon.server.background"):
        asyncio.run(scenario())  # leaving the block waited for the slower task
    assert done == ["finished"]
    assert [r.getMessage() for r in caplog.records] == ["playback after sync failed"]


def test_cancel_stops_every_task_and_an_error_passing_through_stays_itself() -> None:
    stopped: list[str] = []

    async def waits_forever(name: str) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(name)
            raise

    async def stop_normally() -> None:
        async with Background() as background:
            background.spawn(waits_forever("imports"), "imports")
            background.spawn(waits_forever("playback"), "playback")
            await asyncio.sleep(0)
            background.cancel()

    async def fail_while_running() -> None:
        async with Background() as background:
            background.spawn(waits_forever("on error"), "imports")
            await asyncio.sleep(0)
            raise LookupError("a part failed to start")

    asyncio.run(asyncio.wait_for(stop_normally(), 10))
    assert sorted(stopped) == ["imports", "playback"]
    with pytest.raises(LookupError):  # not an ExceptionGroup: the CLI still reports it
        asyncio.run(asyncio.wait_for(fail_while_running(), 10))
    assert stopped[-1] == "on error"
