"""Watch the config file and the import folder (watchdog), debounced onto the event loop.

Editors save atomically (write a temp file, rename it over the config), and
mail clients copy large mboxes slowly: events are coalesced per path, and an
mbox is imported only once its size stopped changing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)


class Watcher(FileSystemEventHandler):
    """Calls ``on_config()`` after config edits and ``on_mbox(path)`` for dropped .mbox files."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        config_file: Path,
        import_dir: Path,
        on_config: Callable[[], None],
        on_mbox: Callable[[Path], None],
        debounce: float = 0.5,
    ) -> None:
        self.loop = loop
        self.config_file = config_file
        self.import_dir = import_dir
        self.on_config, self.on_mbox = on_config, on_mbox
        self.debounce = debounce
        self._timers: dict[Path, asyncio.TimerHandle] = {}
        self._sizes: dict[Path, int] = {}
        self._observer = Observer()

    def start(self) -> None:
        self.import_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self._observer.schedule(self, str(self.config_file.parent), recursive=False)
        self._observer.schedule(self, str(self.import_dir), recursive=False)
        self._observer.start()
        for existing in sorted(self.import_dir.glob("*.mbox")):  # dropped while we were down
            self.loop.call_soon_threadsafe(self._arm, existing)

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(5)
        for timer in self._timers.values():
            timer.cancel()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "moved", "closed"):
            return
        raw = getattr(event, "dest_path", "") or event.src_path
        path = Path(raw if isinstance(raw, str) else raw.decode())
        if path == self.config_file or (
            path.parent == self.import_dir and path.suffix == ".mbox" and not event.is_directory
        ):
            self.loop.call_soon_threadsafe(self._arm, path)

    def _arm(self, path: Path) -> None:
        timer = self._timers.pop(path, None)
        if timer is not None:
            timer.cancel()
        self._timers[path] = self.loop.call_later(self.debounce, self._fire, path)

    def _fire(self, path: Path) -> None:
        self._timers.pop(path, None)
        if path == self.config_file:
            self.on_config()
            return
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        if self._sizes.get(path) != size:  # still being written: look again later
            self._sizes[path] = size
            self._arm(path)
            return
        self._sizes.pop(path, None)
        self.on_mbox(path)
