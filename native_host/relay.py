"""The relay: browser requests go to the daemon socket as lines; its lines come back as frames.

One daemon connection carries every request of the browser port, so requests
run concurrently and ``cancel`` reaches the request it names. Each event and
reply is written as soon as it arrives, as its own frame(s), in the daemon's
order: tokens stream. When the daemon is not there, the request gets an
``unavailable`` reply saying what to do, after one attempt to start the
installed user service.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections import Counter
from pathlib import Path

from panza.daemon import peer
from panza.daemon.errors import UnsafeSocketError
from panza.daemon.paths import check_run_dir
from panza.native_host import framing
from panza.native_host.autostart import ServiceStarter
from panza.native_host.log import log

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from typing import BinaryIO

    from panza.native_host.framing import Message

# What the browser may ask of the daemon: what the extensions use, and nothing else.
# stop, reload, pause, resume, sync and whatever comes later stay CLI- and tray-only.
RELAYED_METHODS = ("draft", "cancel", "ping", "status", "feedback", "retrain")
NOT_RELAYED = (
    "{what}: the browser may use only " + ", ".join(RELAYED_METHODS) + "; the rest is for"
    " the panza command and the tray"
)

NOT_RUNNING = (
    "Panza is not running (nothing answers on {socket}). Start it with `panza daemon`,"
    " or run `panza install` once so that it starts at login."
)
START_FAILED = (
    "Panza is not running, and starting its service failed ({detail}). Run `panza doctor`"
    " to see what is wrong, or start it with `panza daemon`."
)
START_SLOW = (
    "Panza's service was started ({detail}) but the daemon did not answer within {wait:.0f} s."
    " Try again in a moment; if it keeps failing, run `panza doctor`."
)
GAVE_UP = (
    "Panza is not running, and its service did not come up when this connection started it."
    " Run `panza doctor` to see what is wrong, or start it with `panza daemon`."
)
DIED = (
    "The Panza daemon stopped while working on this request. Try again; if it keeps"
    " happening, run `panza doctor` and look at the daemon log."
)


class FrameWriter:
    """Writes frames to the browser, one message's frames at a time, from any thread."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.closed = False

    def write(self, payloads: list[bytes]) -> None:
        data = b"".join(framing.frame(p) for p in payloads)
        with self._lock:
            if self.closed:
                return
            try:
                self._stream.write(data)
                self._stream.flush()
            except OSError:  # the browser went away; stdin will close too
                self.closed = True

    def send(self, message: Message) -> None:
        self.write(framing.split(message))


class _Connection:
    """One daemon socket; a thread relays its lines and notices when it ends."""

    def __init__(self, sock: socket.socket, writer: FrameWriter) -> None:
        self.sock = sock
        self.writer = writer
        self.lock = threading.Lock()
        self.pending: Counter[str] = Counter()  # request ids still owed a reply
        self.dead = False
        self.thread = threading.Thread(target=self._pump, name="daemon-reader", daemon=True)
        self.thread.start()

    def send(self, line: bytes, request_id: str | None) -> bool:
        """False when the connection is gone before the request got out."""
        with self.lock:
            if self.dead:
                return False
            if request_id is not None:
                self.pending[request_id] += 1
        try:
            self.sock.sendall(line)
        except OSError:
            with self.lock:
                self.dead = True
                if request_id is None:
                    return False
                if self.pending[request_id] == 0:
                    return True  # the reader already answered it as "died"
                self._settle(request_id)
            return False
        return True

    def _settle(self, request_id: str) -> None:
        """One reply fewer owed for ``request_id`` (call with the lock held)."""
        if self.pending[request_id] > 1:
            self.pending[request_id] -= 1
        else:
            self.pending.pop(request_id, None)

    def _pump(self) -> None:
        try:
            with self.sock.makefile("rb") as lines:
                for line in lines:
                    self._relay(line.rstrip(b"\r\n"))
        except (OSError, ValueError):
            pass
        with self.lock:
            self.dead = True
            orphans = list(self.pending.elements())
            self.pending.clear()
        for request_id in orphans:
            log.warning("daemon went away before replying to %s", request_id)
            self.writer.send(framing.error_reply(request_id, "unavailable", DIED))

    def _relay(self, payload: bytes) -> None:
        if not payload:
            return
        try:
            message = json.loads(payload)
        except ValueError:
            log.error("daemon sent a line that is not JSON (%d bytes); dropped", len(payload))
            return
        if not isinstance(message, dict):
            return
        request_id = message.get("id")
        if "ok" in message and isinstance(request_id, str):
            with self.lock:
                self._settle(request_id)
        if len(payload) <= framing.MAX_OUT:
            self.writer.write([payload])  # as the daemon wrote it: no re-encoding
        else:
            self.writer.write(framing.split(message))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class Relay:
    """Forwards browser messages to the daemon at ``socket_path``."""

    def __init__(
        self,
        socket_path: Path,
        writer: FrameWriter,
        starter: ServiceStarter | None = None,
        start_wait_s: float = 20.0,
    ) -> None:
        self.socket_path = socket_path
        self.writer = writer
        self.starter = starter
        self.start_wait_s = start_wait_s
        self._conn: _Connection | None = None
        self._start_tried = False

    def forward(self, message: Message) -> None:
        raw_id = message.get("id")
        request_id = raw_id if isinstance(raw_id, str) else None
        method = message.get("method")
        if method not in RELAYED_METHODS:
            log.warning("refused request %s: method not relayed", request_id)
            what = (
                f"method {method[:40]!r} is not available to the browser"
                if isinstance(method, str)
                else 'a request needs a "method"'
            )
            refusal = NOT_RELAYED.format(what=what)
            self.writer.send(framing.error_reply(request_id, "bad_request", refusal))
            return
        log.debug("request %s: %s", request_id, method)
        line = framing.dump(message) + b"\n"
        for _ in range(2):  # a connection that died since the last request: reconnect once
            conn, why = self._connection(request_id)
            if conn is None:
                self.writer.send(framing.error_reply(request_id, "unavailable", why))
                return
            if conn.send(line, request_id):
                return
            conn.close()
        self.writer.send(framing.error_reply(request_id, "unavailable", DIED))

    def _connection(self, request_id: str | None) -> tuple[_Connection | None, str]:
        if self._conn is not None and not self._conn.dead:
            return self._conn, ""
        try:
            sock = self._connect()
        except UnsafeSocketError as exc:  # never started over: a stranger holds the socket
            log.error("refused the listener on the socket: %s", exc)
            return None, str(exc)
        if sock is None:
            unsafe = _unsafe_folder(self.socket_path.parent)
            if unsafe:  # the daemon refuses to start there: say why rather than start it
                return None, unsafe
            if self.starter is None or not self.starter.installed():
                return None, NOT_RUNNING.format(socket=self.socket_path)
            if self._start_tried:  # one attempt per outage
                return None, GAVE_UP
            self._start_tried = True
            sock, why = self._start_service(request_id)
            if sock is None:
                return None, why
        self._start_tried = False
        self._conn = _Connection(sock, self.writer)
        return self._conn, ""

    def _start_service(self, request_id: str | None) -> tuple[socket.socket | None, str]:
        assert self.starter is not None
        if request_id is not None:
            starting = {"stage": "starting the Panza daemon", "done": 0, "total": None}
            self.writer.send({"id": request_id, "event": "progress", **starting})
        ok, detail = self.starter.start()
        log.info("service start attempt: %s (%s)", "ok" if ok else "failed", detail)
        if not ok:
            return None, START_FAILED.format(detail=detail)
        deadline = time.monotonic() + self.start_wait_s
        while time.monotonic() < deadline:
            try:
                sock = self._connect()
            except UnsafeSocketError as exc:
                log.error("refused the listener on the socket: %s", exc)
                return None, str(exc)
            if sock is not None:
                return sock, ""
            time.sleep(0.1)
        return None, START_SLOW.format(detail=detail, wait=self.start_wait_s)

    def _connect(self) -> socket.socket | None:
        """None when nothing listens; UnsafeSocketError when a stranger does."""
        try:
            return peer.connect(self.socket_path, None)
        except OSError:
            return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _unsafe_folder(run_dir: Path) -> str:
    """Why Panza cannot use the socket folder ``run_dir``, or "" when it can (or it is absent)."""
    if not os.path.lexists(run_dir):
        return ""
    try:
        check_run_dir(run_dir)
    except UnsafeSocketError as exc:
        log.error("unsafe socket folder: %s", exc)
        return f"Panza cannot start: {exc}"
    return ""
