"""A blocking client of the daemon socket for the CLI and the tray (stdlib only)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from panza.daemon import peer
from panza.daemon.errors import PanzaError, UnsafeSocketError


class DaemonUnavailable(PanzaError):
    """Nothing answers on the socket."""


class ForeignDaemon(DaemonUnavailable):
    """Another user's process listens on the socket; nothing was sent to it."""


class DaemonError(PanzaError):
    """The daemon answered with an error reply."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{message} ({code})")


class Client:
    """One connection to this user's own daemon; :meth:`call` sends a request, awaits its reply."""

    _ids = itertools.count(1)

    def __init__(self, path: Path, timeout: float | None = 30.0) -> None:
        self.path = path
        try:
            self._sock = peer.connect(path, timeout)
        except UnsafeSocketError as exc:  # refused before a byte was sent
            raise ForeignDaemon(str(exc)) from None
        except OSError as exc:
            raise DaemonUnavailable(
                f"the Panza daemon is not running (no answer on {path}: {exc.strerror});"
                " start it with: panza daemon"
            ) from None
        self._file = self._sock.makefile("rb")

    def messages(self) -> Iterator[dict[str, Any]]:
        for line in self._file:
            yield json.loads(line)

    def send(self, method: str, params: dict[str, Any] | None = None) -> str:
        request_id = f"cli{next(self._ids)}"
        line = {"v": 1, "id": request_id, "method": method, "params": params or {}}
        self._sock.sendall(json.dumps(line).encode() + b"\n")
        return request_id

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Send one request, pass its events to ``on_event``, return its result."""
        request_id = self.send(method, params)
        for message in self.messages():
            if message.get("id") != request_id:
                continue
            if "event" in message:
                if on_event is not None:
                    on_event(message)
                continue
            if message.get("ok"):
                return dict(message.get("result") or {})
            error = message.get("error") or {}
            raise DaemonError(str(error.get("code")), str(error.get("message")))
        raise DaemonUnavailable("the daemon closed the connection before replying")

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_until_answers(
    socket_file: Path, running: Callable[[], bool], timeout: float = 60.0
) -> None:
    """Return once a daemon just started answers ``ping`` on ``socket_file``.

    Raises :class:`DaemonUnavailable` when ``running()`` turns false (the process
    exited at start) or nothing answers within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running():
            raise DaemonUnavailable("the daemon exited at start")
        try:
            with Client(socket_file, timeout=5) as client:
                client.call("ping")
            return
        except DaemonUnavailable:
            time.sleep(0.1)
    raise DaemonUnavailable(f"the daemon did not answer within {timeout:g} s")
