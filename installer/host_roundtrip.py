"""Start the host the way a browser does and do one framed round trip through it."""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from panza.daemon.errors import PanzaError
from panza.native_host.ids import CHROME_EXTENSION_ID, chrome_origin

_HEADER = struct.Struct("=I")


class HostCheckError(PanzaError):
    """The host did not start or did not answer with a well-formed frame."""


def read_frame(fd: int, deadline: float) -> dict[str, Any]:
    """One frame from ``fd`` before ``deadline`` (time.monotonic())."""
    header = _read(fd, _HEADER.size, deadline)
    (size,) = _HEADER.unpack(header)
    if size > 1 << 20:
        raise HostCheckError(f"the host sent a {size}-byte frame, over the 1 MiB limit")
    message = json.loads(_read(fd, size, deadline))
    if not isinstance(message, dict):
        raise HostCheckError("the host sent a frame that is not a JSON object")
    return message


def _read(fd: int, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise HostCheckError("the host did not answer in time")
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise HostCheckError("the host closed its output without answering")
        data += chunk
    return data


def frame(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message).encode()
    return _HEADER.pack(len(payload)) + payload


def round_trip(
    launcher: Path,
    request: dict[str, Any] | None = None,
    caller: Sequence[str] = (chrome_origin(CHROME_EXTENSION_ID),),
    env: Mapping[str, str] | None = None,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """Spawn ``launcher caller...``, send ``request`` (a ping), return the reply for it."""
    request = request or {"v": 1, "id": "doctor", "method": "ping", "params": {}}
    try:
        proc = subprocess.Popen(
            [str(launcher), *caller],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else dict(env),
            cwd=launcher.parent,  # browsers start hosts in their own directory
        )
    except OSError as exc:
        raise HostCheckError(f"cannot start {launcher}: {exc.strerror}") from None
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(frame(request))
        proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            message = read_frame(proc.stdout.fileno(), deadline)
            if message.get("id") == request["id"] and "ok" in message:
                return message
            if message.get("id") is None and "ok" in message:  # refused outright
                return message
    except (BrokenPipeError, HostCheckError) as exc:
        why = "the host exited before reading the request" if isinstance(exc, OSError) else exc
        proc.stdin.close()
        _stop(proc)
        said = (proc.stderr.read() if proc.stderr else b"").decode("utf-8", "replace").strip()
        last = said.splitlines()[-1] if said else ""
        raise HostCheckError(f"{why}{f' ({last})' if last else ''}") from None
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
        _stop(proc)
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the host to exit after its stdin closed; kill it if it does not."""
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
