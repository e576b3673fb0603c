"""Where Panza keeps its state: one root under ``PANZA_HOME`` or platform dirs.

Stdlib-only on purpose: the native host imports this to find the socket and
must start in well under 100 ms.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

APP = "panza"


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


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it readable by this user only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
