"""Native messaging host: start-up time and relay overhead per message against a real daemon.

Run: .venv/bin/python benchmarks/bench_native.py [--n 2000] [--starts 20]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON; writes benchmarks/out/native.json.

* start-up: spawn ``python -m panza.native_host ORIGIN`` and time until the reply to a ping
  written at once comes back (baseline: spawning a bare ``python -c pass`` to its exit); and,
  in a fresh interpreter, importing the host alone, and importing it plus relaying the first
  ping (DESIGN's target: under 100 ms).
* relay overhead: ``n`` sequential ping round trips through one host process (frames on
  pipes, relayed to the socket) against the same pings sent straight to the socket (the
  baseline), alternating one by one in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "native.json"
sys.path.insert(0, str(ROOT))

from benchmarks.support import Host, init_home, start_daemon, stop_daemon  # noqa: E402
from panza.daemon import paths  # noqa: E402
from panza.native_host.framing import encode as frame  # noqa: E402
from panza.native_host.ids import CHROME_EXTENSION_ID, chrome_origin  # noqa: E402

ORIGIN = chrome_origin(CHROME_EXTENSION_ID)
PING = {"v": 1, "id": "b", "method": "ping", "params": {}}

FIRST_RELAY = """
import io, sys, threading, time
t0 = time.perf_counter()
import panza.native_host.__main__
from panza.daemon import paths
from panza.native_host.relay import FrameWriter, Relay
t1 = time.perf_counter()
done = threading.Event()
class Out(io.BytesIO):
    def flush(self):
        done.set()
relay = Relay(paths.resolve().socket_file, FrameWriter(Out()))
relay.forward({"v": 1, "id": "b", "method": "ping", "params": {}})
done.wait(10)
t2 = time.perf_counter()
print(t1 - t0, t2 - t0)
"""


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spawn_to_first_reply(env: dict[str, str], starts: int) -> list[float]:
    times = []
    for _ in range(starts):
        t0 = time.perf_counter()
        host = Host(Path(env["PANZA_HOME"]))
        host.write(frame(PING))
        reply = host.read()
        times.append(time.perf_counter() - t0)
        assert reply.get("ok"), reply
        host.close()
    return times


def bare_python(starts: int) -> list[float]:
    times = []
    for _ in range(starts):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=os.environ)
        times.append(time.perf_counter() - t0)
    return times


def import_and_first_relay(env: dict[str, str], starts: int) -> tuple[list[float], list[float]]:
    imports, firsts = [], []
    for _ in range(starts):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_RELAY], env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        imports.append(float(out[0]))
        firsts.append(float(out[1]))
    return imports, firsts


def round_trips(home: Path, sock_path: Path, n: int) -> tuple[list[float], list[float]]:
    """``n`` pings through the host and ``n`` straight to the socket, alternating one by one
    so that whatever else the machine does hits both paths alike."""
    host = Host(home)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(sock_path))
    lines = sock.makefile("rb")

    def via_host(i: int) -> float:
        message = frame({**PING, "id": f"h{i}"})
        t0 = time.perf_counter()
        host.write(message)
        host.read()
        return time.perf_counter() - t0

    def direct(i: int) -> float:
        line = json.dumps({**PING, "id": f"d{i}"}).encode() + b"\n"
        t0 = time.perf_counter()
        sock.sendall(line)
        json.loads(lines.readline())
        return time.perf_counter() - t0

    for i in range(50):  # warm up both
        via_host(i), direct(i)
    hosted, straight = [], []
    for i in range(n):
        hosted.append(via_host(i))
        straight.append(direct(i))
    host.close()
    lines.close()
    sock.close()
    return hosted, straight


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="round trips per path")
    parser.add_argument("--starts", type=int, default=20, help="host start-ups to time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-native-"))
    home = init_home(tmp / "panza")
    # Bytecode as an installed package has it (pip compiles at install time), kept out of
    # the source tree; the Makefile's PYTHONDONTWRITEBYTECODE would time the compiler.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env = {**os.environ, "PANZA_HOME": str(home)}
    proc = start_daemon(home)
    try:
        sock = paths.resolve({"PANZA_HOME": str(home)}).socket_file
        spawn_to_first_reply(env, 2), bare_python(2), import_and_first_relay(env, 2)  # warm
        spawn = spawn_to_first_reply(env, args.starts)
        bare = bare_python(args.starts)
        imports, firsts = import_and_first_relay(env, args.starts)
        hosted, straight = round_trips(home, sock, args.n)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        stop_daemon(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    med = statistics.median
    figures = {
        "host_spawn_to_first_reply_ms": fig(
            ms(med(spawn)), "ms (median)", None, {"python -c pass": ms(med(bare))}
        ),
        "host_import_ms": fig(ms(med(imports)), "ms (median)"),
        "host_import_and_first_relay_ms": fig(ms(med(firsts)), "ms (median)", 100),
        "relay_round_trip_p50_ms": fig(ms(pct(hosted, 0.5)), "ms", None, ms(pct(straight, 0.5))),
        "relay_round_trip_p99_ms": fig(ms(pct(hosted, 0.99)), "ms", None, ms(pct(straight, 0.99))),
        "relay_overhead_p50_ms": fig(
            ms(pct(hosted, 0.5) - pct(straight, 0.5)), "ms", 1.0, "direct socket = 0"
        ),
        "relay_overhead_p99_ms": fig(
            ms(pct(hosted, 0.99) - pct(straight, 0.99)), "ms", 5.0, "direct socket = 0"
        ),
    }
    text = json.dumps(figures, indent=2)
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
