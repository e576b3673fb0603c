"""`panza tray` as a Linux desktop sees it: a StatusNotifierItem with a dbusmenu menu.

A private session bus and a Watcher/Host written in the test (tests/tray/dbus_host.py)
stand in for the panel; `panza tray` and `panza daemon` are the real processes, on a
real X server (Xvfb, for GTK). Runs wherever dbus-daemon, Xvfb, xdotool, xclip and
PyGObject with the AppIndicator typelib are installed (`make sysdeps` and `make venv`
install them in CI); skipped with the reason elsewhere, and failed instead when CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from panza.daemon.protocol import Request
from panza.daemon.server.socket_server import Emit
from panza.daemon.tray import backend
from panza.daemon.tray.icons import COLOURS
from panza.daemon.tray.model import State
from panza.installer import doctor_install
from tests.tray import replies
from tests.tray.conftest import Running, missing, wait_for, where
from tests.tray.scripted import ScriptedDaemon

pytest.importorskip("jeepney", reason="jeepney (the test's D-Bus host) is not installed")
from tests.tray.dbus_host import Entry, Host, Watcher, start_bus
from tests.tray.xserver import start_xvfb

pytestmark = pytest.mark.integration


def _needs_appindicator() -> None:
    found = backend.support({})
    if found.backend != "appindicator":
        missing(f"no appindicator backend: {found.missing} ({found.fix})")


@dataclass
class Desktop:
    display: str
    bus: str
    watcher: Watcher
    host: Host

    def env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYSTRAY_BACKEND"}
        env.update(
            DISPLAY=self.display,
            DBUS_SESSION_BUS_ADDRESS=self.bus,
            PANZA_HOME=str(home),
            NO_AT_BRIDGE="1",  # no accessibility bus here
            GSETTINGS_BACKEND="memory",
            GDK_BACKEND="x11",
        )
        return env


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    _needs_appindicator()
    xvfb, display = start_xvfb(tmp_path / "xvfb.log")
    bus, address = start_bus(tmp_path)
    watcher, host = Watcher(address), Host(address)
    try:
        yield Desktop(display, address, watcher, host)
    finally:
        host.close()
        watcher.close()
        for proc in (bus, xvfb):
            proc.terminate()
            proc.wait(10)


class Tray:
    """`panza tray` in its own process, as the login autostart runs it."""

    def __init__(self, desktop: Desktop, home: Path) -> None:
        self.desktop = desktop
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "panza.daemon.cli", "tray", "--poll", "0.3"],
            env=desktop.env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not wait_for(lambda: desktop.watcher.items or self.proc.poll() is not None, 30):
            raise AssertionError("panza tray never registered a StatusNotifierItem")
        assert self.proc.poll() is None, self.finish()[1]
        self.item = desktop.watcher.items[0]

    def menu(self) -> list[Entry]:
        return [e for e in self.desktop.host.menu(self.item) if not e.separator]

    def labels(self) -> list[str]:
        return [e.label for e in self.menu()]

    def enabled(self) -> dict[str, bool]:
        return {e.label: e.enabled for e in self.menu()}

    def click(self, label: str) -> None:
        assert wait_for(lambda: self.desktop.host.click(self.item, label), 10), label

    def title(self) -> str:
        return str(self.desktop.host.properties(self.item)["Title"])

    def looks(self, state: State) -> bool:
        """The icon the item points at has the state's colour (its disc, at the centre)."""
        path = self.desktop.host.properties(self.item)["IconName"]
        try:
            with Image.open(path) as img:
                pixel = img.convert("RGBA").getpixel((img.width // 2, img.height // 6))
        except OSError:  # replaced as we read it
            return False
        return pixel == COLOURS[state]

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err


STATUS_LINES = [
    "Panza: idle",
    "Emails learned from: 0",
    "Last sync: no accounts set up",
    "Adapter: none trained yet",
]
NO_DRAFT_YET = "Draft with Panza… (after the first training)"  # no adapter on a new install
ACTIONS = [
    "Sync now",
    "Retrain now",
    "Pause",
    "Open data folder",
    "Open log",
    "Quit Panza",
    "Close tray",
]
PAUSED = "Panza: paused (no scheduled sync or training)"
NO_TRAINING_DATA = "Retrain failed: no training emails with an instruction yet"


def test_a_panel_reads_the_menu_and_drives_the_daemon(desktop: Desktop, daemon: Running) -> None:
    tray = Tray(desktop, daemon.home)
    try:
        props = desktop.host.properties(tray.item)
        assert (props["Id"], props["Status"], props["Category"]) == (
            "panza",
            "Active",
            "ApplicationStatus",
        )
        assert wait_for(lambda: tray.labels() == [*STATUS_LINES, NO_DRAFT_YET, *ACTIONS])
        assert tray.enabled() == {
            **dict.fromkeys([*STATUS_LINES, NO_DRAFT_YET], False),
            **dict.fromkeys(ACTIONS, True),
        }
        assert tray.title() == "Panza: idle" and wait_for(lambda: tray.looks(State.IDLE))

        tray.click("Pause")
        assert wait_for(lambda: daemon.call("status")["paused"] is True)
        assert wait_for(lambda: "Resume" in tray.labels() and tray.title() == PAUSED)
        assert "Pause" not in tray.labels() and tray.labels()[0] == PAUSED
        assert wait_for(lambda: tray.looks(State.PAUSED))

        tray.click("Retrain now")  # the daemon runs the job: nothing to train on yet
        assert wait_for(lambda: daemon.call("status")["jobs"].get("train", {}).get("finished_at"))
        train = daemon.call("status")["jobs"]["train"]
        assert train["last_error"].startswith("no training emails with an instruction yet")
        assert wait_for(lambda: any(x.startswith(NO_TRAINING_DATA) for x in tray.labels()))

        tray.click("Resume")
        assert wait_for(lambda: daemon.call("status")["paused"] is False)
        assert wait_for(lambda: tray.title() == "Panza: idle" and tray.looks(State.IDLE))
        assert wait_for(lambda: tray.enabled().get("Pause") is True)
    finally:
        code, err = tray.finish()
    assert code == 0 and "Traceback" not in err, err
    assert "no menu" not in err  # the appindicator backend: nothing to warn about


def test_quit_on_a_desktop_without_notification_server(desktop: Desktop, daemon: Running) -> None:
    # pystray closes its notification when the icon stops; this bus has no server for it
    tray = Tray(desktop, daemon.home)
    assert wait_for(lambda: "Quit Panza" in tray.labels())
    tray.click("Quit Panza")
    assert daemon.proc.wait(15) == 0  # the daemon stopped cleanly
    try:
        tray.proc.wait(20)  # and the tray closes itself
    finally:
        code, err = tray.finish()
    assert "Traceback" not in err and "GError" not in err, err
    assert code == 0, err


DRAFT = "Dear Priya,\n\nI can't travel in June, but I'd be glad to give the talk online.\n\nAda"


@pytest.fixture
def drafting_daemon(home: Path) -> Iterator[list[str]]:
    """The real protocol server answering ``status`` and ``draft`` (a real draft needs a
    trained model: tests/server/test_draft.py covers that); yields the instructions it received."""
    asked: list[str] = []

    async def status(req: Request, emit: Emit) -> dict[str, Any]:
        return dict(replies.IDLE)  # with an adapter: drafting is possible

    async def draft(req: Request, emit: Emit) -> dict[str, Any]:
        asked.append(req.params.instruction)
        await emit({"id": req.id, "event": "token", "text": DRAFT})
        return {"draft_id": "d1", "text": DRAFT, "adapter_version": 1, "retrieved": []}

    server = ScriptedDaemon(where(home).socket_file, {"status": status, "draft": draft})
    server.start()
    try:
        yield asked
    finally:
        server.stop()
        server.close()


def xdotool(display: str, *args: str) -> str:
    if shutil.which("xdotool") is None:
        missing("xdotool is not installed (Debian: apt-get install xdotool)")
    done = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def clipboard(display: str) -> str:
    if shutil.which("xclip") is None:
        missing("xclip is not installed (Debian: apt-get install xclip)")
    done = subprocess.run(
        ["xclip", "-o", "-selection", "clipboard"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
    )
    return done.stdout if done.returncode == 0 else ""


def test_draft_with_panza_asks_and_puts_the_draft_on_the_clipboard(
    desktop: Desktop, home: Path, drafting_daemon: list[str]
) -> None:
    tray = Tray(desktop, home)
    try:
        assert wait_for(lambda: tray.enabled().get("Draft with Panza…") is True)
        tray.click("Draft with Panza…")
        dialog = xdotool(desktop.display, "search", "--sync", "--name", "^Draft with Panza$")
        window = dialog.split()[0]
        assert wait_for(lambda: tray.enabled().get("Drafting…") is False)  # one at a time
        xdotool(desktop.display, "windowfocus", "--sync", window)
        xdotool(desktop.display, "type", "--delay", "10", "Decline Paris, offer a video call")
        xdotool(desktop.display, "key", "Return")
        assert wait_for(lambda: drafting_daemon == ["Decline Paris, offer a video call"])
        assert wait_for(lambda: clipboard(desktop.display) == DRAFT)
        copied = "Draft copied to the clipboard: paste it into your email"
        assert wait_for(lambda: copied in tray.labels())
        assert tray.enabled().get("Draft with Panza…") is True

        tray.click("Draft with Panza…")  # and this time the user thinks better of it
        window = xdotool(desktop.display, "search", "--sync", "--name", "^Draft with Panza$")
        xdotool(desktop.display, "windowfocus", "--sync", window.split()[0])
        xdotool(desktop.display, "key", "Escape")
        assert wait_for(lambda: tray.enabled().get("Draft with Panza…") is True)
        assert drafting_daemon == ["Decline Paris, offer a video call"]  # nothing sent
    finally:
        code, err = tray.finish()
    assert code == 0 and "Traceback" not in err, err
    assert DRAFT.splitlines()[0] not in err and "Paris" not in err  # no mail text logged


def test_doctor_sees_whether_a_panel_shows_the_icon(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.bus)
    check = doctor_install.tray(None)
    assert (check.status, check.detail) == ("ok", "menu through StatusNotifierItem (AppIndicator)")
    desktop.watcher.close()  # the panel goes away (GNOME without the AppIndicator extension)
    assert wait_for(lambda: doctor_install.tray(None).status == "warn")
    check = doctor_install.tray(None)
    assert check.detail == (
        "menu ready (AppIndicator), but no StatusNotifier host runs on this desktop"
    )
    assert check.fix.startswith("GNOME: enable the AppIndicator extension")
