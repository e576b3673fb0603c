"""What the socket checks cost the native host (issue 15): its start-up, and each connect.

Run: .venv/bin/python benchmarks/bench_security.py [--starts 30] [--connects 3000] [--base REV]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON; writes benchmarks/out/security.json.

* host import + first relayed ping, in a fresh interpreter, for this tree and for ``--base``
  (the revision before the checks: no folder check, no peer-uid check, no allowlist),
  alternating one start of each against the same running daemon. Each tree is imported from
  a folder on PYTHONPATH that maps ``panza.daemon`` / ``panza.native_host`` onto it (ahead
  of the editable install); timed as bench_native.py times it, after the interpreter's own
  start-up. DESIGN's target is 100 ms.
* one connect to the daemon socket with the listener's uid checked (``peer.connect``)
  against a bare ``socket.connect``, alternating, against the same listener.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "security.json"
BASE = "b90c455"  # the last commit before the issue 15 security changes
sys.path.insert(0, str(ROOT))

from benchmarks.support import init_home, start_daemon, stop_daemon  # noqa: E402
from panza.daemon import peer  # noqa: E402

FIRST_RELAY = """
import io, threading, time
t0 = time.perf_counter()
import panza.native_host.__main__
from panza.daemon import paths
from panza.native_host.relay import FrameWriter, Relay
done = threading.Event()
class Out(io.BytesIO):
    def flush(self):
        done.set()
out = Out()
relay = Relay(paths.resolve().socket_file, FrameWriter(out))
relay.forward({"v": 1, "id": "b", "method": "ping", "params": {}})
done.wait(10)
t1 = time.perf_counter()
assert b'"ok":true' in out.getvalue(), out.getvalue()
print(t1 - t0)
"""


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def layout(root: Path, tree: Path) -> Path:
    """A folder where ``panza.daemon`` and ``panza.native_host`` are ``tree``'s."""
    (root / "panza").mkdir(parents=True)
    for part in ("daemon", "native_host"):
        (root / "panza" / part).symlink_to(tree / part)
    return root


def extract(rev: str, into: Path) -> Path:
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "daemon", "native_host"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def first_relay(env: dict[str, str], where: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_RELAY],
        env={**env, "PYTHONPATH": str(where)},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.split()[-1])


def connects(sock_path: Path, n: int) -> tuple[list[float], list[float]]:
    """``n`` connects of each kind to a listener that accepts and closes at once."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1024)

    def accept() -> None:
        for _ in range(2 * n):
            server.accept()[0].close()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    checked, bare = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        peer.connect(sock_path, 5).close()
        t1 = time.perf_counter()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sock_path))
        s.close()
        t2 = time.perf_counter()
        checked.append(t1 - t0)
        bare.append(t2 - t1)
    acceptor.join(30)
    server.close()
    return checked, bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=30, help="host start-ups per tree")
    parser.add_argument("--connects", type=int, default=3000, help="connects per kind")
    parser.add_argument("--base", default=BASE, help="the revision to compare with")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-security-"))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # time bytecode, not the compiler
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    home = init_home(tmp / "panza")
    env = {**os.environ, "PANZA_HOME": str(home)}
    now = layout(tmp / "now", ROOT)
    base = layout(tmp / "base", extract(args.base, tmp / "base-tree"))
    proc = start_daemon(home)
    try:
        first_relay(env, now), first_relay(env, base)  # warm both bytecode caches
        mine, before = [], []
        for _ in range(args.starts):
            mine.append(first_relay(env, now))
            before.append(first_relay(env, base))
    finally:
        stop_daemon(proc)
    checked, bare = connects(tmp / "listener.sock", args.connects)
    shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    before_ms, bare_us = round(med(before) * 1000, 2), round(med(bare) * 1e6, 1)
    figures = {
        "host_import_and_first_relay_ms": fig(
            round(med(mine) * 1000, 2), "ms (median)", 100, {args.base: before_ms}
        ),
        "checked_connect_us": fig(
            round(med(checked) * 1e6, 1), "µs (median)", None, {"bare connect": bare_us}
        ),
    }
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
