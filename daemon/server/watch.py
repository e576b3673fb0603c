"""Watch the config file and the import folder (watchdog), debounced onto the event loop.

Editors save atomically (write a temp file, rename it over the config): events are
coalesced per path. An mbox in the import folder is imported only once it is complete:

* on Linux (inotify) that is when its writer closes it (a close-write event) or when it
  is renamed into the folder under a ``.mbox`` name (a moved-to event); a writer that
  pauses mid-file keeps it open, so nothing happens until it is done. A file moved in
  from a folder we do not watch arrives as a bare "created" event: it is imported once
  unchanged for :data:`QUIET_S`, unless a write to it shows that a writer made it (then
  its close-write decides);
* elsewhere, and for files found at start-up (their writer may predate us), once its
  modification time stopped changing for :data:`QUIET_S`.

Write-then-rename is the safe convention everywhere: write ``Sent.mbox.part`` (or a
dot-file) and rename it to ``Sent.mbox`` when done; names not ending in ``.mbox`` and
dot-files are never imported.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

QUIET_S = 2.0  # without close events: unchanged this long counts as complete
# inotify reports close-write and moved-to; other backends only create/modify/move.
CLOSE_EVENTS = sys.platform.startswith("linux")
_CONFIG_EVENTS = frozenset({"created", "modified", "moved", "closed"})
_MBOX_EVENTS = frozenset({"moved", "closed"} if CLOSE_EVENTS else {"created", "modified", "moved"})
_SETTLE_EVENTS = frozenset({"created"} if CLOSE_EVENTS else {"created", "modified"})


def importable(path: Path, import_dir: Path) -> bool:
    """A finished mbox in the import folder: ``*.mbox``, not a dot-file."""
    return path.parent == import_dir and path.suffix == ".mbox" and not path.name.startswith(".")


class Watcher(FileSystemEventHandler):
    """Calls ``on_config()`` after config edits and ``on_mbox(path)`` for complete .mbox files."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        config_file: Path,
        import_dir: Path,
        on_config: Callable[[], None],
        on_mbox: Callable[[Path], None],
        debounce: float = 0.5,
        quiet: float = QUIET_S,
    ) -> None:
        self.loop = loop
        self.config_file = config_file
        self.import_dir = import_dir
        self.on_config, self.on_mbox = on_config, on_mbox
        self.debounce, self.quiet = debounce, quiet
        self._timers: dict[Path, asyncio.TimerHandle] = {}
        self._settle: set[Path] = set()  # files to import only once they stay unchanged
        self._observer = Observer()

    def start(self) -> None:
        self.import_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self._observer.schedule(self, str(self.config_file.parent), recursive=False)
        self._observer.schedule(self, str(self.import_dir), recursive=False)
        self._observer.start()
        for existing in sorted(self.import_dir.glob("*.mbox")):  # dropped while we were down
            if importable(existing, self.import_dir):
                self.loop.call_soon_threadsafe(self._arm, existing, True)

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(5)
        for timer in self._timers.values():
            timer.cancel()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        raw = getattr(event, "dest_path", "") or event.src_path
        path = Path(raw if isinstance(raw, str) else raw.decode())
        kind = event.event_type
        if path == self.config_file and kind in _CONFIG_EVENTS:
            self.loop.call_soon_threadsafe(self._arm, path, False)
        elif not importable(path, self.import_dir):
            return
        elif kind in _SETTLE_EVENTS:
            self.loop.call_soon_threadsafe(self._arm, path, True)
        elif kind in _MBOX_EVENTS:
            self.loop.call_soon_threadsafe(self._arm, path, False)
        elif kind == "modified":  # Linux: a writer has it open; its close-write will come
            self.loop.call_soon_threadsafe(self._writing, path)

    def _arm(self, path: Path, settle: bool) -> None:
        timer = self._timers.pop(path, None)
        if timer is not None:
            timer.cancel()
        if settle:
            self._settle.add(path)
        else:  # closed or renamed in: complete now, whatever an earlier event suggested
            self._settle.discard(path)
        self._timers[path] = self.loop.call_later(self.debounce, self._fire, path)

    def _writing(self, path: Path) -> None:
        if path in self._settle:
            self._settle.discard(path)
            timer = self._timers.pop(path, None)
            if timer is not None:
                timer.cancel()

    def _fire(self, path: Path) -> None:
        self._timers.pop(path, None)
        if path == self.config_file:
            self.on_config()
            return
        if path in self._settle:
            left = self._quiet_left(path)
            if left is None:
                self._settle.discard(path)
                return  # gone (renamed away, or imported already)
            if left > 0:  # still being written, it seems: look again later
                self._timers[path] = self.loop.call_later(left, self._fire, path)
                return
            self._settle.discard(path)
        self.on_mbox(path)

    def _quiet_left(self, path: Path) -> float | None:
        """Seconds until ``path`` has been unchanged for :attr:`quiet`; None if it is gone."""
        try:
            changed = path.stat().st_mtime
        except FileNotFoundError:
            return None
        return max(0.0, changed + self.quiet - time.time())
