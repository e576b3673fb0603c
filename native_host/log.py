"""The host's log file: a few lines per browser session, rotated at 1 MiB.

Not the ``logging`` package: importing it and its handlers costs the host about
15 ms of its start-up budget. Requests are logged by id and method only, never
their contents.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from typing import TextIO

MAX_BYTES = 1 << 20


class HostLog:
    """Appends ``time pid LEVEL message`` lines to one file; silent until opened."""

    def __init__(self) -> None:
        self._file: TextIO | None = None
        self._lock = threading.Lock()
        self.debug_enabled = False

    def open(self, path: Path, debug: bool = False) -> None:
        self.debug_enabled = debug
        try:
            if path.exists() and path.stat().st_size > MAX_BYTES:
                os.replace(path, path.with_name(path.name + ".1"))
            self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - process-long
        except OSError:
            self._file = None  # no log rather than a log on stdout

    def _write(self, level: str, message: str, args: tuple[object, ...]) -> None:
        if self._file is None:
            return
        text = message % args if args else message
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self._lock:
            try:
                self._file.write(f"{stamp} {os.getpid()} {level} {text}\n")
                self._file.flush()
            except (OSError, ValueError):
                pass

    def debug(self, message: str, *args: object) -> None:
        if self.debug_enabled:
            self._write("DEBUG", message, args)

    def info(self, message: str, *args: object) -> None:
        self._write("INFO", message, args)

    def warning(self, message: str, *args: object) -> None:
        self._write("WARNING", message, args)

    def error(self, message: str, *args: object) -> None:
        self._write("ERROR", message, args)

    def exception(self, message: str, *args: object) -> None:
        import traceback

        detail = "".join(traceback.format_exception(*sys.exc_info())).rstrip()
        self._write("ERROR", message + "\n" + detail, args)


log = HostLog()
