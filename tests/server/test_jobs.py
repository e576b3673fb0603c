"""Jobs: one at a time per name, still running after the requester goes away."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from panza.daemon.errors import BusyError
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.socket_server import reply_code
from panza.daemon.tuning.retrain import Progress


def test_job_stays_running_when_its_requester_is_cancelled() -> None:
    release = threading.Event()
    started = threading.Event()

    def work(progress: Progress) -> int:
        progress("working", 1, 2, 30.5)
        started.set()
        release.wait(10)
        return 7

    async def scenario() -> None:
        jobs = Jobs()
        first = asyncio.ensure_future(jobs.run("sync", work, summarize=lambda r: {"r": r}))
        await asyncio.to_thread(started.wait, 10)
        first.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await first
        assert jobs.is_running("sync")
        with pytest.raises(BusyError) as info:
            await jobs.run("sync", work)
        assert reply_code(info.value) == "busy"
        release.set()
        for _ in range(100):
            if not jobs.is_running("sync"):
                break
            await asyncio.sleep(0.05)
        state = jobs.snapshot()["sync"]
        assert state["running"] is False and state["last_result"] == {"r": 7}
        assert (state["stage"], state["done"], state["total"]) == ("working", 1, 2)
        assert state["eta_s"] == 30.5  # what `status` shows as the time left
        jobs.shutdown()

    asyncio.run(scenario())


def test_failed_job_records_its_error() -> None:
    def boom(progress: Progress) -> None:
        raise ValueError("the server said no")

    async def scenario() -> None:
        jobs = Jobs()
        with pytest.raises(ValueError):
            await jobs.run("sync", boom)
        assert jobs.snapshot()["sync"]["last_error"] == "the server said no"
        assert not jobs.is_running("sync")
        jobs.shutdown()

    asyncio.run(scenario())


def test_progress_reaches_the_requester_in_order_before_the_result() -> None:
    def work(progress: Progress) -> str:
        for step in range(1, 6):
            progress("index", step, 5)
        return "done"

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        jobs, seen = Jobs(), []

        async def emit(message: dict[str, Any]) -> None:
            await asyncio.sleep(0)  # a client that takes its time reading
            seen.append(message)

        try:
            return await jobs.run("sync", work, emit, "r1"), seen
        finally:
            jobs.shutdown()

    result, seen = asyncio.run(scenario())
    assert result == "done"
    assert [(m["id"], m["stage"], m["done"]) for m in seen] == [
        ("r1", "index", n) for n in range(1, 6)
    ]
