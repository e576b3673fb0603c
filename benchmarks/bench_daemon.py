"""The daemon (issue 6): socket-path overhead of a draft, memory and idle CPU of the process.

Run: .venv/bin/python benchmarks/bench_daemon.py [--n 20] [--tokens 16] [--idle 10]
Prints {name: {"value", "unit", "target", "baseline"}} as JSON; writes benchmarks/out/daemon.json.

A tiny Llama is built and trained on the sample persona's mail in a temp PANZA_HOME (seconds),
then a real ``panza daemon`` is started on that home.

* overhead: ``n`` drafts (fixed ``max_new_tokens``, temperature 0) through the daemon socket,
  interleaved one by one with the same draft generated in this process by a
  :class:`~panza.daemon.server.writer.Writer` on the same home (the daemon's code path without the
  socket, the event loop and the stored draft row); both on one torch thread. Reported:
  p50/p99 of each and their difference, and time to first token both ways.
* memory: the daemon's VmRSS from /proc/PID/status right after start (no model loaded;
  target <= 200 MB) and after one draft (model loaded).
* idle CPU: utime+stime from /proc/PID/stat over ``idle`` seconds with nothing to do.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "daemon.json"
sys.path.insert(0, str(ROOT))

os.environ["PANZA_TORCH_THREADS"] = "1"  # the daemon child reads it; as the tests do

import torch  # noqa: E402

from benchmarks.support import init_home, start_daemon, stop_daemon  # noqa: E402
from panza.daemon import paths  # noqa: E402
from panza.daemon.cli import main as cli  # noqa: E402
from panza.daemon.client import Client  # noqa: E402
from panza.daemon.config import load_config  # noqa: E402
from panza.daemon.demo.sample import generate, write_mbox  # noqa: E402
from panza.daemon.protocol import DraftParams  # noqa: E402
from panza.daemon.server.operations import Service  # noqa: E402
from panza.daemon.server.writer import Writer  # noqa: E402
from panza.daemon.store import Store  # noqa: E402
from panza.training.demo_corpus import documents  # noqa: E402
from panza.training.demo_model import TINY, build  # noqa: E402

INSTRUCTION = "Thank Tom for the report and ask about the cluster budget"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def figure(value: float, unit: str, target: str | None, baseline: Any) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def make_home(tmp: Path) -> Path:
    """A home with a tiny base model trained on the sample persona's mail, and its adapter."""
    messages = generate(16)
    texts = [m.text for m in messages if m.text] + list(documents(150, seed=1))
    base = build(tmp / "models" / "tiny-llama", TINY, texts=texts)
    home = init_home(
        tmp / "panza-home",
        # Each email's subject stands in for playback; two short epochs make an adapter.
        model={"base": str(base), "playback": "subject"},
        training={"epochs": 2, "full_epochs": 2, "max_length": 256, "rag_share": 0.0},
    )
    os.environ["PANZA_HOME"] = str(home)
    mbox = tmp / "sent.mbox"
    write_mbox(mbox, messages)
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the JSON
        for command in (["import", str(mbox)], ["playback"], ["train"]):
            assert cli(command) == 0, f"panza {command[0]} failed"
    return home


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def through_daemon(c: Client, tokens: int) -> tuple[float, float]:
    """(total, first token) seconds of one draft over the socket."""
    params = {"instruction": INSTRUCTION, "temperature": 0, "max_new_tokens": tokens}
    t0 = time.perf_counter()
    rid = c.send("draft", params)
    first: float | None = None
    for message in c.messages():
        if message.get("id") != rid:
            continue
        if message.get("event") == "token" and first is None:
            first = time.perf_counter()
        if "ok" in message:
            assert message["ok"], message
            break
    end = time.perf_counter()
    return end - t0, (first or end) - t0


def in_process(writer: Writer, tokens: int) -> tuple[float, float]:
    params = DraftParams(instruction=INSTRUCTION, temperature=0, max_new_tokens=tokens)
    first: list[float] = []

    def on_token(_text: str) -> None:
        if not first:
            first.append(time.perf_counter())

    t0 = time.perf_counter()
    writer.write(params, on_token, threading.Event())
    end = time.perf_counter()
    return end - t0, (first[0] if first else end) - t0


def run(n: int, tokens: int, idle: float) -> dict[str, Any]:
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="panza-bench-daemon-"))
    try:
        home = make_home(tmp)
        where = paths.resolve()
        proc = start_daemon(home)
        try:
            time.sleep(1.0)  # let start-up settle before reading memory
            rss_idle = rss_mb(proc.pid)
            c0 = cpu_s(proc.pid)
            time.sleep(idle)
            idle_cpu = cpu_s(proc.pid) - c0
            with Client(where.socket_file, timeout=300) as c, Store(where.db_file) as store:
                through_daemon(c, tokens)  # loads the model in the daemon
                rss_loaded = rss_mb(proc.pid)
                writer = Writer(Service(where, load_config(where.config_file), store))
                in_process(writer, tokens)  # loads it here
                daemon_t: list[float] = []
                daemon_ft: list[float] = []
                local_t: list[float] = []
                local_ft: list[float] = []
                for _ in range(n):
                    total, ft = through_daemon(c, tokens)
                    daemon_t.append(total)
                    daemon_ft.append(ft)
                    total, ft = in_process(writer, tokens)
                    local_t.append(total)
                    local_ft.append(ft)
        finally:
            assert stop_daemon(proc) == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def ms(x: float) -> float:
        return round(x * 1000, 2)

    diffs = [d - i for d, i in zip(daemon_t, local_t, strict=True)]
    return {
        "socket_overhead_p50": figure(
            ms(statistics.median(daemon_t) - statistics.median(local_t)),
            "ms",
            "<= 5",
            f"in-process p50 {ms(statistics.median(local_t))} ms",
        ),
        "socket_overhead_p99": figure(
            ms(percentile(daemon_t, 99) - percentile(local_t, 99)),
            "ms",
            None,
            f"in-process p99 {ms(percentile(local_t, 99))} ms",
        ),
        "socket_overhead_paired_median": figure(
            ms(statistics.median(diffs)), "ms", "<= 5", "median of per-pair differences"
        ),
        "draft_p50_daemon": figure(
            ms(statistics.median(daemon_t)), "ms", None, ms(statistics.median(local_t))
        ),
        "draft_p99_daemon": figure(
            ms(percentile(daemon_t, 99)), "ms", None, ms(percentile(local_t, 99))
        ),
        "first_token_p50_daemon": figure(
            ms(statistics.median(daemon_ft)), "ms", None, ms(statistics.median(local_ft))
        ),
        "first_token_p99_daemon": figure(
            ms(percentile(daemon_ft, 99)), "ms", None, ms(percentile(local_ft, 99))
        ),
        "rss_idle_no_model": figure(round(rss_idle, 1), "MB", "<= 200", None),
        "rss_model_loaded": figure(round(rss_loaded, 1), "MB", None, round(rss_idle, 1)),
        "idle_cpu": figure(
            round(idle_cpu / idle * 100, 3),
            "% of one core",
            "~0",
            f"{idle_cpu:.2f} s over {idle} s",
        ),
        "_setup": {
            "n": n,
            "max_new_tokens": tokens,
            "model": "tiny Llama (2 layers, 32 wide), trained adapter v0001",
            "torch_threads": 1,
            "loadavg": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        },
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="drafts each way (interleaved)")
    parser.add_argument("--tokens", type=int, default=16, help="max_new_tokens per draft")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU sampling")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    results = run(args.n, args.tokens, args.idle)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
