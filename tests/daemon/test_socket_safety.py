"""The socket folder and the daemon socket cannot be taken over by another local user.

The attacks: another user makes the run folder first (``/tmp/panza-<uid>`` when
``XDG_RUNTIME_DIR`` is unset) or listens on the socket, to receive every draft
request. The folder is refused unless it is a real folder of this user closed to
others, and every client checks the listener's uid before it sends a byte.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import struct
import tempfile
from pathlib import Path

import pytest

from panza.daemon import paths, peer
from panza.daemon.client import Client, ForeignDaemon
from panza.daemon.errors import UnsafeSocketError
from panza.installer import doctor_install
from panza.native_host.relay import FrameWriter, Relay
from tests.daemon_process import panza
from tests.other_user import NOBODY, Listener, make_dir_as, needs_root, shared_dir


def test_run_dir_defaults_to_a_per_user_temp_folder_without_xdg_runtime_dir() -> None:
    where = paths.resolve({"HOME": "/home/ada"})
    assert where.run_dir == Path(tempfile.gettempdir()) / f"panza-{os.getuid()}"


def test_absent_run_dir_is_made_private(tmp_path: Path) -> None:
    run = paths.ensure_run_dir(tmp_path / "home" / "run")
    assert stat.S_IMODE(os.lstat(run).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(run.parent).st_mode) == 0o700


def test_symlinked_run_dir_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "run").symlink_to(target)
    with pytest.raises(UnsafeSocketError, match="is a symbolic link, not a folder of yours"):
        paths.ensure_run_dir(tmp_path / "run")


def test_run_dir_open_to_others_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    run.chmod(0o755)
    with pytest.raises(UnsafeSocketError) as info:
        paths.ensure_run_dir(run)
    assert str(info.value) == (
        f"the socket folder {run} is open to other users (mode 755): run `chmod 700 {run}`"
        f" or remove it (rm -r {run}) or set XDG_RUNTIME_DIR to a folder only you can open"
    )
    assert stat.S_IMODE(run.stat().st_mode) == 0o755  # refused, not silently changed


def test_a_file_in_place_of_the_run_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("")
    with pytest.raises(UnsafeSocketError, match="is not a folder"):
        paths.ensure_run_dir(tmp_path / "run")


@needs_root
def test_run_dir_made_first_by_another_user_is_refused() -> None:
    with shared_dir() as tmp:
        run = make_dir_as(NOBODY, tmp / f"panza-{os.getuid()}")
        with pytest.raises(UnsafeSocketError) as info:
            paths.ensure_run_dir(run)
    assert f"belongs to uid {NOBODY}, not to you (uid {os.getuid()})" in str(info.value)


@needs_root
def test_daemon_and_cli_refuse_a_run_dir_made_by_another_user() -> None:
    """Another user made the folder first and listens in it: the daemon says so in one
    line, and the CLI's client sends the listener nothing."""
    with shared_dir() as tmp:
        home = make_dir_as(0, tmp / "home", 0o755)
        run = make_dir_as(NOBODY, home / "run", 0o777)
        attacker = Listener(NOBODY, run / "daemon.sock")
        daemon = panza("daemon", home=home)
        status = panza("status", home=home)
        received = attacker.received()
    assert daemon.returncode == 1
    assert daemon.stderr.strip().splitlines()[-1] == (
        f"panza: error: the socket folder {run} belongs to uid {NOBODY}, not to you"
        f" (uid {os.getuid()}), so another user could read your requests: remove it"
        f" (rm -r {run}) or set XDG_RUNTIME_DIR to a folder only you can open"
    )
    assert status.returncode == 1
    assert "it is not your Panza daemon, so nothing was sent to it" in status.stderr
    assert received == 0


@needs_root
def test_client_refuses_a_listener_of_another_uid_before_sending_a_byte() -> None:
    with shared_dir() as tmp:
        sock = tmp / "daemon.sock"
        attacker = Listener(NOBODY, sock)
        with pytest.raises(ForeignDaemon) as info, Client(sock, timeout=5) as client:
            client.call("draft", {"instruction": "Tell Priya the launch code"})
        received = attacker.received()
    assert received == 0
    assert f"belongs to uid {NOBODY}, not to you" in str(info.value)
    assert "nothing was sent" in str(info.value)


@needs_root
def test_native_host_relay_refuses_a_listener_of_another_uid() -> None:
    out = io.BytesIO()
    with shared_dir() as tmp:
        sock = tmp / "daemon.sock"
        attacker = Listener(NOBODY, sock)
        relay = Relay(sock, FrameWriter(out))
        relay.forward({"v": 1, "id": "d1", "method": "draft", "params": {"instruction": "x"}})
        relay.close()
        received = attacker.received()
    assert received == 0
    (size,) = struct.unpack("=I", out.getvalue()[:4])
    reply = out.getvalue()[4 : 4 + size].decode()
    assert '"code":"unavailable"' in reply and f"belongs to uid {NOBODY}" in reply


@needs_root
def test_doctor_fails_the_socket_check_for_a_folder_of_another_user() -> None:
    with shared_dir() as tmp:
        home = make_dir_as(0, tmp / "home", 0o755)
        run = make_dir_as(NOBODY, home / "run")
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(run / "daemon.sock"))  # root may; the owner check still fails
            check = doctor_install.socket_permissions(paths.resolve({"PANZA_HOME": str(home)}))
    assert check.status == "FAIL"
    assert f"belongs to uid {NOBODY}" in check.detail


def test_own_listener_passes_the_peer_check() -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer.peer_uid(a) == os.getuid()
        peer.check_peer(a, "pair")  # no exception


def test_linux_ucred_is_parsed() -> None:
    raw = struct.pack("=iII", 4242, 1000, 1000)
    assert peer.parse_ucred(raw) == 1000


def test_macos_xucred_is_parsed() -> None:
    # struct xucred as getsockopt(SOL_LOCAL, LOCAL_PEERCRED) returns it: version 0, uid 501,
    # 2 groups (20 staff, 12 everyone), the rest of cr_groups zero.
    raw = struct.pack("@IIh16I", 0, 501, 2, 20, 12, *([0] * 14))
    assert len(raw) == peer.XUCRED.size == 76
    assert peer.parse_xucred(raw) == 501


def test_macos_xucred_of_an_unknown_version_or_too_short_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown struct xucred version 7"):
        peer.parse_xucred(struct.pack("@IIh16I", 7, 501, 0, *([0] * 16)))
    with pytest.raises(ValueError, match="got 4"):
        peer.parse_xucred(b"\0\0\0\0")


def test_making_the_run_dir_leaves_a_shared_parent_as_it_is(tmp_path: Path) -> None:
    """/tmp/panza-<uid>: the run folder is made private, /tmp itself stays 1777."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    run = paths.ensure_run_dir(shared / f"panza-{os.getuid()}")
    assert stat.S_IMODE(os.lstat(shared).st_mode) == 0o1777
    assert stat.S_IMODE(os.lstat(run).st_mode) == 0o700


@needs_root
def test_the_tray_treats_a_listener_of_another_uid_as_no_daemon() -> None:
    from panza.daemon.tray.app import StatusPoller

    with shared_dir() as tmp:
        sock = tmp / "daemon.sock"
        attacker = Listener(NOBODY, sock)
        seen = StatusPoller(sock, timeout=5).poll()
        received = attacker.received()
    assert seen is None and received == 0


def test_doctor_names_an_open_run_dir_even_without_a_socket(tmp_path: Path) -> None:
    where = paths.resolve({"PANZA_HOME": str(tmp_path)})
    where.run_dir.mkdir(0o755)
    where.run_dir.chmod(0o755)
    check = doctor_install.socket_permissions(where)
    assert (check.status, check.fix) == ("FAIL", f"stop the daemon, rm -r {where.run_dir}")
    assert check.detail.startswith(f"the socket folder {where.run_dir} is open to other users")


def test_native_host_says_why_when_the_socket_folder_is_unsafe(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir(0o755)
    run.chmod(0o755)
    out = io.BytesIO()
    relay = Relay(run / "daemon.sock", FrameWriter(out))
    relay.forward({"v": 1, "id": "p1", "method": "ping", "params": {}})
    relay.close()
    (size,) = struct.unpack("=I", out.getvalue()[:4])
    reply = json.loads(out.getvalue()[4 : 4 + size])
    assert reply["error"]["code"] == "unavailable"
    assert reply["error"]["message"].startswith(
        f"Panza cannot start: the socket folder {run} is open to other users (mode 755)"
    )
