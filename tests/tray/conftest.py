"""Fixtures for the tray tests: a real `panza daemon` in a temp PANZA_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from tests.daemon_process import stop_daemon, wait_until_answers


def missing(message: str) -> NoReturn:
    """A tool a tier needs is not installed: skip here, fail in CI (`make sysdeps` has it)."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{message}; CI must run this tier of the tray's tests")
    pytest.skip(message)


def where(home: Path) -> paths.Paths:
    return paths.resolve({"PANZA_HOME": str(home)})


def start(home: Path) -> subprocess.Popen[bytes]:
    """Start `panza daemon` on ``home`` and wait until it answers ``ping``."""
    env = {**os.environ, "PANZA_HOME": str(home)}
    proc = subprocess.Popen(
        # what `panza daemon` runs, without loading every other command group first
        [
            sys.executable,
            "-c",
            "import sys; from panza.daemon.server.app import main; sys.exit(main())",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = lambda: proc.stdout.read().decode() if proc.stdout else "exited"  # noqa: E731
    return wait_until_answers(proc, home, output, timeout=30)


def stop(proc: subprocess.Popen[bytes]) -> int:
    return stop_daemon(proc, timeout=30)


def wait_for(predicate, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PANZA_HOME right after `panza init` (made once, copied for each test)."""
    home = tmp_path_factory.mktemp("tray") / "home"
    env = {**os.environ, "PANZA_HOME": str(home)}
    subprocess.run(
        [
            *(sys.executable, "-m", "panza.daemon.cli", "init"),
            *("--name", "Ada W", "--email", "ada@whitfield.example"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return home


@pytest.fixture
def home(initialised: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(initialised, tmp_path / "home"))


@dataclass
class Running:
    home: Path
    where: paths.Paths
    proc: subprocess.Popen[bytes]

    def call(self, method: str) -> dict[str, object]:
        with Client(self.where.socket_file, timeout=30) as c:
            return c.call(method)


@pytest.fixture
def daemon(home: Path) -> Iterator[Running]:
    proc = start(home)
    try:
        yield Running(home, where(home), proc)
    finally:
        stop(proc)
