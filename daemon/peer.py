"""Who is at the other end of the daemon socket, checked before a client sends a byte.

Linux tells with ``SO_PEERCRED`` (a ``struct ucred``), macOS with ``LOCAL_PEERCRED``
(a ``struct xucred``, the call behind ``getpeereid``). Stdlib only: the native host
imports this and must start in well under 100 ms.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

from panza.daemon.errors import UnsafeSocketError

TYPE_CHECKING = False  # typing's costs start-up time; mypy still sees it as True
if TYPE_CHECKING:
    from pathlib import Path

UCRED = struct.Struct("=iII")  # pid, uid, gid
XUCRED = struct.Struct("@IIh16I")  # cr_version, cr_uid, cr_ngroups, cr_groups[16]
XUCRED_VERSION = 0
SOL_LOCAL = 0  # <sys/un.h>
LOCAL_PEERCRED = 0x001


def parse_ucred(raw: bytes) -> int:
    """The uid in a Linux ``struct ucred``."""
    if len(raw) < UCRED.size:
        raise ValueError(f"struct ucred is {UCRED.size} bytes, got {len(raw)}")
    return int(UCRED.unpack_from(raw)[1])


def parse_xucred(raw: bytes) -> int:
    """The uid in a macOS ``struct xucred``."""
    if len(raw) < 8:
        raise ValueError(f"struct xucred is {XUCRED.size} bytes, got {len(raw)}")
    version, uid = struct.unpack_from("@II", raw)
    if version != XUCRED_VERSION:
        raise ValueError(f"unknown struct xucred version {version}")
    return int(uid)


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket, if the OS tells."""
    if hasattr(socket, "SO_PEERCRED"):
        return parse_ucred(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))
    if sys.platform == "darwin":
        option = getattr(socket, "LOCAL_PEERCRED", LOCAL_PEERCRED)
        return parse_xucred(sock.getsockopt(SOL_LOCAL, option, XUCRED.size))
    return None


def check_peer(sock: socket.socket, path: Path | str) -> None:
    """Raise UnsafeSocketError unless this user's own process listens on ``sock``."""
    try:
        uid = peer_uid(sock)
    except (OSError, ValueError):
        uid = None
    if uid == os.getuid():
        return
    who = "an unknown user" if uid is None else f"uid {uid}"
    raise UnsafeSocketError(
        f"the process listening on {path} belongs to {who}, not to you (uid {os.getuid()}):"
        " it is not your Panza daemon, so nothing was sent to it. Stop it, or remove its"
        " socket folder, then start Panza again"
    )


def connect(path: Path | str, timeout: float | None) -> socket.socket:
    """A connection to the daemon socket at ``path`` whose listener is this user's own.

    OSError when nothing listens there; UnsafeSocketError when a stranger does.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(str(path))
        check_peer(sock, path)
    except BaseException:
        sock.close()
        raise
    return sock
