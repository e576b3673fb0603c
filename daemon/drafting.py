"""The ``draft`` and ``retrain`` methods: queued generation and training as a low-priority child."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.jobs import Jobs, Progress
from panza.daemon.learn.playback import run_playback
from panza.daemon.learn.train import run_training
from panza.daemon.protocol import DraftParams, ProtocolError, Request, RetrainParams
from panza.daemon.server import Emit
from panza.daemon.service import Service
from panza.daemon.store.state import add_draft
from panza.daemon.writer import DraftCancelled, Writer

log = logging.getLogger(__name__)
TRAIN_NICENESS = 10


@dataclass
class Drafting:
    """One generation at a time per model; later drafts wait and learn their place."""

    service: Service
    writer: Writer
    jobs: Jobs
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _waiting: int = 0

    @property
    def drafting(self) -> bool:
        return self._lock.locked()

    async def draft(self, req: Request, emit: Emit) -> dict[str, Any]:
        params: DraftParams = req.params
        position = self._waiting + (1 if self._lock.locked() else 0)
        self._waiting += 1
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
        except DraftCancelled:
            raise ProtocolError("cancelled", "cancelled") from None
        draft_id = uuid.uuid4().hex[:16]
        with self.service.store.write() as conn:
            add_draft(
                conn,
                draft_id,
                params.mode,
                params.instruction,
                draft.text,
                subject=params.subject,
                adapter_version=draft.adapter_version,
                retrieved=draft.retrieved,
                timings=dict(draft.timings),
            )
        return {
            "draft_id": draft_id,
            "text": draft.text,
            "adapter_version": draft.adapter_version,
            "retrieved": draft.retrieved,
            "timings": draft.timings,
        }

    async def retrain(self, req: Request, emit: Emit) -> dict[str, Any]:
        params: RetrainParams = req.params
        result = await self.jobs.run(
            "train", lambda p: self.learn(p, full=params.full), emit, req.id, summarize=lambda r: r
        )
        return result

    def learn(self, progress: Progress, full: bool = False) -> dict[str, Any]:
        """Playback for emails without an instruction, then a training run (blocking)."""
        service = self.service
        progress("playback", 0, None)
        played = run_playback(
            service.store,
            service.config,
            service.paths,
            progress=lambda d, t: progress("playback", d, t),
            niceness=TRAIN_NICENESS,
        )

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
            service.store,
            service.config,
            service.paths,
            full_retrain=full,
            on_event=on_event,
            niceness=TRAIN_NICENESS,
        )
        return {
            "status": outcome.status,
            "version": outcome.version,
            "playback": {"written": played.written, "failed": dict(played.failed)},
            "heldout": outcome.result.get("heldout"),
        }
