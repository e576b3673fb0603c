"""Enabling and disabling the installed user services through systemd or launchd.

Every command goes through :class:`Commands`, the one seam tests replace. The
service manager is only driven for the user's real HOME on the real platform:
``systemctl --user`` acts on the login session whatever HOME says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from panza.installer.layout import Layout
from panza.installer.record import Outcome
from panza.native_host.autostart import AGENT_LABEL, TRAY_LABEL, UNIT_NAME

Say = Callable[[str], None]


class Commands:
    """Runs service-manager commands; (exit status, first line of output)."""

    def which(self, name: str) -> bool:
        return shutil.which(name) is not None

    def run(self, argv: Sequence[str]) -> tuple[int, str]:
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return 127, str(exc)
        output = (done.stderr or done.stdout or "").strip().splitlines()
        return done.returncode, output[0] if output else ""


@dataclass
class Recorder(Commands):
    """A :class:`Commands` that records calls and answers from a table (for tests)."""

    available: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def which(self, name: str) -> bool:
        return name in self.available

    def run(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        return self.answers.get(" ".join(argv), 0), ""


def _systemd_ready(commands: Commands) -> str | None:
    """Why systemd's user manager cannot be used, or None when it can."""
    if not commands.which("systemctl"):
        return "systemctl is not installed"
    code, why = commands.run(["systemctl", "--user", "show-environment"])
    if code != 0:
        return f"no systemd user session ({why or f'exit status {code}'})"
    return None


def manager_problem(layout: Layout, commands: Commands) -> str | None:
    if not layout.is_login_home():
        return f"HOME ({layout.home}) is not your login home on this system"
    if layout.platform == "darwin":
        return None if commands.which("launchctl") else "launchctl is not available"
    return _systemd_ready(commands)


def enable(layout: Layout, commands: Commands, outcome: Outcome, say: Say, tray: bool) -> bool:
    """Enable and start the daemon service; reload and restart it when its file was updated."""
    changed, updated = outcome != "unchanged", outcome == "updated"
    problem = manager_problem(layout, commands)
    if problem is not None:
        how = (
            f"launchctl bootstrap gui/{os.getuid()} {layout.service_file}"
            if layout.platform == "darwin"
            else f"systemctl --user enable --now {UNIT_NAME}"
        )
        say(f"service not started: {problem}. Start Panza with `panza daemon`, or later: {how}")
        return False
    if layout.platform == "darwin":
        domain = f"gui/{os.getuid()}"
        pairs = [(AGENT_LABEL, layout.service_file)]
        if tray:
            pairs.append((TRAY_LABEL, layout.tray_file))
        for label, path in pairs:
            loaded = commands.run(["launchctl", "print", f"{domain}/{label}"])[0] == 0
            if loaded and updated:
                commands.run(["launchctl", "bootout", f"{domain}/{label}"])
            if not loaded or updated:
                code, why = commands.run(["launchctl", "bootstrap", domain, str(path)])
                if code != 0:
                    say(f"launchctl could not load {label}: {why}")
                    return False
        say(f"service: launchd agent {AGENT_LABEL} loaded (starts at login)")
        return True
    steps = [["systemctl", "--user", "daemon-reload"]] if changed else []
    steps.append(["systemctl", "--user", "enable", "--now", UNIT_NAME])
    if updated:  # running with the old definition
        steps.append(["systemctl", "--user", "try-restart", UNIT_NAME])
    for step in steps:
        code, why = commands.run(step)
        if code != 0:
            say(f"`{' '.join(step)}` failed: {why}")
            return False
    say(f"service: {UNIT_NAME} enabled and running (starts at login)")
    return True


def disable(layout: Layout, commands: Commands, say: Say) -> None:
    """Stop and disable the services before their files go."""
    problem = manager_problem(layout, commands)
    if problem is not None:
        say(f"service manager not touched: {problem}")
        return
    if layout.platform == "darwin":
        for label in (AGENT_LABEL, TRAY_LABEL):
            commands.run(["launchctl", "bootout", f"gui/{os.getuid()}/{label}"])
        return
    commands.run(["systemctl", "--user", "disable", "--now", UNIT_NAME])


def reload_after_removal(layout: Layout, commands: Commands) -> None:
    if layout.platform == "linux" and manager_problem(layout, commands) is None:
        commands.run(["systemctl", "--user", "daemon-reload"])
