"""The real host on absurd input: deep nesting and lone surrogates (issue 15, item 6)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.native_host.framing import FrameError, FrameReader
from tests.native.conftest import HEADER, Host, frame, request

pytestmark = pytest.mark.integration
MakeHost = Callable[..., Host]
DEEP = b'{"id":"deep","v":1,"method":"ping","params":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def test_a_frame_nested_past_the_recursion_limit_is_an_error_and_reading_goes_on() -> None:

    ping = frame(request("a", "ping"))
    reader = FrameReader(io.BytesIO(HEADER.pack(len(DEEP)) + DEEP + ping))
    error = reader.read()
    assert isinstance(error, FrameError)
    assert (error.code, error.request_id) == ("bad_request", "deep")
    assert error.message == "message is JSON nested too deeply"
    assert reader.read() == request("a", "ping")


def test_the_host_survives_deep_json_and_relays_lone_surrogates_both_ways(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    host = host_factory(home)
    surrogate = b'{"v":1,"id":"s1","method":"draft","params":{"instruction":"SECRET \\ud83d"}}'
    host.write(
        HEADER.pack(len(DEEP))
        + DEEP
        + HEADER.pack(len(surrogate))
        + surrogate
        + frame(request("p1", "ping"))
    )
    got = {m["id"]: m for m in (host.read(), host.read(), host.read())}
    assert got["deep"]["error"] == {
        "code": "bad_request",
        "message": "message is JSON nested too deeply",
    }
    assert got["s1"]["error"]["code"] == "bad_request"  # answered by the daemon
    assert "params.instruction holds a lone UTF-16 surrogate" in got["s1"]["error"]["message"]
    assert got["p1"]["ok"] is True
    assert host.proc.poll() is None
    assert host.close() == 0
    logs = paths.resolve({"PANZA_HOME": str(home)}).logs_dir
    for name in ("native-host.log", "daemon.log"):
        assert "SECRET" not in (logs / name).read_text()
