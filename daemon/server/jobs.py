"""Background jobs (sync, index, import, training): one at a time per name, progress visible.

Jobs are blocking functions run in worker threads; their progress updates the
state ``status`` reports and, when a client asked for the job, streams to it
as ``progress`` events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from panza.daemon.errors import BusyError
from panza.daemon.tuning.retrain import Progress

log = logging.getLogger(__name__)
T = TypeVar("T")


Emit = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class JobState:
    """What ``status`` shows about one job."""

    name: str
    running: bool = False
    stage: str = ""
    done: int = 0
    total: int | None = None
    eta_s: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    last_error: str | None = None
    last_result: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_at(self) -> float | None:
        """When the last run ended in an error; None when it succeeded (or never ran)."""
        return self.finished_at if self.last_error else None


class Jobs:
    """Runs named jobs in threads; a second start of a running job is ``busy``."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="panza-job")
        self.states: dict[str, JobState] = {}

    def running(self) -> list[str]:
        return [name for name, s in self.states.items() if s.running]

    def is_running(self, name: str) -> bool:
        state = self.states.get(name)
        return state is not None and state.running

    async def run(
        self,
        name: str,
        fn: Callable[[Progress], T],
        emit: Emit | None = None,
        request_id: str | None = None,
        summarize: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """Run ``fn(progress)`` in a thread; raise ``busy`` if ``name`` is already running.

        With ``emit`` and ``request_id``, progress streams to the requester in order while
        it waits; when it stops waiting the job runs on, and only ``status`` shows it.
        """
        if self.is_running(name):
            raise BusyError(f"{name} is already running")
        loop = asyncio.get_running_loop()
        state = self.states.setdefault(name, JobState(name))
        state.running, state.started_at, state.last_error = True, time.time(), None
        state.stage, state.done, state.total, state.eta_s = "starting", 0, None, None
        events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def progress(stage: str, done: int, total: int | None, eta_s: float | None = None) -> None:
            state.stage, state.done, state.total, state.eta_s = stage, done, total, eta_s
            if emit is not None and request_id is not None:
                message: dict[str, Any] = {
                    "id": request_id,
                    "event": "progress",
                    "stage": stage,
                    "done": done,
                    "total": total,
                }
                if eta_s is not None:
                    message["eta_s"] = eta_s
                loop.call_soon_threadsafe(events.put_nowait, message)

        def finished(fut: asyncio.Future[T]) -> None:
            # Runs when the thread is done, not when the requester stops waiting: a job
            # whose client went away is still running until its thread returns.
            events.put_nowait(None)  # after every progress message the thread queued
            state.running, state.finished_at = False, time.time()
            if fut.cancelled():
                state.last_error = "cancelled"
            elif (exc := fut.exception()) is not None:
                state.last_error = str(exc) or type(exc).__name__
            elif summarize is not None:
                state.last_result = summarize(fut.result())

        future: asyncio.Future[T] = loop.run_in_executor(self._pool, fn, progress)
        future.add_done_callback(finished)
        if emit is not None:
            while (message := await events.get()) is not None:
                await emit(message)
        return await asyncio.shield(future)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: asdict(s) for name, s in self.states.items()}

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
