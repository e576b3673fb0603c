"""Acting as another local user (uid 65534, "nobody") in tests; needs root.

Used to play the attacker of the socket folder: another user who made the folder
first, or who listens on the socket, to receive what Panza's clients send.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NOBODY = 65534
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")


@contextmanager
def shared_dir() -> Iterator[Path]:
    """A folder in the system temp dir that other users can reach (as ``/tmp`` itself)."""
    path = Path(tempfile.mkdtemp(prefix="panza-shared-"))
    os.chmod(path, 0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def make_dir_as(uid: int, path: Path, mode: int = 0o700) -> Path:
    """``path`` made by ``uid``, as another user would pre-create it."""
    path.mkdir(mode)
    os.chmod(path, mode)
    os.chown(path, uid, uid)
    return path


class Listener:
    """A process of ``uid`` listening on the Unix socket ``path``; counts bytes it receives."""

    def __init__(self, uid: int, path: Path) -> None:
        ready_r, ready_w = os.pipe()
        self._result_r, result_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.close(ready_r)
            os.close(self._result_r)
            _serve(uid, path, ready_w, result_w)
        os.close(ready_w)
        os.close(result_w)
        ready = select.select([ready_r], [], [], 10)[0] and os.read(ready_r, 1)
        os.close(ready_r)
        if ready != b"1":
            self.received()
            raise AssertionError(f"the listener of uid {uid} did not start on {path}")

    def received(self) -> int:
        """Bytes a client sent before closing (-1: nobody connected); waits for the child."""
        if select.select([self._result_r], [], [], 15)[0]:
            data = os.read(self._result_r, 32)
        else:
            os.kill(self.pid, 9)
            data = b""
        os.close(self._result_r)
        os.waitpid(self.pid, 0)
        return int(data) if data else -1


def _serve(uid: int, path: Path, ready_w: int, result_w: int) -> None:  # pragma: no cover
    count = -1
    try:
        os.setgid(uid)
        os.setuid(uid)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen(4)
        os.write(ready_w, b"1")
        server.settimeout(10)
        conn, _ = server.accept()
        conn.settimeout(3)
        count = 0
        try:
            while chunk := conn.recv(65536):
                count += len(chunk)
        except TimeoutError:
            pass
    except BaseException:
        pass
    finally:
        os.write(result_w, str(count).encode())
        os._exit(0)
