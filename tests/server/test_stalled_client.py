"""A client that stops reading mid-draft (a suspended `panza draft`) must not hold the daemon.

The real daemon with a trained tiny adapter; the stalled client is a raw socket with a
tiny receive buffer that sends a long draft request and never reads (issue 15, item 4).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from tests.server.test_daemon import start, stop
from tests.server.test_draft import trained_home  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
STALL_S = 2


@pytest.fixture
def stall_home(trained_home: Path) -> Path:  # noqa: F811 - the imported fixture
    config = paths.resolve().config_file
    config.write_text(config.read_text() + f"\n[server]\nclient_stall_seconds = {STALL_S}\n")
    return trained_home


@pytest.fixture
def daemon(stall_home: Path) -> Iterator[Path]:
    proc = start(stall_home)
    try:
        yield paths.resolve().socket_file
    finally:
        assert stop(proc) == 0


def test_a_stalled_client_loses_its_draft_and_the_next_draft_completes(daemon: Path) -> None:
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stuck.settimeout(30)
    stuck.connect(str(daemon))
    try:
        long_draft = {"instruction": "Write a long update", "temperature": 0, "max_new_tokens": 800}
        stuck.sendall(line("stuck", "draft", long_draft))
        time.sleep(0.5)  # the stalled client's draft takes the model first
        # ...and then it asks for far more than it will ever read, and stops reading.
        with contextlib.suppress(OSError):  # the daemon hangs up on it mid-way
            stuck.sendall(b"".join(line(f"s{i}", "status") for i in range(2000)))
        events: list[dict[str, Any]] = []
        with Client(daemon, timeout=120) as second:
            result = second.call(
                "draft",
                {"instruction": "Thank Tom", "temperature": 0, "max_new_tokens": 8},
                events.append,
            )
            assert result["adapter_version"] == 1 and len(result["draft_id"]) == 16
            status = second.call("status")
        assert {"event": "queued", "position": 1} in [
            {k: v for k, v in e.items() if k != "id"} for e in events
        ]
        assert status["running"] == []
        log = (paths.resolve().logs_dir / "daemon.log").read_text()
        assert f"a client read nothing for {STALL_S} s: cancelling its" in log
    finally:
        stuck.close()


def line(request_id: str, method: str, params: dict[str, Any] | None = None) -> bytes:
    body = {"v": 1, "id": request_id, "method": method, "params": params or {}}
    return json.dumps(body).encode() + b"\n"
