"""Starting and stopping a real `panza daemon` process in tests (one copy for every tier)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from panza.daemon import paths
from panza.daemon.client import Client, DaemonUnavailable


def wait_until_answers(
    proc: subprocess.Popen[bytes], home: Path, failure: Callable[[], str], timeout: float = 60.0
) -> subprocess.Popen[bytes]:
    """Return ``proc`` once the daemon on ``home`` answers ``ping``; fail with ``failure()``."""
    sock = paths.resolve({"PANZA_HOME": str(home)}).socket_file
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(failure())
        try:
            with Client(sock, timeout=5) as client:
                client.call("ping")
            return proc
        except DaemonUnavailable:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("daemon did not start")


def stop_daemon(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """SIGTERM (if still running), wait, close the output pipe; the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout)
    if proc.stdout:
        proc.stdout.close()
    return code
