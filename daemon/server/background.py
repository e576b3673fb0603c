"""The daemon's fire-and-forget work (playback after a sync, the import queue) in one place.

One :class:`asyncio.TaskGroup` holds every task, so none is lost to the loop's weak
references; a task's failure is logged and never cancels its siblings or the daemon;
:meth:`Background.cancel` stops them all when the daemon stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)
Work = Coroutine[Any, Any, None]


class Background:
    """Spawns tasks into one group; leaving ``async with`` waits for those still running."""

    def __init__(self) -> None:
        self._group = asyncio.TaskGroup()
        self._tasks: set[asyncio.Task[None]] = set()  # only to cancel them: the group holds them

    async def __aenter__(self) -> Background:
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is not None:
            self.cancel()
        # The group only waits here: an error on its way out stays itself, not a group of one.
        await self._group.__aexit__(None, None, None)

    def spawn(self, work: Work, name: str) -> None:
        """Run ``work`` beside the daemon; what it raises is logged under ``name``."""
        task = self._group.create_task(_logged(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Stop every task at its next await (a job's thread still runs to its end)."""
        for task in self._tasks:
            task.cancel()


async def _logged(work: Work, name: str) -> None:
    # An exception escaping into the group would cancel the daemon's main task with it.
    try:
        await work
    except Exception:
        log.exception("%s failed", name)
