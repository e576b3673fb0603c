"""Protocol methods -> service operations. Each handler is a coroutine (request, emit)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from panza.daemon.pipeline.sync import SyncOutcome
from panza.daemon.protocol import VERSION as PROTOCOL_VERSION
from panza.daemon.protocol import FeedbackParams, ProtocolError, Request, SyncParams
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.server.socket_server import Emit, Handler

VERSION = "0.1.0"


@dataclass
class Handlers:
    """The daemon's methods; ``extra`` adds those provided by optional parts (draft, retrain)."""

    service: Service
    jobs: Jobs
    on_pause: Any = None
    on_resume: Any = None
    on_stop: Any = None
    on_synced: Any = None  # called with the outcomes of a sync (playback of new mail)
    extra: dict[str, Handler] = field(default_factory=dict)

    def table(self) -> dict[str, Handler]:
        return {
            "ping": self.ping,
            "status": self.status,
            "sync": self.sync,
            "pause": self.pause,
            "resume": self.resume,
            "feedback": self.feedback,
            "reload": self.reload,
            "stop": self.stop,
            **self.extra,
        }

    def methods(self) -> list[str]:
        """Every method this daemon answers: its table, and ``cancel``, which the server serves."""
        return sorted({*self.table(), "cancel"})

    async def ping(self, req: Request, emit: Emit) -> dict[str, Any]:
        """Clients decide what to offer from ``protocol`` and ``methods``, never from wording."""
        return {
            "pong": True,
            "version": VERSION,
            "protocol": PROTOCOL_VERSION,
            "methods": self.methods(),
            "pid": os.getpid(),
        }

    async def status(self, req: Request, emit: Emit) -> dict[str, Any]:
        status = self.service.status()
        status["jobs"] = self.jobs.snapshot()
        status["running"] = self.jobs.running()
        return status

    async def sync(self, req: Request, emit: Emit) -> dict[str, Any]:
        params = req.params_as(SyncParams)
        outcomes = await self.jobs.run(
            "sync",
            lambda progress: self.service.sync(progress, params.account),
            emit,
            req.id,
            summarize=_summarize_sync,
        )
        if self.on_synced:
            self.on_synced(outcomes)
        return _summarize_sync(outcomes)

    async def pause(self, req: Request, emit: Emit) -> dict[str, Any]:
        self.service.paused = True
        if self.on_pause:
            self.on_pause()
        return {"paused": True}

    async def resume(self, req: Request, emit: Emit) -> dict[str, Any]:
        self.service.paused = False
        if self.on_resume:
            self.on_resume()
        return {"paused": False}

    async def feedback(self, req: Request, emit: Emit) -> dict[str, Any]:
        params = req.params_as(FeedbackParams)
        # Scoring a maximum-size text takes most of a second: not on the event loop.
        if not await asyncio.to_thread(self.service.feedback, params.draft_id, params.text):
            raise ProtocolError("bad_request", f"no draft with id {params.draft_id!r}")
        return {"recorded": True}

    async def reload(self, req: Request, emit: Emit) -> dict[str, Any]:
        self.service.reload_config()  # a ConfigError becomes a bad_request with every problem
        return {"reloaded": True}

    async def stop(self, req: Request, emit: Emit) -> dict[str, Any]:
        """Shut the daemon down ("Quit Panza"); the stop begins once this reply is written."""
        if self.on_stop:
            asyncio.get_running_loop().call_soon(self.on_stop)
        return {"stopping": True}


def _summarize_sync(outcomes: list[SyncOutcome]) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "account": o.account,
                "ok": o.ok,
                "error": o.error,
                "auth_needed": o.auth_needed,
                "kept": o.result.kept,
                "discarded": sum(o.result.discarded.values()),
                "duplicates": o.result.duplicates,
                "removed": o.result.removed,
            }
            for o in outcomes
        ]
    }
