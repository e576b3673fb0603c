"""The daemon's real protocol server on a socket, answering with the test's handlers.

For what a real daemon cannot show cheaply: an older daemon's method table, or a
finished draft (a real one needs a trained model; tests/server/test_draft.py drafts for real).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from panza.daemon.server.socket_server import Handler, Server


class ScriptedDaemon:
    """The real protocol server and socket, with handlers the test gives."""

    def __init__(self, sock: Path, handlers: dict[str, Handler]) -> None:
        self.sock, self.handlers = sock, handlers
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: Server | None = None

    def start(self) -> None:
        self.server = Server(self.sock, self.handlers)
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)

    def stop(self) -> None:
        async def down(server: Server) -> None:
            await server.stop()
            await asyncio.sleep(0.1)  # let the connection tasks see their sockets close

        assert self.server is not None
        asyncio.run_coroutine_threadsafe(down(self.server), self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
