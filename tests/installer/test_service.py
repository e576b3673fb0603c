"""The service pieces: systemctl calls, systemd-analyze on the unit, the launcher, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from panza.installer import files
from panza.installer.host_roundtrip import round_trip
from panza.installer.install import install, uninstall
from panza.installer.layout import Layout
from panza.installer.services import Recorder
from tests.installer.conftest import options
from tests.native.conftest import init_home, start_daemon, stop_daemon

THIS = "darwin" if sys.platform == "darwin" else "linux"


@pytest.mark.skipif(THIS != "linux", reason="the systemd calls are Linux's")
def test_systemd_is_driven_only_as_needed(fake_home: Path) -> None:
    layout = Layout(fake_home, "linux", {"HOME": str(fake_home)}, login_home=fake_home)
    systemd = Recorder(available={"systemctl"})
    said: list[str] = []
    install(layout, options(), systemd, said.append)
    user = ["systemctl", "--user"]
    assert systemd.calls == [
        [*user, "show-environment"],
        [*user, "daemon-reload"],
        [*user, "enable", "--now", "panza.service"],
    ]
    assert "service: panza.service enabled and running (starts at login)" in said
    systemd.calls.clear()
    install(layout, options(), systemd, said.append)  # unchanged unit: no reload
    assert systemd.calls == [
        [*user, "show-environment"],
        [*user, "enable", "--now", "panza.service"],
    ]
    systemd.calls.clear()
    install(layout, options(python="/srv/new/bin/python"), systemd, said.append)
    assert systemd.calls[1:] == [  # a running daemon picks up the new unit
        [*user, "daemon-reload"],
        [*user, "enable", "--now", "panza.service"],
        [*user, "try-restart", "panza.service"],
    ]
    systemd.calls.clear()
    uninstall(layout, systemd, said.append)
    assert [*user, "disable", "--now", "panza.service"] in systemd.calls
    assert systemd.calls[-1] == [*user, "daemon-reload"]
    assert not layout.service_file.exists()


def test_without_a_service_manager_install_says_so_and_goes_on(fake_home: Path) -> None:
    layout = Layout(fake_home, THIS, {"HOME": str(fake_home)}, login_home=fake_home)
    said: list[str] = []
    install(layout, options(), Recorder(available=set()), said.append)
    (line,) = [s for s in said if s.startswith("service")]
    tool = "launchctl" if THIS == "darwin" else "systemctl"
    assert f"service not started: {tool} is not" in line and "`panza daemon`" in line
    assert layout.service_file.exists()


def test_a_temp_home_never_touches_the_real_service_manager(layout: Layout) -> None:
    manager = Recorder(available={"systemctl", "launchctl"})
    said: list[str] = []
    install(layout, options(), manager, said.append)
    uninstall(layout, manager, said.append)
    assert manager.calls == []
    assert any("is not your login home" in s for s in said)


@pytest.mark.parametrize("panza_home", ["", "/srv/panza data/100% mine"])
@pytest.mark.process
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path, panza_home: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (no systemd here)")
    env = {"PANZA_HOME": panza_home} if panza_home else {}
    unit_dir = tmp_path / "home" / ".config" / "systemd" / "user"
    unit_dir.mkdir(parents=True)
    unit = unit_dir / "panza.service"
    unit.write_bytes(files.systemd_unit(sys.executable, env))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        [analyze, "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
    )
    said = (done.stdout + done.stderr).strip()
    if done.returncode != 0 and "Failed to initialize manager" in said:
        pytest.skip(f"systemd-analyze cannot run a user manager here: {said}")
    assert done.returncode == 0, said
    assert said == ""  # not even a warning
    if panza_home:
        assert 'Environment="PANZA_HOME=/srv/panza data/100%% mine"' in unit.read_text()


@pytest.mark.integration
@pytest.mark.process
def test_the_launcher_starts_the_host_and_a_framed_ping_goes_through(
    tmp_path: Path, platform: str
) -> None:
    home = tmp_path / "home"
    panza_home = init_home(tmp_path / "panza")
    layout = Layout(home, platform, {"HOME": str(home), "PANZA_HOME": str(panza_home)})
    install(layout, options(python=sys.executable, service=False), Recorder(), lambda _: None)
    bare_env = {"PATH": os.environ["PATH"], "HOME": str(home)}  # as a browser's environment
    down = round_trip(layout.launcher, env=bare_env)
    assert down["error"]["code"] == "unavailable"
    proc = start_daemon(panza_home)
    try:
        reply = round_trip(layout.launcher, env=bare_env)
        assert reply == {"id": "doctor", "ok": True, "result": reply["result"]}
        assert reply["result"]["pid"] == proc.pid  # the launcher found the right PANZA_HOME
    finally:
        assert stop_daemon(proc) == 0


@pytest.mark.integration
@pytest.mark.process
def test_cli_install_uninstall_and_a_bad_browser(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PANZA_HOME": str(tmp_path / "panza")}
    env.pop("XDG_CONFIG_HOME", None)

    def panza(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "panza.daemon.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = panza("install", "--browsers", "chrome,thunderbird", "--no-service")
    assert done.returncode == 0, done.stderr
    chrome = home / ".config/google-chrome/NativeMessagingHosts/org.panza.host.json"
    assert f"created   {chrome}  (chrome)" in done.stdout
    assert "service: not installed (--no-service)" in done.stdout
    assert (home / ".mozilla/native-messaging-hosts/org.panza.host.json").exists()
    bad = panza("install", "--browsers", "chrome,opera")
    assert bad.returncode == 2 and "unknown browser(s): opera" in bad.stderr
    gone = panza("uninstall")
    assert gone.returncode == 0 and f"removed   {chrome}" in gone.stdout
    assert [p for p in home.rglob("*")] == []
