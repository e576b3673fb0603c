"""The host's one attempt to start the installed user service, per platform."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from panza.native_host.autostart import ServiceStarter, start_commands


class Runs:
    """Stands in for subprocess.run: records commands, answers from a table."""

    def __init__(self, answers: dict[str, tuple[int, str]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        code, err = self.answers.get(command[1], (0, ""))
        return subprocess.CompletedProcess(command, code, "", err)


def test_linux_starts_the_user_unit_when_it_is_installed(tmp_path: Path) -> None:
    runs = Runs()
    starter = ServiceStarter("linux", tmp_path, {}, run=runs)
    assert starter.path == tmp_path / ".config/systemd/user/panza.service"
    assert not starter.installed()
    starter.path.parent.mkdir(parents=True)
    starter.path.write_text("[Service]\n")
    assert starter.installed()
    assert starter.start() == (True, "systemctl --user start panza.service")
    assert runs.calls == [["systemctl", "--user", "start", "panza.service"]]


def test_linux_failure_says_which_command_and_why(tmp_path: Path) -> None:
    runs = Runs({"--user": (1, "Failed to connect to bus: No medium found\nmore")})
    ok, why = ServiceStarter("linux", tmp_path, {}, run=runs).start()
    assert not ok
    assert why == "systemctl --user start panza.service: Failed to connect to bus: No medium found"


def test_macos_bootstraps_then_kickstarts_the_agent(tmp_path: Path) -> None:
    uid = os.getuid()
    agent = tmp_path / "Library/LaunchAgents/org.panza.daemon.plist"
    assert start_commands("darwin", uid, agent) == [
        ["launchctl", "bootstrap", f"gui/{uid}", str(agent)],
        ["launchctl", "kickstart", f"gui/{uid}/org.panza.daemon"],
    ]
    runs = Runs({"bootstrap": (37, "service already loaded")})  # loaded: fine
    starter = ServiceStarter("darwin", tmp_path, {}, run=runs)
    assert starter.path == agent
    assert starter.start() == (True, f"launchctl kickstart gui/{uid}/org.panza.daemon")
    runs = Runs({"kickstart": (113, "Could not find service")})
    ok, why = ServiceStarter("darwin", tmp_path, {}, run=runs).start()
    assert not ok and why.endswith("Could not find service")


def test_a_missing_service_manager_is_a_failed_attempt_not_a_crash(tmp_path: Path) -> None:
    def run(command: list[str], **_: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    ok, why = ServiceStarter("linux", tmp_path, {}, run=run).start()
    assert not ok and why.startswith("systemctl --user start panza.service: ")
