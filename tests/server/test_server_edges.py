"""Edge cases over a real socket: deep nesting, lone surrogates, and nothing of them in logs."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panza.daemon.protocol import TOO_DEEP, Request
from panza.daemon.server.socket_server import Emit
from tests.server.test_protocol_edges import DEEP
from tests.server.test_server import Conn, Harness, request

SECRET = "SECRET-draft-text"


class EchoHarness(Harness):
    """``status`` streams a token and replies with text that holds a lone surrogate."""

    async def stream(self, req: Request, emit: Emit) -> dict[str, Any]:
        await emit({"id": req.id, "event": "token", "text": SECRET + "\udc80"})
        return {"text": SECRET + "\ud83d"}


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Conn]:
    sock_path = tmp_path / "run" / "daemon.sock"
    harness = EchoHarness(sock_path)
    c = Conn(sock_path)
    yield c
    c.close()
    harness.close()


def test_deep_json_is_refused_and_the_requests_behind_it_are_served(conn: Conn) -> None:
    conn.send(DEEP + b"\n" + json.dumps(request("ping", "after")).encode() + b"\n")
    assert conn.recv() == {"id": None, "ok": False, "error": {"code": "bad_request",
                                                              "message": TOO_DEEP}}  # fmt: skip
    assert conn.recv() == {"id": "after", "ok": True, "result": {"pong": True}}


def test_lone_surrogates_get_replies_that_encode_and_nothing_reaches_the_log(
    conn: Conn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conn.send(b'{"v":1,"id":"\\ud800","method":"ping"}\n')
    refused = conn.recv()
    assert refused["id"] == "\ud800" and refused["error"]["code"] == "bad_request"
    assert refused["error"]["message"].startswith("id holds a lone UTF-16 surrogate")

    conn.send(request("status", "s1"))  # a result the handler made with a broken character
    token, reply = conn.recv(), conn.recv()
    assert token == {"id": "s1", "event": "token", "text": SECRET + "\udc80"}
    assert reply == {"id": "s1", "ok": True, "result": {"text": SECRET + "\ud83d"}}
    conn.send(request("ping", "p2"))
    assert conn.recv()["result"] == {"pong": True}
    gc.collect()  # an unretrieved task exception would be logged now
    assert SECRET not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
