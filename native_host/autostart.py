"""Where the daemon's user service lives, and one attempt to start it.

The installer writes the service files at these paths; the host only starts
an installed service (never installs one). Stdlib-only: the host imports this.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeAlias

    Runner: TypeAlias = Callable[..., Any]  # subprocess.run's shape

UNIT_NAME = "panza.service"  # systemd user unit
AGENT_LABEL = "org.panza.daemon"  # launchd agent
TRAY_LABEL = "org.panza.tray"  # launchd agent for the tray on macOS
START_TIMEOUT_S = 15.0


def config_home(home: Path, env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME`` when it is an absolute path, else ``~/.config``."""
    value = env.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and os.path.isabs(value) else home / ".config"


def unit_file(home: Path, env: Mapping[str, str]) -> Path:
    return config_home(home, env) / "systemd" / "user" / UNIT_NAME


def agent_file(home: Path, label: str = AGENT_LABEL) -> Path:
    return home / "Library" / "LaunchAgents" / f"{label}.plist"


def service_file(platform: str, home: Path, env: Mapping[str, str]) -> Path:
    """The daemon's service definition for ``platform`` ("linux" or "darwin")."""
    return agent_file(home) if platform == "darwin" else unit_file(home, env)


def start_commands(platform: str, uid: int, service_path: Path) -> list[list[str]]:
    """The commands that start the installed service, in order."""
    if platform == "darwin":
        # bootstrap loads the agent if it is not loaded yet (and fails harmlessly if it
        # is); kickstart then starts it.
        return [
            ["launchctl", "bootstrap", f"gui/{uid}", str(service_path)],
            ["launchctl", "kickstart", f"gui/{uid}/{AGENT_LABEL}"],
        ]
    return [["systemctl", "--user", "start", UNIT_NAME]]


class ServiceStarter:
    """Starts the daemon's user service when one is installed."""

    def __init__(
        self,
        platform: str = sys.platform,
        home: Path | None = None,
        env: Mapping[str, str] | None = None,
        run: Runner | None = None,
    ) -> None:
        self.platform = "darwin" if platform == "darwin" else "linux"
        env = os.environ if env is None else env
        self.path = service_file(self.platform, home or Path(env.get("HOME") or "~"), env)
        self.path = self.path.expanduser()
        self._run = run

    def installed(self) -> bool:
        return self.path.is_file()

    def start(self) -> tuple[bool, str]:
        """One attempt; (started, what happened) with the failing command's message."""
        import subprocess  # only on this rare path: keeps the host's start-up lean

        run = self._run or subprocess.run
        commands = start_commands(self.platform, os.getuid(), self.path)
        for i, command in enumerate(commands):
            last = i == len(commands) - 1
            try:
                done = run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
            except (OSError, subprocess.SubprocessError) as exc:
                return False, f"{' '.join(command)}: {exc}"
            if last and done.returncode != 0:
                why = _first_line(done.stderr) or f"exit status {done.returncode}"
                return False, f"{' '.join(command)}: {why}"
        return True, " ".join(commands[-1])


def _first_line(text: str | bytes | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""
