"""Starting and stopping a real `panza daemon` process in tests (one copy for every tier)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from panza.daemon import client, paths
from panza.daemon.client import DaemonUnavailable


def wait_until_answers(
    proc: subprocess.Popen[bytes], home: Path, failure: Callable[[], str], timeout: float = 60.0
) -> subprocess.Popen[bytes]:
    """Return ``proc`` once the daemon on ``home`` answers ``ping``; fail with ``failure()``."""
    sock = paths.resolve({"PANZA_HOME": str(home)}).socket_file
    try:
        client.wait_until_answers(sock, lambda: proc.poll() is None, timeout)
    except DaemonUnavailable:
        if proc.poll() is not None:
            raise AssertionError(failure()) from None
        proc.kill()
        raise AssertionError("daemon did not start") from None
    return proc


def stop_daemon(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """SIGTERM (if still running), wait, close the output pipe; the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout)
    if proc.stdout:
        proc.stdout.close()
    return code


def panza(
    *args: str, home: Path, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `panza` CLI as a user would, on ``home``; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PANZA_HOME": str(home)},
        input=stdin,
        timeout=timeout,
    )


def connect_as_nobody(path: Path) -> int:
    """Try to connect to the Unix socket ``path`` as uid 65534 (needs root).

    0: refused with PermissionError; 1: connected; 2: another failure.
    """
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(str(path))
            code = 1
        except PermissionError:
            code = 0
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
