"""Extraction quality and `panza import` throughput, side by side with the reference extractor.

Needs ../shared/data (david-1k.mbox + truth) beside the checkout.
Run: .venv/bin/python benchmarks/bench_ingest.py [--runs 3]
Writes benchmarks/out/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MBOX = SHARED / "data" / "david-1k.mbox"
TRUTH = SHARED / "data" / "david-1k.truth.jsonl"
SCORER = SHARED / "score_extract.py"
OWNER = "david@example.org"
PANZA = [sys.executable, "-m", "panza.daemon.cli"]


def timed(cmd: list[str], env: dict[str, str], stdout: int | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command, via wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout or subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss


def score(out: Path) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, SCORER, TRUTH, out], capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def fresh_home(tmp: Path, name: str) -> dict[str, str]:
    env = {**os.environ, "PANZA_HOME": str(tmp / name)}
    subprocess.run(
        [*PANZA, "init", "--name", "David", "--email", OWNER],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def build(tmp: Path, copies: int) -> Path:
    """david-1k repeated ``copies`` times with distinct Message-IDs (no dedupe shortcut)."""
    src = MBOX.read_bytes()
    path = tmp / f"david-{copies}k.mbox"
    with path.open("wb") as fh:
        for i in range(copies):
            fh.write(re.sub(rb"(?m)^Message-ID: <", b"Message-ID: <c%d." % i, src))
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not MBOX.exists():
        raise SystemExit(f"needs {MBOX} (the shared data beside the checkout)")
    tmp = Path(tempfile.mkdtemp(prefix="panza-bench-"))
    figures: dict[str, dict[str, object]] = {}

    env = fresh_home(tmp, "quality")
    subprocess.run([*PANZA, "import", MBOX], env=env, check=True, capture_output=True)
    ours = tmp / "ours.jsonl"
    subprocess.run([*PANZA, "emails", "--export", ours], env=env, check=True, capture_output=True)
    ref = tmp / "reference.jsonl"
    with ref.open("w") as fh:
        subprocess.run(
            [sys.executable, ROOT / "benchmarks" / "reference_extractor.py", MBOX, OWNER],
            stdout=fh,
            check=True,
        )
    q, qr = score(ours), score(ref)
    figures["extract_exact_frac"] = {
        "value": q["exact_frac"],
        "unit": "fraction",
        "target": ">= 0.97",
        "baseline": qr["exact_frac"],
    }
    figures["extract_dirty_frac"] = {
        "value": q["dirty_frac"],
        "unit": "fraction",
        "target": "<= 0.01",
        "baseline": qr["dirty_frac"],
    }

    big = build(tmp, 10)
    walls, rss = [], []
    for i in range(args.runs):
        wall, peak = timed([*PANZA, "import", str(big)], fresh_home(tmp, f"speed{i}"))
        walls.append(wall)
        rss.append(peak)
    ref_wall, ref_rss = timed(
        [sys.executable, str(ROOT / "benchmarks" / "reference_extractor.py"), str(big), OWNER],
        dict(os.environ),
    )
    n = 10_000
    figures["import_msgs_per_s"] = {
        "value": round(n / statistics.median(walls)),
        "unit": "messages/s",
        "target": ">= 4500",
        "baseline": round(n / ref_wall),
        "best": round(n / min(walls)),
        "runs": args.runs,
    }
    figures["import_peak_rss"] = {
        "value": round(max(rss) / 1024),
        "unit": "MiB",
        "target": None,
        "baseline": round(ref_rss / 1024),
    }
    # Streaming: five times the messages must not need five times the memory.
    _, rss_50k = timed([*PANZA, "import", str(build(tmp, 50))], fresh_home(tmp, "speed50k"))
    figures["import_peak_rss_50k"] = {
        "value": round(rss_50k / 1024),
        "unit": "MiB",
        "target": "about the 10k figure",
        "baseline": None,
    }
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "ingest.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
