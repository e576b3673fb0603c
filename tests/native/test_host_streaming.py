"""Streaming through the real host: events as separate frames in order, concurrency, cancel,
the service start attempt, and (once the daemon serves it) a streamed draft.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.demo.sample import PERSONA, generate
from tests.native.conftest import Host, MiB, request, start_daemon, stop_daemon

pytestmark = pytest.mark.integration
MakeHost = Callable[..., Host]
WIDE_HOST = "tests.native.wide_host"  # the browser may not sync; these tests need a long request

FAKE_SYSTEMCTL = """\
#!/bin/sh
# Stands in for systemd: records the call, then starts the real daemon as the unit would.
echo "$*" >> "$CALLS"
if [ -n "$FAIL" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
setsid "$PYTHON" -m panza.daemon.cli daemon >>"$DAEMON_LOG" 2>&1 </dev/null &
echo $! > "$PIDFILE"
"""


@pytest.fixture
def user_home(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A HOME with the user unit installed and a ``systemctl`` that records its calls."""
    home = tmp_path / "home"
    unit = home / ".config" / "systemd" / "user" / "panza.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(0o755)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "PIDFILE": str(tmp_path / "daemon.pid"),
        "DAEMON_LOG": str(tmp_path / "daemon.log"),
        "PYTHON": sys.executable,
    }
    yield env
    pidfile = Path(env["PIDFILE"])
    if pidfile.exists():  # the daemon our fake systemctl started
        os.kill(int(pidfile.read_text()), signal.SIGTERM)


def test_an_installed_service_is_started_once_then_the_request_goes_through(
    home: Path, host_factory: MakeHost, user_home: dict[str, str]
) -> None:
    host = host_factory(home, **user_home)
    host.send(request("s", "ping"))
    frames = host.until_reply("s", timeout=60)
    assert frames[0] == {
        "id": "s",
        "event": "progress",
        "stage": "starting the Panza daemon",
        "done": 0,
        "total": None,
    }
    assert frames[-1]["ok"] is True and frames[-1]["result"]["pong"] is True
    assert Path(user_home["CALLS"]).read_text() == "--user start panza.service\n"
    host.send(request("t", "ping"))
    assert host.read()["ok"] is True
    assert host.close() == 0
    sock = paths.resolve({"PANZA_HOME": str(home)}).socket_file
    os.kill(int(Path(user_home["PIDFILE"]).read_text()), signal.SIGTERM)
    Path(user_home["PIDFILE"]).unlink()
    deadline = time.monotonic() + 30
    while sock.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sock.exists()


def test_a_failed_service_start_is_reported_and_not_repeated(
    home: Path, host_factory: MakeHost, user_home: dict[str, str]
) -> None:
    host = host_factory(home, FAIL="1", **user_home)
    host.send(request("a", "ping"))
    frames = host.until_reply("a")
    message = frames[-1]["error"]["message"]
    assert frames[-1]["error"]["code"] == "unavailable"
    assert "starting its service failed" in message
    assert "systemctl --user start panza.service: Failed to connect to bus" in message
    assert "`panza doctor`" in message
    host.send(request("b", "ping"))
    again = host.read()["error"]
    assert again["code"] == "unavailable" and "did not come up" in again["message"]
    assert Path(user_home["CALLS"]).read_text().count("start") == 1  # one attempt
    assert host.close() == 0


# --- events from a real sync (Dovecot) ------------------------------------------------
@pytest.fixture
def imap_home(tmp_path: Path, test_keyring: dict[str, str]) -> Iterator[tuple[Path, int]]:
    """A PANZA_HOME with one IMAP account on a real local Dovecot holding sent mail."""
    dovecot = pytest.importorskip("panza.daemon.demo.sample.dovecot")
    binary = dovecot.dovecot_binary()
    if binary is None or not dovecot.dovecot_version(binary).startswith("2.3."):
        pytest.skip("needs Dovecot 2.3 (apt-get install dovecot-imapd) for a real sync")
    from panza.daemon.secrets import set_secret
    from tests.native.conftest import init_home

    (tmp_path / "tls").mkdir()
    tls = dovecot.make_self_signed(tmp_path / "tls")
    server = dovecot.Dovecot(binary, tls).start()
    try:
        user = f"ada{os.getpid()}"
        client = server.client(user)
        messages = generate(30, seed=7)
        dovecot.append(client, [m.raw for m in messages])
        client.logout()
        home = init_home(tmp_path / "panza", PERSONA.address, PERSONA.alias, name=PERSONA.name)
        config = paths.resolve({"PANZA_HOME": str(home)}).config_file
        account = textwrap.dedent(f"""
            [accounts.work]
            kind = "imap"
            host = "127.0.0.1"
            port = {server.tls_port}
            user = "{user}"
            ca_file = "{tls.cert}"
            """)
        config.write_text(config.read_text() + account)
        set_secret("work", "password", dovecot.PASSWORD)
        yield home, sum(m.keep for m in messages)
    finally:
        server.cleanup()


@pytest.mark.slow
def test_sync_progress_streams_as_separate_frames_in_order_while_ping_overtakes(
    imap_home: tuple[Path, int], host_factory: MakeHost
) -> None:
    home, kept = imap_home
    proc = start_daemon(home)
    try:
        host = host_factory(home, module=WIDE_HOST)
        host.send(request("s1", "sync"))
        host.send(request("p1", "ping"))
        frames = host.until_reply("s1", timeout=120)
        order = [(m["id"], m.get("event", "reply")) for m in frames]
        assert order.index(("p1", "reply")) < order.index(("s1", "reply"))
        events = [m for m in frames if m["id"] == "s1" and m.get("event") == "progress"]
        stages = list(dict.fromkeys(e["stage"] for e in events))
        assert stages == ["sync work", "index"]  # as the daemon emitted them
        for stage in stages:
            done = [e["done"] for e in events if e["stage"] == stage]
            assert done == sorted(done), f"{stage} progress out of order: {done}"
        assert order[-1] == ("s1", "reply")
        (account,) = frames[-1]["result"]["accounts"]
        assert account["ok"] is True and account["kept"] == kept
        assert max(host.sizes) < MiB
        assert host.close() == 0
    finally:
        assert stop_daemon(proc) == 0


@pytest.mark.slow
def test_cancel_passes_through_to_the_running_request(
    imap_home: tuple[Path, int], host_factory: MakeHost
) -> None:
    home, _ = imap_home
    proc = start_daemon(home)
    try:
        host = host_factory(home, module=WIDE_HOST)
        host.send(request("s1", "sync"))
        first = host.read(timeout=60)
        assert first["id"] == "s1" and first["event"] == "progress"
        host.send(request("c1", "cancel", target="s1"))
        frames = host.until_reply("s1", timeout=60)
        replies = {m["id"]: m for m in frames if "ok" in m}
        if "c1" not in replies:
            replies["c1"] = host.until_reply("c1")[-1]
        assert replies["c1"] == {"id": "c1", "ok": True, "result": {"cancelled": True}}
        assert replies["s1"]["error"]["code"] == "cancelled"
        assert host.close() == 0
    finally:
        assert stop_daemon(proc) == 0


# The draft method through the host, with a trained tiny model, is in
# tests/server/test_draft.py (it needs the training fixtures).
