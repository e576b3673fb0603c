"""The real host process over pipes against a real daemon: relay, errors, callers, lifetime."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.client import Client
from panza.native_host.ids import GECKO_ID
from tests.native.conftest import Host, MiB, frame, request, start_daemon, stop_daemon

pytestmark = pytest.mark.integration
MakeHost = Callable[..., Host]


def test_requests_are_relayed_and_each_reply_is_its_own_frame(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    host = host_factory(home)
    host.send(request("p0", "ping"))
    reply = host.read()
    assert reply["id"] == "p0" and reply["ok"] is True
    assert reply["result"]["pong"] is True and reply["result"]["pid"] == daemon.pid

    methods = ["ping", "status", "pnig"] * 15  # all written before any reply is read
    host.write(b"".join(frame(request(f"r{i}", m)) for i, m in enumerate(methods)))
    replies = {}
    for _ in methods:
        message = host.read()
        assert message["id"] not in replies  # exactly one reply per request
        replies[message["id"]] = message
    assert set(replies) == {f"r{i}" for i in range(len(methods))}
    assert replies["r1"]["result"]["emails"]["kept"] == 0
    assert replies["r2"]["error"]["code"] == "bad_request"
    assert "method 'pnig' is not available to the browser" in replies["r2"]["error"]["message"]
    assert host.close() == 0


def test_the_browser_reaches_only_what_the_extensions_use(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    """stop, reload, pause, resume and sync are refused by the host, never forwarded."""
    host = host_factory(home)
    refused = ["pause", "stop", "reload", "sync", "resume", "Stop"]
    for i, method in enumerate(refused):
        host.send(request(f"x{i}", method))
    host.send({"v": 1, "id": "nm", "params": {}})
    host.send(request("s1", "status"))
    got = [host.read() for _ in range(len(refused) + 2)]
    allowed = "the browser may use only draft, cancel, ping, status, feedback, retrain"
    for i, method in enumerate(refused):
        assert got[i]["error"] == {
            "code": "bad_request",
            "message": f"method {method!r} is not available to the browser: {allowed};"
            " the rest is for the panza command and the tray",
        }
    assert got[-2]["error"]["message"].startswith('a request needs a "method": ')
    assert got[-1]["id"] == "s1" and got[-1]["result"]["paused"] is False  # pause never ran
    assert host.close() == 0
    assert daemon.poll() is None  # stop never reached the daemon


def test_bad_frames_get_error_frames_and_the_host_keeps_going(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    host = host_factory(home)
    huge = frame(request("big", "draft", instruction="SECRET-" + "x" * MiB))
    host.write(
        b"\x02\x00\x00\x00\xff\xfe"  # not UTF-8
        + b'\x14\x00\x00\x00{"id":"j1","v":1,oo}'  # not JSON
        + b"\x03\x00\x00\x00[1]"  # not an object
        + huge
        + frame(request("d1", "draft", instruction="SECRET-instruction"))
        + frame(request("p1", "ping"))
    )
    got = [host.read() for _ in range(6)]
    assert [(m["id"], m["error"]["code"]) for m in got[:4]] == [
        (None, "bad_request"),
        ("j1", "bad_request"),
        (None, "bad_request"),
        ("big", "too_large"),
    ]
    assert "not UTF-8" in got[0]["error"]["message"]
    assert "JSON object, not array" in got[2]["error"]["message"]
    # Requests run concurrently in the daemon: the ping may overtake the draft.
    last = {m["id"]: m for m in got[4:]}
    assert last["d1"]["ok"] is False  # answered by the daemon (no adapter trained here)
    assert last["d1"]["error"]["code"] == "not_ready"
    assert last["p1"] == {"id": "p1", "ok": True, "result": last["p1"]["result"]}
    assert host.proc.poll() is None
    assert host.close() == 0
    log = paths.resolve({"PANZA_HOME": str(home)}).logs_dir / "native-host.log"
    text = log.read_text()
    assert "started for chrome-extension://" in text and "SECRET" not in text


def test_host_waits_for_stdin_to_close_and_reports_a_truncated_last_frame(
    home: Path, host_factory: MakeHost
) -> None:
    host = host_factory(home)
    time.sleep(1.0)
    assert host.proc.poll() is None  # idle, no daemon: still there
    host.write(b"\x64\x00\x00\x00" + b'{"id":"t"')
    assert host.proc.stdin is not None
    host.proc.stdin.close()
    error = host.read()
    assert error["error"] == {
        "code": "bad_request",
        "message": "truncated frame: expected 100 bytes, the input ended after 9",
    }
    assert host.close() == 0


def test_daemon_down_gives_unavailable_then_the_host_reconnects(
    home: Path, host_factory: MakeHost
) -> None:
    host = host_factory(home)
    host.send(request("a", "ping"))
    down = host.read()
    assert down["id"] == "a" and down["error"]["code"] == "unavailable"
    message = down["error"]["message"]
    assert "Panza is not running" in message and "`panza daemon`" in message
    assert "`panza install`" in message

    proc = start_daemon(home)
    try:
        host.send(request("b", "ping"))
        assert host.read()["result"]["pid"] == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: no goodbye on the socket
        proc.wait(30)
    host.send(request("c", "ping"))
    assert host.read()["error"]["code"] == "unavailable"
    again = start_daemon(home)
    try:
        host.send(request("d", "ping"))
        assert host.read()["result"]["pid"] == again.pid
    finally:
        assert stop_daemon(again) == 0
    assert host.close() == 0


@pytest.mark.parametrize(
    "caller",
    [
        ["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
        ["/home/ada/.mozilla/native-messaging-hosts/org.panza.host.json", "evil@example.org"],
        [],
    ],
)
def test_wrong_caller_is_refused(home: Path, host_factory: MakeHost, caller: list[str]) -> None:
    host = host_factory(home, caller)
    refusal = host.read()
    assert refusal["id"] is None and refusal["error"]["code"] == "bad_request"
    assert "org.panza.host" in refusal["error"]["message"]
    assert host.proc.wait(10) == 1


def test_firefox_and_thunderbird_callers_are_served(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    manifest = "/home/ada/.mozilla/native-messaging-hosts/org.panza.host.json"
    host = host_factory(home, [manifest, GECKO_ID])
    host.send(request("g", "ping"))
    assert host.read()["ok"] is True
    assert host.close() == 0


def read_message(host: Host) -> dict[str, Any]:
    """One message, rebuilt from fragments when it came in several frames."""
    import json

    message = host.read()
    if message.get("event") != "fragment":
        return message
    data = [message["data"]]
    while not message["final"]:
        message = host.read()
        assert message["event"] == "fragment"
        data.append(message["data"])
    rebuilt = json.loads("".join(data))
    assert isinstance(rebuilt, dict)
    return rebuilt


def test_a_reply_over_one_mib_arrives_split_under_one_mib(
    daemon: subprocess.Popen[bytes], home: Path, host_factory: MakeHost
) -> None:
    where = paths.resolve({"PANZA_HOME": str(home)})
    original = where.config_file.read_text()
    keys = "".join(f"zz_unknown_setting_number_{i:06d} = 1\n" for i in range(30_000))
    where.config_file.write_text(original.replace("[cleaning]\n", "[cleaning]\n" + keys))
    deadline = time.monotonic() + 60
    with Client(where.socket_file, timeout=60) as client:
        while not (status := client.call("status"))["config_error"]:
            assert time.monotonic() < deadline, "the daemon did not notice the config change"
            time.sleep(0.2)
    assert len(status["config_error"].encode()) > 1.5 * MiB

    host = host_factory(home)
    host.send(request("big", "status"))
    reply = read_message(host)
    assert reply["id"] == "big" and reply["ok"] is True
    assert reply["result"]["config_error"] == status["config_error"]
    assert len(host.sizes) >= 2 and max(host.sizes) < MiB
    host.send(request("after", "ping"))  # still in step afterwards
    assert host.read()["id"] == "after"
    assert host.close() == 0
    where.config_file.write_text(original)


def test_log_goes_to_the_data_dir_never_stdout(home: Path, host_factory: MakeHost) -> None:
    host = host_factory(home, PANZA_HOST_DEBUG="1")
    host.send(request("x", "ping"))
    assert host.read()["error"]["code"] == "unavailable"  # the only bytes on stdout: frames
    assert host.close() == 0
    assert host.stderr() == ""
    log = paths.resolve({"PANZA_HOME": str(home)}).logs_dir / "native-host.log"
    assert "request x: ping" in log.read_text()
    assert os.stat(log.parent).st_mode & 0o777 == 0o700
