"""Training at real sizes: seconds per 512-token example and peak RSS, RoSA and LoRA, on
Qwen2.5-0.5B/1.5B-shaped models, the bf16 path against the fp32 path of before, same run.

    from benchmarks.scale_train import measure_training, training_figures
    raw = measure_training(folder, "rosa", "bf16")    # one configuration, in a child
    figs = training_figures(folder, "1.5b")           # rosa+lora, bf16 vs fp32, run_all format

Run alone: `flock /work/bigmodel.lock .venv/bin/python benchmarks/scale_train.py [--sizes
0.5b,1.5b] [--model-dir SIZE=FOLDER]` writes benchmarks/out/scale_train.json.

Each configuration runs in its own child process (a fresh peak RSS; an out-of-memory
baseline cannot take the benchmark down), through the project's own code: load_base,
prepare, the trainer, with one 512-token example per optimizer step (256 prompt tokens,
256 email tokens). Modes:
- "bf16": what `panza train` does now with model.dtype = "auto" on a CPU with bf16 units:
  bf16 base weights, fp32 adapters under bf16 autocast, bf16 mask scores, and activation
  checkpointing when the memory plan asks for it (panza.training.precision).
- "fp32": the path before this change: fp32 weights and compute, fp32 mask scores, every
  activation kept.
A child that passes CAP_GB of RSS stops itself and is recorded as "over CAP_GB" (the
machine is shared; letting the kernel's OOM killer pick a victim is not an option).
RoSA runs 3 steps (mask collection, then 2 joint steps: the steady state reported); LoRA 2
(the second reported; the first pays for warm-up).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "scale_train.json"
RAW = ROOT / "benchmarks" / "out" / "scale_train_raw.json"
CAP_GB = 14.0
TOKENS, PROMPT = 512, 256
GOAL_S, GOAL_GB = 6.0, 10.0
Figures = dict[str, dict[str, Any]]


def measure_training(model_dir: Path, method: str, dtype_mode: str) -> dict[str, dict[str, Any]]:
    """Run one configuration in a child; {"result": {...}} with s_per_example, peak_gb,
    cpu_s_per_example, mask_step_s (RoSA), checkpointing, or {"result": {"over_gb": CAP}}."""
    cmd = [sys.executable, __file__, "--child", str(model_dir), method, dtype_mode]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"{method}/{dtype_mode} child failed ({done.returncode}): {tail}")
    return {"result": json.loads(lines[-1])}


def training_figures(model_dir: Path, size: str) -> Figures:
    """RoSA and LoRA at `size`: bf16 path figures with the fp32 path as their baselines."""
    raw = {
        f"{size}/{method}/{mode}": measure_training(model_dir, method, mode)["result"]
        for method in ("rosa", "lora")
        for mode in ("bf16", "fp32")
    }
    return figures_from(raw)


def figures_from(raw: dict[str, dict[str, Any]]) -> Figures:
    """run_all figures for every size/method whose bf16 and fp32 runs are both in `raw`."""
    figures: Figures = {}
    for name, new in sorted(raw.items()):
        size, method, mode = name.split("/")
        old = raw.get(f"{size}/{method}/fp32")
        if mode != "bf16" or old is None:
            continue
        key = f"train_{size}_{method}"
        figures[f"{key}_s_per_example"] = _fig(new, old, "s_per_example", "s", GOAL_S)
        figures[f"{key}_peak_rss"] = _fig(new, old, "peak_gb", "GB", GOAL_GB)
        for extra in ("cpu_s_per_example", "checkpointing", "mask_step_s", "load"):
            figures[f"{key}_s_per_example"][extra] = [new.get(extra), old.get(extra)]
    return figures


def _fig(new: dict[str, Any], old: dict[str, Any], key: str, unit: str, goal: float) -> Any:
    def value(r: dict[str, Any]) -> Any:
        return f"over {r['over_gb']:.0f} GB (stopped)" if "over_gb" in r else r[key]

    return {"value": value(new), "unit": unit, "target": f"<= {goal}", "baseline": value(old)}


def _watch_rss(cap_gb: float) -> None:
    def loop() -> None:
        while True:
            with open("/proc/self/status", encoding="ascii") as fh:
                rss = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS")) * 1024
            if rss > cap_gb * 1e9:
                print(json.dumps({"over_gb": cap_gb, "load": os.getloadavg()[0]}), flush=True)
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=loop, daemon=True).start()


def child(model_dir: Path, method: str, mode: str) -> dict[str, Any]:
    """One run in this process: load, prepare, train, time the steps."""
    import resource

    import torch

    from panza.training.dataset import Item
    from panza.training.hyper import Hyper
    from panza.training.model import ModelSpec, load_base
    from panza.training.precision import Recompute, plan_precision
    from panza.training.prompt import IGNORE, Encoded
    from panza.training.rosa import prepare
    from panza.training.rosa.methods import RosaTuned
    from panza.training.rosa.schedule import RosaScheduler
    from panza.training.trainer import train

    _watch_rss(CAP_GB)
    steps = 3 if method == "rosa" else 2
    hyper = Hyper(method=method, epochs=1, batch_size=1, warmup_steps=0, mask_warmup_steps=0)  # type: ignore[arg-type]
    spec = ModelSpec(str(model_dir), dtype="auto" if mode == "bf16" else "float32")
    plan = plan_precision(spec, hyper)
    checkpointing = plan.checkpointing if mode == "bf16" else Recompute.always(False)
    tuned = prepare(load_base(plan.load_spec).model, hyper.method_config(spec.name, steps))
    if isinstance(tuned, RosaTuned) and mode == "fp32":
        tuned.scheduler = RosaScheduler(tuned.rosa, score_dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(steps):
        ids = torch.randint(0, 8000, (TOKENS,), generator=g).tolist()
        items.append(Item(str(i), str(i), Encoded(ids, [IGNORE] * PROMPT + ids[PROMPT:], PROMPT)))
    marks: list[tuple[float, float]] = [(time.perf_counter(), time.process_time())]

    def on_step(event: dict[str, Any]) -> None:
        if event["event"] == "step":
            marks.append((time.perf_counter(), time.process_time()))

    train(
        tuned,
        items,
        hyper,
        pad_id=0,
        progress=on_step,
        compute_dtype=plan.compute_dtype,
        checkpointing=checkpointing,
    )
    walls = [b[0] - a[0] for a, b in itertools.pairwise(marks)]
    cpus = [b[1] - a[1] for a, b in itertools.pairwise(marks)]
    steady = slice(1, None)
    return {
        "s_per_example": round(sum(walls[steady]) / len(walls[steady]), 2),
        "cpu_s_per_example": round(sum(cpus[steady]) / len(cpus[steady]), 2),
        "mask_step_s": round(walls[0], 2) if method == "rosa" else None,
        "step_s": [round(w, 2) for w in walls],
        "peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 2),
        "checkpointing": dataclasses.asdict(checkpointing),
        "compute": str(plan.compute_dtype or "float32"),
        "load": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--child", nargs=3, metavar=("MODEL_DIR", "METHOD", "MODE"))
    parser.add_argument("--sizes", default="0.5b,1.5b")
    parser.add_argument("--only", help="METHOD/MODE,... (default: rosa and lora, bf16 and fp32)")
    parser.add_argument("--model-dir", action="append", default=[], help="SIZE=FOLDER")
    args = parser.parse_args(argv)
    if args.child:
        folder, method, mode = args.child
        print(json.dumps(child(Path(folder), method, mode)), flush=True)
        return 0
    sys.path.insert(0, str(ROOT))
    from benchmarks.scale_models import QWEN25_0_5B, QWEN25_1_5B, ensure_model

    given = dict(item.split("=", 1) for item in args.model_dir)
    shapes = {"0.5b": QWEN25_0_5B, "1.5b": QWEN25_1_5B}
    only = (
        args.only.split(",") if args.only else ["rosa/bf16", "rosa/fp32", "lora/bf16", "lora/fp32"]
    )
    # Raw results accumulate across invocations, so configurations can be run one by one.
    raw: dict[str, dict[str, Any]] = json.loads(RAW.read_text()) if RAW.exists() else {}
    for size in args.sizes.split(","):
        folder = Path(given[size]) if size in given else ensure_model(shapes[size])
        for config in only:
            method, mode = config.split("/")
            result = measure_training(folder, method, mode)["result"]
            raw[f"{size}/{method}/{mode}"] = result
            print(f"{size}/{method}/{mode}: {json.dumps(result)}", flush=True)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            RAW.write_text(json.dumps(raw, indent=2) + "\n")
            OUT.write_text(json.dumps(figures_from(raw), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
