"""The daemon's Unix-socket server: newline-delimited JSON, one task per request.

The socket lives in a 0700 directory and is itself 0600; a client whose peer
uid differs from the daemon's is refused. A bad line gets a ``bad_request``
(or ``too_large``) reply and the connection stays usable; a client that goes
away has its running requests cancelled; nothing a client sends can stop the
server.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from panza.daemon.config import ServerConfig
from panza.daemon.errors import BusyError, NotReadyError, PanzaError, UserError, WorkCancelled
from panza.daemon.paths import ensure_run_dir
from panza.daemon.peer import peer_uid
from panza.daemon.protocol import (
    MAX_LINE,
    CancelParams,
    ErrorCode,
    ProtocolError,
    Request,
    encode,
    parse_request,
    reply_error,
    reply_ok,
)

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[Request, Emit], Awaitable[dict[str, Any]]]
WRITE_BUFFER = 16 << 10  # per connection (user space, and again in the kernel); a bigger
# message is still written whole, it just waits for the client to read before the next one
MAX_IN_FLIGHT = 64  # requests one connection may have running at once


class AlreadyRunning(PanzaError):
    """Another daemon already answers on the socket."""


class _Connection:
    """One client: its running requests, and a write side that gives up on a stalled reader."""

    def __init__(self, writer: asyncio.StreamWriter, stall_s: Callable[[], float]) -> None:
        self.writer = writer
        self.stall_s = stall_s
        self.lock = asyncio.Lock()
        self.tasks: dict[str, asyncio.Task[None]] = {}
        _bound_buffers(writer)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            if self.writer.is_closing():
                await asyncio.sleep(0)  # a suspension point, so a pending cancel lands
                return
            self.writer.write(encode(message))
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                # that lands as the drain completes, and the request then never stops.
                async with asyncio.timeout(self.stall_s()):
                    await self.writer.drain()
            except ConnectionError:
                pass
            except TimeoutError:
                self._drop_stalled()

    def _drop_stalled(self) -> None:
        """The client read nothing for ``stall_s``: stop its work and hang up on it.

        Cancelling its requests ends a draft it holds (and the draft lock with it), so
        the next client's draft can start; what is still buffered for it is discarded.
        """
        log.warning(
            "a client read nothing for %.0f s: cancelling its %d request(s) and disconnecting",
            self.stall_s(),
            len(self.tasks),
        )
        for task in self.tasks.values():
            task.cancel()
        self.writer.transport.abort()


def _bound_buffers(writer: asyncio.StreamWriter) -> None:
    """At most about :data:`WRITE_BUFFER` bytes wait in user space and as many in the kernel."""
    writer.transport.set_write_buffer_limits(high=WRITE_BUFFER)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, WRITE_BUFFER)


class Server:
    """Serves ``handlers`` (method name -> coroutine) on the socket at ``path``."""

    def __init__(
        self,
        path: Path,
        handlers: dict[str, Handler],
        allowed_uid: int | None = None,
        stall_s: Callable[[], float] = lambda: ServerConfig().client_stall_seconds,
    ) -> None:
        self.path = path
        self.handlers = handlers
        self.allowed_uid = os.getuid() if allowed_uid is None else allowed_uid
        self.stall_s = stall_s  # read on each write, so a config reload applies at once
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_Connection] = set()
        self._serving: set[asyncio.Task[Any]] = set()
        # Every request still running, its connection open or not: a connection that
        # closes cancels its requests without waiting for them, so stop() waits here.
        self._requests: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        ensure_run_dir(self.path.parent)
        if self.path.exists() or self.path.is_symlink():
            if await _answers(self.path):
                raise AlreadyRunning(f"a Panza daemon is already running on {self.path}")
            self.path.unlink()  # left behind by a daemon that was killed
        old = os.umask(0o177)  # the socket is born 0600: no window where others may connect
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_LINE + 1
            )
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.close()
        # A connection accepted just before the close has a serving task that has not run
        # yet (a second daemon's "is anyone there?" probe, say): let it start, see that the
        # server is stopping and close its socket, which nothing else would.
        await asyncio.sleep(0)
        pending: list[asyncio.Task[Any]] = [*self._serving, *self._requests]
        for task in self._requests:
            task.cancel()
        for conn in list(self._connections):
            conn.writer.close()
        # Let every request and connection task finish its cancellation before the loop
        # goes away, so nothing is left to die noisily in the event loop's teardown.
        await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.sleep(0)  # the transports closed above finish closing on this turn
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            writer.close()
            return
        sock = writer.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else None
        if uid is None or uid != self.allowed_uid:
            log.warning("refused a client with uid %s", uid)
            writer.close()
            return
        conn = _Connection(writer, self.stall_s)
        self._connections.add(conn)
        me = asyncio.current_task()
        if me is not None:
            self._serving.add(me)
        try:
            while not writer.is_closing():  # a stalled client was dropped: read no more
                line = await _read_line(reader)
                if line is None:
                    break
                try:
                    await self._dispatch(conn, line)
                except (ConnectionError, asyncio.CancelledError):
                    raise
                except Exception as exc:  # a bug here must not drop the requests queued behind
                    # The type only: an exception's text may quote the line, i.e. mail content.
                    log.error("a request line could not be handled (%s)", type(exc).__name__)
                    await conn.send(reply_error(None, "internal", "internal error"))
        except ConnectionError:
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping
        finally:
            self._connections.discard(conn)
            if me is not None:
                self._serving.discard(me)
            for task in conn.tasks.values():
                task.cancel()  # nobody is listening for the result any more
            writer.close()

    async def _dispatch(self, conn: _Connection, line: bytes | _TooLarge) -> None:
        if isinstance(line, _TooLarge):
            await conn.send(reply_error(None, "too_large", f"request over {MAX_LINE} bytes"))
            return
        if not line.strip():
            return
        try:
            req = parse_request(line)
        except ProtocolError as exc:
            await conn.send(reply_error(exc.request_id, exc.code, exc.message))
            return
        if req.method == "cancel":
            target = conn.tasks.get(req.params_as(CancelParams).target)
            if target is not None:
                target.cancel()
            await conn.send(reply_ok(req.id, {"cancelled": target is not None}))
            return
        if req.id in conn.tasks:
            await conn.send(reply_error(req.id, "bad_request", f"id {req.id!r} is in use"))
            return
        if len(conn.tasks) >= MAX_IN_FLIGHT:
            message = f"{MAX_IN_FLIGHT} requests are already running on this connection"
            await conn.send(reply_error(req.id, "busy", message + "; wait for their replies"))
            return
        task = asyncio.create_task(self._run(conn, req))
        conn.tasks[req.id] = task
        task.add_done_callback(functools.partial(_forget, conn.tasks, req.id))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def _run(self, conn: _Connection, req: Request) -> None:
        handler = self.handlers.get(req.method)
        try:
            if handler is None:
                raise ProtocolError("unavailable", f"{req.method} is not available in this daemon")
            result = await handler(req, conn.send)
        except asyncio.CancelledError:
            await conn.send(reply_error(req.id, "cancelled", "cancelled"))
            return
        except PanzaError as exc:
            await conn.send(reply_error(req.id, reply_code(exc), str(exc)))
            return
        except Exception:
            log.exception("request %s (%s) failed", req.id, req.method)
            await conn.send(reply_error(req.id, "internal", "internal error; see the daemon log"))
            return
        await conn.send(reply_ok(req.id, result))


# The protocol's code for each kind of error a handler may raise; the first match wins.
_CODES: tuple[tuple[type[PanzaError], ErrorCode], ...] = (
    (WorkCancelled, "cancelled"),
    (BusyError, "busy"),
    (NotReadyError, "not_ready"),
    (UserError, "bad_request"),
)


def reply_code(exc: PanzaError) -> ErrorCode:
    """The error code a client gets for ``exc``: errors become replies only here."""
    if isinstance(exc, ProtocolError):
        return exc.code
    return next((code for kind, code in _CODES if isinstance(exc, kind)), "unavailable")


def _forget(tasks: dict[str, asyncio.Task[None]], request_id: str, _task: object) -> None:
    tasks.pop(request_id, None)


class _TooLarge:
    pass


async def _read_line(reader: asyncio.StreamReader) -> bytes | _TooLarge | None:
    """The next line; ``_TooLarge`` after skipping an over-long one; None at end of input."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial or None
    except asyncio.LimitOverrunError as exc:
        consumed = exc.consumed
    while True:  # drop the rest of the over-long line, keep the connection
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
            return _TooLarge()
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as exc:
            consumed = exc.consumed


async def _answers(path: Path) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
