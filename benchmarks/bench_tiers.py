"""How long the fast tier (`make check`) takes, against the tests a developer ran before it.

`make check` is ruff, mypy and the unit tier (no servers, processes or models). The
baseline, in the same run, is the quickest selection there was before the `process` and
`model` markers: everything not marked integration, slow or gpu. Wall time depends on
what else the machine does, so the CPU time (user + system, children included) and the
load average before and after are recorded too.
Run: .venv/bin/python benchmarks/bench_tiers.py
Writes benchmarks/out/tiers.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "tiers.json"
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider"]
BEFORE = "not integration and not slow and not gpu"


def measure(cmd: list[str], must_pass: bool = True) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, children included) and the exit status."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if must_pass and code != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, code


def main() -> None:
    load_before = os.getloadavg()[0]
    check_wall, check_cpu, _ = measure(["make", "-s", "check"])
    # The old selection holds timing bounds meant for integration runs, which a loaded
    # machine can miss; its time counts either way.
    before_wall, before_cpu, before_code = measure([*PYTEST, "-m", BEFORE], must_pass=False)
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, 2 cores"
    figures = {
        "make check, wall": {
            "value": round(check_wall, 1),
            "unit": "s",
            "target": "< 60",
            "baseline": round(before_wall, 1),
            "baseline_is": f"pytest -m '{BEFORE}' (no lint, no types)",
            "baseline_exit_status": before_code,
            "note": load,
        },
        "make check, CPU (user + system)": {
            "value": round(check_cpu, 1),
            "unit": "s",
            "target": "< 60",
            "baseline": round(before_cpu, 1),
            "note": "what the wall time comes to on an otherwise quiet machine, roughly",
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
