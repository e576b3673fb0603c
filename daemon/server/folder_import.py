"""Imports of mbox files dropped into the import folder: one at a time, failures kept.

The watcher says when a file is complete; this queues it (once, however many events
arrive), imports it as the ``import`` job (:meth:`FolderImports.run`, one of the daemon's
background tasks), and keeps what went wrong per file name for ``status`` until that file
imports cleanly. Nothing escapes as an unretrieved task error.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from panza.daemon.errors import PanzaError
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import FileChanged, Service

log = logging.getLogger(__name__)


class FolderImports:
    """A queue of complete mbox files and the one task that imports them in turn."""

    def __init__(self, service: Service, jobs: Jobs, retry_s: float = 2.0) -> None:
        self.service = service
        self.jobs = jobs
        self.retry_s = retry_s
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._queued: set[Path] = set()

    def add(self, path: Path) -> None:
        """Import ``path`` after what is queued; a path already waiting is not queued twice."""
        if path not in self._queued:
            self._queued.add(path)
            self._queue.put_nowait(path)

    async def run(self) -> None:
        """Import queued files in turn until cancelled."""
        while True:
            path = await self._queue.get()
            self._queued.discard(path)
            await self._import(path)

    async def _import(self, path: Path) -> None:
        failures = self.service.import_failures
        if not path.exists():
            return  # imported and moved already, or taken away: nothing to do
        try:
            result = await self.jobs.run(
                "import",
                lambda progress: self.service.import_mbox(path, progress),
                summarize=lambda r: {"file": path.name, "kept": r.kept, "new": r.new},
            )
        except FileChanged as exc:  # written to while we read it: again once it is quiet
            log.info("%s", exc)
            asyncio.get_running_loop().call_later(self.retry_s, self.add, path)
            return
        except (PanzaError, OSError) as exc:
            failures[path.name] = str(exc) or type(exc).__name__
            log.warning("import of %s failed: %s", path.name, failures[path.name])
            return
        except Exception as exc:  # a bug: still reported in status, never lost in the loop
            failures[path.name] = f"internal error ({type(exc).__name__}); see the daemon log"
            log.exception("import of %s failed", path.name)
            return
        failures.pop(path.name, None)
        log.info(
            "imported %s: %d kept, %d discarded, %d already stored",
            path.name,
            result.kept,
            sum(result.discarded.values()),
            result.duplicates,
        )
