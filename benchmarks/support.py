"""What several benchmarks need: a Panza home, a real daemon on it, the native host's pipes.

Benchmarks never import ``tests/``: what they share with the tests lives in the package
(:func:`panza.daemon.client.wait_until_answers`, the sample mailbox, the framing), and
the little left is written here for the benchmarks alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from panza.daemon import paths
from panza.daemon.client import DaemonUnavailable, wait_until_answers
from panza.daemon.config.edit import set_values
from panza.daemon.demo.sample import PERSONA
from panza.native_host import framing
from panza.native_host.ids import CHROME_EXTENSION_ID, chrome_origin

PANZA = (sys.executable, "-m", "panza.daemon.cli")


def panza(home: Path, *args: str) -> None:
    """Run ``panza ARGS`` on ``home`` as a user would; its output goes to stderr."""
    env = {**os.environ, "PANZA_HOME": str(home)}
    subprocess.run([*PANZA, *args], env=env, check=True, stdout=sys.stderr)


def init_home(home: Path, **settings: dict[str, Any]) -> Path:
    """``panza init`` for the sample persona, then ``settings`` by section: {key: value}."""
    panza(home, "init", "--name", PERSONA.name, "--email", PERSONA.address)
    config = paths.resolve({"PANZA_HOME": str(home)}).config_file
    set_values(config, {(s, k): v for s, values in settings.items() for k, v in values.items()})
    return home


def start_daemon(home: Path) -> subprocess.Popen[bytes]:
    """``panza daemon`` on ``home``, once it answers; its stderr goes to a file beside it."""
    log = home.parent / f"{home.name}-daemon.stderr"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [*PANZA, "daemon"],
            env={**os.environ, "PANZA_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    socket_file = paths.resolve({"PANZA_HOME": str(home)}).socket_file
    try:
        wait_until_answers(socket_file, lambda: proc.poll() is None)
    except DaemonUnavailable as exc:
        proc.kill()
        raise SystemExit(f"{exc}:\n{log.read_text(errors='replace')}") from None
    return proc


def stop_daemon(proc: subprocess.Popen[bytes]) -> int:
    """Stop the daemon as the service manager does; its exit status."""
    proc.terminate()
    return proc.wait(60)


class Host:
    """``python -m panza.native_host`` called as Chrome calls it, frames over its pipes."""

    def __init__(self, home: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "panza.native_host", chrome_origin(CHROME_EXTENSION_ID)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PANZA_HOME": str(home)},
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.frames = framing.FrameReader(self.proc.stdout)

    def write(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def read(self) -> dict[str, Any]:
        message = self.frames.read()
        if not isinstance(message, dict):
            raise RuntimeError(f"no frame from the host: {message!r}")
        return message

    def close(self) -> int:
        """Close stdin, as the browser does; the host's exit status."""
        self.stdin.close()
        code = self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code
