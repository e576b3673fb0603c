"""The ``draft`` and ``retrain`` methods: queued generation and training as a low-priority child."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.protocol import DraftParams, Request, RetrainParams
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.server.socket_server import Emit
from panza.daemon.server.writer import Draft, DraftCancelled, Writer
from panza.daemon.store import Store
from panza.daemon.store.drafts import add_draft
from panza.daemon.tuning.retrain import retrain

log = logging.getLogger(__name__)
BACKGROUND_NICENESS = 10


@dataclass
class Drafting:
    """One generation at a time per model; later drafts wait and learn their place."""

    service: Service
    writer: Writer
    jobs: Jobs
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _waiting: int = 0
    # Set to stop the background draft in progress (autodraft) when interactive work arrives.
    _preempt: threading.Event | None = None
    # Background drafts run on a thread of their own at a lower CPU priority (the thread that
    # generates inherits it); interactive drafts never run on it.
    _background_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, "panza-background", _lower_priority)
    )

    @property
    def drafting(self) -> bool:
        return self._lock.locked()

    async def draft(self, req: Request, emit: Emit) -> dict[str, Any]:
        params = req.params_as(DraftParams)
        position = self._waiting + (1 if self._lock.locked() and self._preempt is None else 0)
        self._waiting += 1
        self.preempt()
        try:
            if position:
                await emit({"id": req.id, "event": "queued", "position": position})
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            return await self._generate(req.id, params, emit)
        finally:
            self._lock.release()

    async def _generate(self, request_id: str, params: DraftParams, emit: Emit) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        cancel = threading.Event()

        def on_token(text: str) -> None:
            loop.call_soon_threadsafe(
                pieces.put_nowait, {"id": request_id, "event": "token", "text": text}
            )

        def notify(message: str) -> None:
            loop.call_soon_threadsafe(
                pieces.put_nowait,
                {"id": request_id, "event": "progress", "stage": message, "done": 0, "total": None},
            )

        def work() -> Any:
            try:
                return self.writer.write(params, on_token, cancel, notify)
            finally:
                loop.call_soon_threadsafe(pieces.put_nowait, None)

        future = loop.run_in_executor(None, work)
        try:
            while (message := await pieces.get()) is not None:
                await emit(message)
            draft = await future
        except asyncio.CancelledError:
            cancel.set()  # generation stops at its next token; the model stays loaded
            raise
        return save_draft(self.service.store, params, draft)

    def preempt(self) -> None:
        """Stop the background draft in progress at its next token (it starts over later)."""
        if self._preempt is not None:
            self._preempt.set()

    async def background(self, params: DraftParams, may_run: Callable[[], bool]) -> Draft | None:
        """A draft nobody waits for: behind every interactive draft, and stopped for any that
        arrives while it runs; None when ``may_run`` says no (paused, limit, shutting down)."""
        loop = asyncio.get_running_loop()
        while True:
            while self._lock.locked() or self._waiting:
                await asyncio.sleep(0.05)
            if not may_run():
                return None
            await self._lock.acquire()  # free and nobody waiting: taken without yielding
            cancel = self._preempt = threading.Event()
            try:
                return await loop.run_in_executor(
                    self._background_pool, self.writer.write, params, lambda _t: None, cancel
                )
            except DraftCancelled:
                log.info("background draft paused for an interactive draft")
            finally:
                self._preempt = None
                self._lock.release()

    async def retrain(self, req: Request, emit: Emit) -> dict[str, Any]:
        params = req.params_as(RetrainParams)
        result = await self.jobs.run(
            "train",
            lambda p: retrain(self.service, p, full=params.full),
            emit,
            req.id,
            summarize=lambda r: r,
        )
        return result

    def close(self) -> None:
        self._background_pool.shutdown(wait=False, cancel_futures=True)


def save_draft(store: Store, params: DraftParams, draft: Draft) -> dict[str, Any]:
    """Store a finished draft (for feedback later) and return the ``draft`` method's result."""
    draft_id = uuid.uuid4().hex[:16]
    with store.write() as conn:
        add_draft(
            conn,
            draft_id,
            params.mode,
            params.instruction,
            draft.text,
            subject=params.subject,
            adapter_version=draft.adapter_version,
            retrieved=draft.retrieved,
            timings=draft.timings,
        )
    return {
        "draft_id": draft_id,
        "text": draft.text,
        "adapter_version": draft.adapter_version,
        "retrieved": draft.retrieved,
        "timings": draft.timings,
        "capped_to": draft.capped_to,
    }


def _lower_priority() -> None:
    """Nice the calling thread only (Linux threads have their own nice value), relative to
    the daemon's: an absolute value would raise the priority of a daemon run under nice."""
    try:
        thread = threading.get_native_id()
        own = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, own + BACKGROUND_NICENESS))
    except OSError:  # not permitted or not supported: the queue order still holds
        log.debug("could not lower the background drafting thread's priority")
