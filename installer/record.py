"""The install record: every file and directory ``panza install`` created, so that
``panza uninstall`` removes exactly those and nothing else.

Writes are idempotent: a file whose bytes and mode already match is not touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from panza.daemon.paths import PRIVATE_DIR
from panza.training.atomic import atomic_write_bytes

Outcome = Literal["created", "updated", "unchanged"]
VERSION = 1


@dataclass
class Record:
    """What install wrote: files (path -> sha256), dirs it created, choices it made."""

    files: dict[str, str] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    browsers: list[str] = field(default_factory=list)
    service: bool = False
    tray: bool = False
    allow_ids: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Record | None:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable: uninstall falls back to the known paths
        return cls(
            files=dict(data.get("files", {})),
            dirs=list(data.get("dirs", [])),
            browsers=list(data.get("browsers", [])),
            service=bool(data.get("service", False)),
            tray=bool(data.get("tray", False)),
            allow_ids=list(data.get("allow_ids", [])),
        )

    def dumps(self) -> bytes:
        data = {
            "version": VERSION,
            "browsers": sorted(set(self.browsers)),
            "service": self.service,
            "tray": self.tray,
            "allow_ids": self.allow_ids,
            "files": dict(sorted(self.files.items())),
            "dirs": self.dirs,
        }
        return (json.dumps(data, indent=2) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_dirs(path: Path, record: Record) -> None:
    """Create ``path`` and its missing parents, remembering those created (outermost first)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        directory.mkdir(PRIVATE_DIR)  # the browser and the service run as this user too
        directory.chmod(PRIVATE_DIR)  # whatever the umask
        if str(directory) not in record.dirs:
            record.dirs.append(str(directory))


def write_file(path: Path, data: bytes, record: Record, mode: int = 0o644) -> Outcome:
    """Put ``data`` at ``path`` (atomically) unless it is already there."""
    record.files[str(path)] = sha256(data)
    try:
        same = path.read_bytes() == data and (path.stat().st_mode & 0o777) == mode
        outcome: Outcome = "updated"
    except FileNotFoundError:
        same, outcome = False, "created"
    if same:
        return "unchanged"
    make_dirs(path.parent, record)
    atomic_write_bytes(path, data, mode)
    return outcome


def remove_recorded(record: Record) -> list[Path]:
    """Delete the recorded files, then the recorded dirs that are now empty; what went."""
    removed: list[Path] = []
    for name in record.files:
        path = Path(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    for name in sorted(record.dirs, key=lambda d: d.count(os.sep), reverse=True):
        path = Path(name)
        with contextlib.suppress(OSError):
            path.rmdir()  # only when empty: never remove what others put there
            removed.append(path)
    return removed
