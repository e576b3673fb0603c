"""Extension latency: click on "Draft with Panza" to the first token shown, minus the model.

Run: .venv/bin/python benchmarks/bench_extension.py [--n 20]
Drives real Chromium with the built extension, the real native host and a daemon
(bench_extension.mjs, on the e2e harness in extension/test/e2e). Needs /usr/bin/chromium
and extension/node_modules (``make node-deps``). Prints {name: {"value", "unit",
"target", "baseline"}} as JSON; writes benchmarks/out/extension.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "extension.json"
SCRIPT = ROOT / "benchmarks" / "bench_extension.mjs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="clicks to time per figure")
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None or not (ROOT / "extension" / "node_modules" / "playwright-core").is_dir():
        print("needs node and extension/node_modules: run `make node-deps`", file=sys.stderr)
        return 1
    env = {**os.environ, "PANZA_PYTHON": os.environ.get("PANZA_PYTHON", sys.executable)}
    done = subprocess.run(
        [node, str(SCRIPT), str(args.n)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
