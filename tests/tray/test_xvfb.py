"""A real pystray icon (xorg backend) on a real X server: docks, shows its state and menu, exits.

Runs wherever Xvfb is installed (`make sysdeps` installs it in CI); skipped with the
reason elsewhere, and failed instead when CI=true.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from panza.daemon.tray.app import TrayApp
from panza.daemon.tray.icons import COLOURS
from panza.daemon.tray.model import State
from tests.tray.conftest import Running, start, stop, wait_for

pytest.importorskip("Xlib", reason="python-xlib (pystray's X11 dependency) is not installed")
from tests.tray.xserver import SystemTray, Viewer, start_xvfb

pytestmark = pytest.mark.integration

STATUS_LINES = [
    "Panza: idle",
    "Emails learned from: 0",
    "Last sync: no accounts set up",
    "Adapter: none trained yet",
]
ACTIONS = ["Sync now", "Retrain now", "Pause", "Open data folder", "Open log"]
NO_DIALOG = "Draft with Panza… (needs the GTK tray)"  # the xorg backend has no dialogs


@pytest.fixture(scope="module")
def xvfb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, name = start_xvfb(tmp_path_factory.mktemp("xvfb") / "xvfb.log")
    try:
        yield name
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def tray(xvfb: str) -> Iterator[SystemTray]:
    manager = SystemTray(xvfb)
    try:
        yield manager
    finally:
        manager.close()


@pytest.fixture
def viewer(xvfb: str) -> Iterator[Viewer]:
    look = Viewer(xvfb)
    try:
        yield look
    finally:
        look.close()


@pytest.fixture
def xorg_pystray(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pystray picks its backend when imported: import it afresh for this display."""

    def forget() -> None:
        for name in [m for m in sys.modules if m == "pystray" or m.startswith("pystray.")]:
            del sys.modules[name]

    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")
    forget()
    yield
    forget()


def looks(viewer: Viewer, window: int, title: str, state: State) -> bool:
    expected = COLOURS[state][:3]
    if viewer.title(window) != title:
        return False
    colour = viewer.main_colour(window)
    if colour is None:  # not drawn yet
        return False
    return all(abs(a - b) <= 6 for a, b in zip(colour, expected, strict=True))


def test_icon_docks_shows_state_and_menu_then_closes(
    daemon: Running,
    tray: SystemTray,
    viewer: Viewer,
    xorg_pystray: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pystray

    caplog.set_level(logging.WARNING)
    app = TrayApp(daemon.where, poll_s=0.2, opener=lambda path: None)
    runner = threading.Thread(target=app.run, name="tray-main")
    runner.start()
    try:
        assert wait_for(lambda: tray.docked), "the icon never asked to dock"
        window = tray.docked[0]
        assert wait_for(lambda: looks(viewer, window, "Panza: idle", State.IDLE))
        assert "pystray._xorg" in {c.__module__ for c in type(app.icon).__mro__}

        def menu() -> list[pystray.MenuItem]:
            return [i for i in app.icon.menu if i is not pystray.Menu.SEPARATOR]

        texts = [i.text for i in menu()]
        assert texts == [*STATUS_LINES, NO_DIALOG, *ACTIONS, "Quit Panza", "Close tray"]
        assert [i.text for i in menu() if i.enabled] == [*ACTIONS, "Quit Panza", "Close tray"]
        assert [i.text for i in menu() if i.default] == ["Sync now"]

        next(i for i in menu() if i.text == "Pause")(app.icon)  # what a click on it runs
        assert wait_for(lambda: daemon.call("status")["paused"] is True)
        paused = "Panza: paused (no scheduled sync or training)"
        assert wait_for(lambda: looks(viewer, window, paused, State.PAUSED))
        assert "Resume" in [i.text for i in menu()] and "Pause" not in [i.text for i in menu()]

        app.icon()  # the icon's default action (a left click where the backend has one)
        notice = "Sync: no accounts set up (panza account add)"
        assert wait_for(lambda: notice in [i.text for i in menu()])

        next(i for i in menu() if i.text == "Resume")(app.icon)
        assert wait_for(lambda: looks(viewer, window, "Panza: idle", State.IDLE))

        next(i for i in menu() if i.text == "Close tray")(app.icon)
        runner.join(10)
        assert not runner.is_alive(), "the tray did not exit"
        assert wait_for(lambda: window not in viewer.children(tray.window.id))
        assert daemon.call("ping")["pong"] is True  # closing the tray leaves the daemon be
    finally:
        app.close()
        runner.join(10)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pystray")] == []


def test_panza_tray_follows_the_daemon_and_exits_on_sigterm(
    xvfb: str, tray: SystemTray, viewer: Viewer, home: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYSTRAY_BACKEND"}
    env.update(DISPLAY=xvfb, PANZA_HOME=str(home))
    # Without PyGObject pystray falls back to xorg by itself, as on a plain install.
    code = (
        "import sys; sys.modules['gi'] = None\n"
        "from panza.daemon.cli import main; sys.exit(main(['tray', '--poll', '0.3']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    daemon = None
    try:
        assert wait_for(lambda: tray.docked, 30), "panza tray never docked an icon"
        window = tray.docked[0]
        assert wait_for(lambda: looks(viewer, window, "Panza: daemon not running", State.ERROR))
        daemon = start(home)
        assert wait_for(lambda: looks(viewer, window, "Panza: idle", State.IDLE))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert wait_for(lambda: window not in viewer.children(tray.window.id))
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=15)
        if daemon is not None:
            assert stop(daemon) == 0
    assert "Traceback" not in err, err
    # the xorg backend cannot show menus; the tray says what is missing and how to add it
    assert (
        "this tray backend (xorg) shows the icon but no menu: PyGObject is not installed for"
        f" {sys.executable}: sudo apt install libgirepository1.0-dev" in err
    ), err
    assert "-m pip install 'PyGObject>=3.42,<3.51'" in err
