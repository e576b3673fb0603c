"""A real HTTP server on 127.0.0.1 standing in for Google: routing, JSON and Google-style errors.

Handlers are plain functions from :class:`Request` to :class:`Reply`, so the
fake Gmail API and the fake OAuth endpoints stay free of socket code.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else ""

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        return cls(method, parts.path, query, {k.lower(): v for k, v in headers.items()}, body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(obj).encode()
    return Reply(
        status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    )


STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, reason: str, message: str = "") -> Reply:
    """An error body shaped like the Gmail API's."""
    error = {
        "code": status,
        "message": message or reason,
        "errors": [{"message": message or reason, "domain": "global", "reason": reason}],
        "status": STATUS_NAMES.get(status, "UNKNOWN"),
    }
    return json_reply({"error": error}, status)


Handler = Callable[[Request], Reply]


class LocalServer:
    """``ThreadingHTTPServer`` on a free loopback port, routing by path prefix."""

    def __init__(self, routes: list[tuple[str, Handler]]) -> None:
        self.routes = routes
        self.errors: list[str] = []  # handler crashes: a test bug, asserted empty
        self.delay = 0.0  # seconds added to every answer: a network round trip, for benchmarks
        self._busy = 0
        self._idle = threading.Condition()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Google serves
            # Headers and body go out in two writes; with Nagle on, the second waits for a
            # delayed ACK (~40 ms a response), which no real server makes clients suffer.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request.parse(self.command, self.path, dict(self.headers), body)
                with server._idle:
                    server._busy += 1
                try:
                    reply = server.dispatch(request)
                finally:
                    with server._idle:
                        server._busy -= 1
                        server._idle.notify_all()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client was killed
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def dispatch(self, request: Request) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        for prefix, handler in self.routes:
            if request.path.startswith(prefix):
                try:
                    return handler(request)
                except Exception as exc:
                    self.errors.append(f"{request.method} {request.path}: {exc!r}")
                    return google_error(500, "backendError", "fake server crashed")
        return google_error(404, "notFound", f"no route for {request.path}")

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being handled (e.g. one whose client was killed)."""
        with self._idle:
            assert self._idle.wait_for(lambda: self._busy == 0, timeout), "server still busy"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
