"""Menu actions send the right requests to a real daemon; the tray follows it through restarts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon.protocol import Request
from panza.daemon.server.socket_server import Emit
from panza.daemon.tray.app import TrayApp
from panza.daemon.tray.model import Action, State
from tests.tray import replies
from tests.tray.conftest import Running, start, stop, wait_for, where
from tests.tray.scripted import ScriptedDaemon

pytestmark = pytest.mark.integration


def test_pause_resume_and_sync_reach_the_daemon(daemon: Running) -> None:
    app = TrayApp(daemon.where, opener=lambda p: None)
    assert app.refresh().state is State.IDLE

    app.trigger(Action.PAUSE).join(30)  # the path a menu click takes: a background thread
    assert daemon.call("status")["paused"] is True
    view = app.refresh()
    assert view.state is State.PAUSED and "Resume" in view.labels()

    app.perform(Action.RESUME)
    assert daemon.call("status")["paused"] is False
    assert app.refresh().state is State.IDLE

    app.perform(Action.SYNC)
    jobs: Any = daemon.call("status")["jobs"]
    assert jobs["sync"]["finished_at"] is not None  # the daemon ran a sync pass
    assert "Sync: no accounts set up (panza account add)" in app.view.labels()
    app.poller.close()


def test_quit_stops_the_daemon_and_closes_the_tray(daemon: Running) -> None:
    app = TrayApp(daemon.where)
    app.refresh()
    app.perform(Action.QUIT)
    assert daemon.proc.wait(15) == 0  # a clean exit, not a kill
    assert not daemon.where.socket_file.exists()
    assert app.closing.is_set()
    assert app.refresh().state is State.ERROR


def test_stop_replies_then_the_daemon_exits(daemon: Running) -> None:
    assert daemon.call("stop") == {"stopping": True}
    assert daemon.proc.wait(15) == 0
    assert not daemon.where.socket_file.exists()
    lines = (daemon.where.logs_dir / "daemon.log").read_text().splitlines()
    assert any(line.endswith("panza.daemon: stopping") for line in lines)
    assert any(line.endswith("panza.daemon: stopped") for line in lines)


def test_close_tray_leaves_the_daemon_running(daemon: Running) -> None:
    app = TrayApp(daemon.where)
    app.perform(Action.CLOSE)
    assert app.closing.is_set()
    assert daemon.call("ping")["pong"] is True


def test_reconnects_when_the_daemon_restarts(home: Path) -> None:
    app = TrayApp(where(home))
    assert app.refresh().labels()[0] == "Panza: daemon not running"
    proc = start(home)
    try:
        assert app.refresh().state is State.IDLE
        assert app.poller.connects == 1
    finally:
        assert stop(proc) == 0
    view = app.refresh()
    assert (view.state, view.title) == (State.ERROR, "Panza: daemon not running")
    item = view.item(Action.SYNC)
    assert item is not None and not item.enabled
    proc = start(home)
    try:
        assert app.refresh().state is State.IDLE
        assert app.poller.connects == 2
    finally:
        app.poller.close()
        assert stop(proc) == 0


def test_actions_when_the_daemon_is_down(home: Path) -> None:
    opened: list[Path] = []
    app = TrayApp(where(home), opener=opened.append)
    app.perform(Action.SYNC)
    assert "The Panza daemon is not running" in app.view.labels()
    data = where(home).data_dir
    app.perform(Action.OPEN_DATA)
    assert opened == [] and "No data folder yet: the daemon has not run" in app.view.labels()
    data.mkdir(parents=True)
    app.perform(Action.OPEN_DATA)
    assert opened == [data]
    app.perform(Action.QUIT)  # nothing to stop: just closes the tray
    assert app.closing.is_set()


def test_open_log_opens_the_daemon_log(daemon: Running) -> None:
    opened: list[Path] = []
    app = TrayApp(daemon.where, opener=opened.append)
    app.perform(Action.OPEN_LOG)
    assert opened == [daemon.where.logs_dir / "daemon.log"]

    def refuse(path: Path) -> None:
        raise OSError(2, "xdg-open is not installed")

    app.opener = refuse
    app.perform(Action.OPEN_DATA)
    assert any(label.startswith("Could not open the data folder:") for label in app.view.labels())


@pytest.fixture
def older(tmp_path: Path) -> Iterator[tuple[ScriptedDaemon, Path]]:
    home = tmp_path / "home"

    async def status(req: Request, emit: Emit) -> dict[str, Any]:
        return dict(replies.IDLE)

    server = ScriptedDaemon(where(home).socket_file, {"status": status})

    async def ping(req: Request, emit: Emit) -> dict[str, Any]:
        return {"pong": True, "protocol": 1, "methods": sorted({*server.handlers, "cancel"})}

    server.handlers["ping"] = ping
    server.start()
    try:
        yield server, home
    finally:
        server.stop()
        server.close()


def test_retrain_absent_from_a_daemon_without_it(older: tuple[ScriptedDaemon, Path]) -> None:
    server, home = older
    app = TrayApp(where(home))
    view = app.refresh()
    assert view.state is State.IDLE
    item = view.item(Action.RETRAIN)  # known from ping before anyone clicks
    assert item is not None and not item.enabled
    assert item.label == "Retrain now (not available in this version)"

    async def retrain(req: Request, emit: Emit) -> dict[str, Any]:
        assert req.method == "retrain" and req.params.full is False
        return {"status": "accepted", "version": 4}

    server.stop()  # upgraded: the new daemon has retrain
    server.handlers = {**server.handlers, "retrain": retrain}
    server.start()
    assert wait_for(lambda: app.refresh().state is State.IDLE and app.poller.connects == 2)
    item = app.view.item(Action.RETRAIN)
    assert item is not None and item.enabled and item.label == "Retrain now"
    app.perform(Action.RETRAIN)
    assert "Retrain: v0004 accepted" in app.view.labels()
    app.poller.close()


def test_the_tray_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from panza.daemon import paths\n"
        "from panza.daemon.cli import build_parser\n"
        "from panza.daemon.tray.app import TrayApp\n"
        "build_parser().parse_args(['tray'])\n"
        "app = TrayApp(paths.resolve())\n"
        "app.refresh()\n"
        "app.perform(app.view.items[-1].action)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
        "assert not bad, bad\n"
        "assert 'pystray' not in sys.modules  # loaded only when an icon is shown\n"
    )
    env = {"PANZA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


class Typed:
    """Answers in place of the GTK dialog (tests/tray/test_dbus.py drives the real one)."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.copied: list[str] = []

    def ask(self) -> str | None:
        return self.answer

    def copy(self, text: str) -> None:
        self.copied.append(text)


def test_draft_before_the_first_training_says_why(daemon: Running) -> None:
    app = TrayApp(daemon.where)
    app.prompter = typed = Typed("Decline the invitation, offer a video call")
    app.perform(Action.DRAFT)
    labels = app.view.labels()
    assert any(label.startswith("Draft failed: no adapter trained yet") for label in labels)
    assert typed.copied == []  # nothing on the clipboard
    item = app.refresh().item(Action.DRAFT)
    assert item is not None and item.label.endswith("(after the first training)")
    app.poller.close()


def test_draft_without_a_dialog_is_not_offered(daemon: Running) -> None:
    app = TrayApp(daemon.where)  # no prompter: a backend without GTK
    app.perform(Action.DRAFT)
    item = app.refresh().item(Action.DRAFT)
    assert item is not None and not item.enabled and "needs the GTK tray" in item.label
    app.poller.close()


def test_a_daemon_that_refuses_ping_is_still_shown(tmp_path: Path) -> None:
    """A refused ``ping`` is an answer: the daemon is there, and is assumed to offer all."""

    async def status(req: Request, emit: Emit) -> dict[str, Any]:
        return dict(replies.IDLE)

    home = tmp_path / "home"
    server = ScriptedDaemon(where(home).socket_file, {"status": status})  # no ping
    server.start()
    try:
        app = TrayApp(where(home))
        try:
            view = app.refresh()
        finally:
            app.poller.close()
        assert view.state is State.IDLE
        item = view.item(Action.RETRAIN)
        assert item is not None and item.enabled
    finally:
        server.stop()
        server.close()
