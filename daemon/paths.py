"""Where Panza keeps its state: one root under ``PANZA_HOME`` or platform dirs.

Stdlib-only on purpose: the native host imports this to find the socket and
must start in well under 100 ms.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from panza.daemon.errors import UnsafeSocketError

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    Note: TypeAlias = Callable[[str], None]

APP = "panza"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


@dataclass(frozen=True)
class Paths:
    """Resolved locations of every piece of Panza state."""

    config_file: Path
    data_dir: Path
    run_dir: Path

    @property
    def db_file(self) -> Path:
        return self.data_dir / "panza.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def import_dir(self) -> Path:
        return self.data_dir / "import"

    @property
    def socket_file(self) -> Path:
        return self.run_dir / "daemon.sock"


def _xdg(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value) if value and os.path.isabs(value) else default


def resolve(env: dict[str, str] | None = None) -> Paths:
    """Paths for this user: everything under ``PANZA_HOME`` when set, else platform dirs."""
    env = dict(os.environ) if env is None else env
    home_override = env.get("PANZA_HOME")
    if home_override:
        root = Path(home_override).expanduser().absolute()
        return Paths(root / "config.toml", root / "data", root / "run")
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        support = home / "Library" / "Application Support" / APP
        run = Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"
        return Paths(support / "config.toml", support, run)
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    data_home = (
        Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    )
    runtime = env.get("XDG_RUNTIME_DIR")
    run = Path(runtime) / APP if runtime else Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"
    return Paths(config_home / APP / "config.toml", data_home / APP, run)


def private_umask() -> None:
    """Make every file and folder this process creates private (0600 / 0700) from now on."""
    os.umask(PRIVATE_UMASK)


def ensure_private_dir(path: Path, note: Note | None = None) -> Path:
    """Create ``path`` and its missing parents 0700; tighten ``path`` if others may open it."""
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR)
        except FileExistsError:  # made by a process racing us; checked below like any other
            continue
        os.chmod(directory, PRIVATE_DIR)  # whatever the umask was
    if not path.is_dir():
        path.mkdir()  # raises the usual FileExistsError / NotADirectoryError
    tighten(path, PRIVATE_DIR, note)
    return path


def tighten(path: Path, allowed: int, note: Note | None = None) -> None:
    """Clear the mode bits of ``path`` beyond ``allowed``; ``note`` hears of each correction."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if not mode & ~allowed or mode & stat.S_ISVTX:  # sticky: a shared folder such as /tmp
        return
    os.chmod(path, mode & allowed)
    message = f"{path} was open to other users (mode {mode:o}); made it {mode & allowed:o}"
    if note is None:
        import logging  # only on this rare path: the native host must start fast

        logging.getLogger("panza.paths").warning("%s", message)
    else:
        note(message)


def ensure_run_dir(path: Path) -> Path:
    """The socket folder, made 0700 if absent; UnsafeSocketError unless it is safe to use."""
    if not os.path.lexists(path):
        if not os.path.lexists(path.parent):  # never tighten an existing one: it may be /tmp
            ensure_private_dir(path.parent)
        with contextlib.suppress(FileExistsError):  # someone was faster: judged below
            os.mkdir(path, PRIVATE_DIR)
    check_run_dir(path)
    return path


def check_run_dir(path: Path) -> None:
    """Raise UnsafeSocketError unless ``path`` is a real folder of this user closed to others.

    Where it lies in a shared folder (``/tmp`` when ``XDG_RUNTIME_DIR`` is unset),
    another user could have made it first to receive every request sent to Panza.
    """
    fix = f"remove it (rm -r {path}) or set XDG_RUNTIME_DIR to a folder only you can open"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UnsafeSocketError(f"the socket folder {path} does not exist") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeSocketError(
            f"the socket folder {path} is a symbolic link, not a folder of yours: {fix}"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeSocketError(f"the socket folder {path} is not a folder: {fix}")
    if info.st_uid != os.getuid():
        raise UnsafeSocketError(
            f"the socket folder {path} belongs to uid {info.st_uid}, not to you"
            f" (uid {os.getuid()}), so another user could read your requests: {fix}"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise UnsafeSocketError(
            f"the socket folder {path} is open to other users (mode {mode:o}):"
            f" run `chmod 700 {path}` or {fix}"
        )
