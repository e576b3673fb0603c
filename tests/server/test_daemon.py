"""The real `panza daemon` process: lifecycle, methods, import folder, live config."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.client import Client, DaemonError
from panza.daemon.config import load_config
from panza.daemon.demo.sample import generate, write_mbox
from panza.daemon.protocol import PARAMS, VERSION, NoParams, Request
from panza.daemon.server.handlers import Handlers
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.server.socket_server import Emit
from panza.daemon.store import Store
from tests.daemon_process import panza, stop_daemon, wait_until_answers

pytestmark = pytest.mark.integration


def start(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PANZA_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "panza.daemon.cli", "daemon"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = lambda: proc.stdout.read().decode() if proc.stdout else "exited"  # noqa: E731
    return wait_until_answers(proc, home, output, timeout=30)


stop = stop_daemon


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    env = {**os.environ, "PANZA_HOME": str(home)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "panza.daemon.cli",
            "init",
            "--name",
            "Ada Whitfield",
            "--email",
            "ada@whitfield.example",
            "--email",
            "ada.whitfield@lab.example",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return home


@pytest.fixture
def daemon(home: Path) -> Iterator[Client]:
    proc = start(home)
    sock = paths.resolve({"PANZA_HOME": str(home)}).socket_file
    client = Client(sock, timeout=60)
    try:
        yield client
    finally:
        client.close()
        assert stop(proc) == 0
        assert not sock.exists()


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_status_pause_resume_feedback(daemon: Client) -> None:
    status = daemon.call("status")
    assert status["emails"] == {"kept": 0, "discarded": 0, "discarded_by_reason": {}}
    assert status["paused"] is False and status["adapter"] is None
    assert daemon.call("pause") == {"paused": True}
    assert daemon.call("status")["paused"] is True
    assert daemon.call("resume") == {"paused": False}
    with pytest.raises(DaemonError) as info:
        daemon.call("feedback", {"draft_id": "nope", "text": "x"})
    assert info.value.code == "bad_request" and "no draft with id 'nope'" in str(info.value)
    assert daemon.call("sync") == {"accounts": []}


def test_ping_names_the_protocol_version_and_every_method(daemon: Client) -> None:
    result = daemon.call("ping")
    assert result["protocol"] == VERSION == 1
    # The full daemon offers every method of the protocol, ``cancel`` included.
    assert result["methods"] == sorted(PARAMS)


def test_ping_offers_only_the_methods_this_daemon_has(home: Path) -> None:
    where = paths.resolve({"PANZA_HOME": str(home)})
    with Store(where.db_file) as store:
        service = Service(where, load_config(where.config_file), store)
        jobs = Jobs()
        try:
            core = asyncio.run(Handlers(service, jobs).ping(PING, _no_events))
            fuller = Handlers(service, jobs, extra={"retrain": _no_events_handler})
            with_retrain = asyncio.run(fuller.ping(PING, _no_events))
        finally:
            jobs.shutdown()
    assert "draft" not in core["methods"] and "retrain" not in core["methods"]
    assert {"ping", "status", "cancel", "feedback"} <= set(core["methods"])
    assert with_retrain["methods"] == sorted([*core["methods"], "retrain"])


PING = Request(id="p1", method="ping", params=NoParams())


async def _no_events(message: dict[str, Any]) -> None:
    raise AssertionError("ping sends no events")


async def _no_events_handler(req: Request, emit: Emit) -> dict[str, Any]:
    raise AssertionError("not called")


def test_import_folder_and_live_config(daemon: Client, home: Path, tmp_path: Path) -> None:
    where = paths.resolve({"PANZA_HOME": str(home)})
    messages = generate(40, seed=2)
    staged = tmp_path / "sent.mbox"
    write_mbox(staged, messages)
    os.replace(staged, where.import_dir / "sent.mbox")  # a move into the folder
    kept = sum(m.keep for m in messages)
    assert wait_for(lambda: daemon.call("status")["emails"]["kept"] == kept, 60)
    assert wait_for(lambda: (where.import_dir / "done" / "sent.mbox").exists())

    original = where.config_file.read_text()
    where.config_file.write_text(original.replace("min_words = 5", "min_wrods = 5"))
    assert wait_for(lambda: daemon.call("status")["config_error"] is not None)
    assert "did you mean 'min_words'" in daemon.call("status")["config_error"]
    with pytest.raises(DaemonError) as info:
        daemon.call("reload")
    assert info.value.code == "bad_request"
    tmp = where.config_file.with_suffix(".tmp")  # an editor's atomic save
    tmp.write_text(original.replace("min_words = 5", "min_words = 3"))
    os.replace(tmp, where.config_file)
    assert wait_for(lambda: daemon.call("status")["config_error"] is None)


def test_single_instance_and_restart_after_kill(home: Path) -> None:
    first = start(home)
    second = panza("daemon", home=home, timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stderr
    first.kill()  # no cleanup: socket file and lock file stay behind
    first.wait(10)
    if first.stdout:
        first.stdout.close()
    again = start(home)
    assert stop(again) == 0


def test_cli_status_and_no_daemon(home: Path) -> None:
    result = panza("status", home=home, timeout=60)
    assert result.returncode == 1
    assert "the Panza daemon is not running" in result.stderr
    assert "start it with: panza daemon" in result.stderr
    proc = start(home)
    try:
        result = panza("status", home=home, timeout=60)
        assert result.returncode == 0
        assert result.stdout.splitlines()[0] == "Emails: 0 kept, 0 discarded"
    finally:
        assert stop(proc) == 0
