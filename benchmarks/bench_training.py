"""Training figures on the locally built demo base: held-out perplexity of the base and after
RoSA, LoRA and full fine-tuning; the cost of an incremental retrain against a full one.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_training.py
Prints {name: {"value", "unit", "target", "baseline"}} as JSON and writes
benchmarks/out/training.json.

Data: ../shared/data/panza-david.jsonl (166 real sent emails). Instructions are the
subjects as stand-ins ('Reply to the email about "X".'), not playback output. Split: the
store's stable hash of an id (10% test). Base: the demo model (4 x 160 Llama, 1.4M
parameters, pre-trained on generated generic English; built once into --models-dir).
The reference learning rate (1e-5) is for 8B models; this 1.4M-parameter model needs
larger steps: 2e-3 for the RoSA/LoRA adapters, 5e-4 for full fine-tuning. Everything else
is the reference configuration (r 8, alpha 16, dropout 0.05, density 1%, 5 epochs for
RoSA/LoRA and 3 for full, 512 tokens), with micro-batches of 8 instead of 1 (same
global batch of 8; faster on a CPU).

Incremental cost: 200 training emails (the 149 training emails, then the first 51 again
under new ids: a timing figure, not a quality one), a full RoSA run on them, then 20 more
(repeats under new ids too) and the incremental run that follows (20 new + 10 replayed,
the default replay ratio 0.5); both timed as whole jobs (model load, training, held-out
evaluation, publishing) in this process, and by their training loops alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from panza.daemon.store.records import split_for
from panza.training.dataset import encode_records
from panza.training.demo_model import DEMO_NAME, MANIFEST, ensure_demo_model
from panza.training.evaluate import heldout_losses
from panza.training.job import run
from panza.training.job_files import Record
from panza.training.model import ModelSpec, load_base
from panza.training.playback import subject_instruction
from panza.training.prompt import Profile
from panza.training.versions import heldout_summary

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "panza-david.jsonl"
OUT = ROOT / "benchmarks" / "out" / "training.json"
PROFILE = Profile(name="David")
LR = {"rosa": 2e-3, "lora": 2e-3, "full": 5e-4}
Figures = dict[str, dict[str, Any]]


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def load_data() -> tuple[list[Record], list[Record]]:
    train, test = [], []
    with DATA.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            row = json.loads(line)
            instruction = subject_instruction(row.get("subject", "")) or "Write a short email."
            text = row["email"].replace("\r\n", "\n").strip()
            rec = Record(str(n + 1), instruction, text, f"2024-01-01T00:00:{n % 60:02d}")
            (test if split_for(f"david-{n}", 0.1) == "test" else train).append(rec)
    return train, test


def job(
    base: Path,
    root: Path,
    version: int,
    train: list[Record],
    test: list[Record],
    method: str,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "train",
        "model": {"name": str(base)},
        "profile": {"name": PROFILE.name},
        "hyper": {
            "method": method,
            "learning_rate": LR[method],
            "micro_batch_size": 8,
            "acceptance_tolerance": 1.0,
        },
        "train": [r.to_json() for r in train],
        "test": [r.to_json() for r in test],
        "adapters_dir": str(root),
        "version": version,
        "current": current,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "benchmarks" / "out" / "models")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on 2 shared cores)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not DATA.is_file():
        print(f"missing {DATA}", file=sys.stderr)
        return 1
    figures: Figures = {}
    built_now = not (args.models_dir / DEMO_NAME / MANIFEST).is_file()
    start = time.monotonic()
    base = ensure_demo_model(args.models_dir)
    info = json.loads((base / MANIFEST).read_text())
    figures["demo_model_build_s"] = fig(
        round(time.monotonic() - start if built_now else info["seconds"], 1), "s", "<= 180"
    )
    figures["demo_model_parameters"] = fig(info["parameters"], "parameters")
    train, test = load_data()
    print(
        f"{len(train)} train / {len(test)} test emails; subjects as stand-in instructions",
        file=sys.stderr,
    )

    loaded = load_base(ModelSpec(str(base)))
    items, _ = encode_records(loaded.tokenizer, PROFILE, test, 512, with_retrieved=False)
    keys = [i.key for i in items]
    pad = int(loaded.tokenizer.pad_token_id)
    base_ppl = heldout_summary(heldout_losses(loaded.model, items, pad), keys)["perplexity"]
    figures["heldout_perplexity_base"] = fig(base_ppl, "perplexity")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for method in ("rosa", "lora", "full"):
            t = time.monotonic()
            results[method] = run(
                job(base, Path(tmp) / method, 1, train, test, method), lambda e: None
            )
            r = results[method]
            print(f"{method}: {r['steps']} steps, {time.monotonic() - t:.0f} s", file=sys.stderr)
            figures[f"heldout_perplexity_{method}"] = fig(
                r["heldout"]["perplexity"], "perplexity", f"< {base_ppl}", base_ppl
            )
            figures[f"train_seconds_{method}"] = fig(r["train_seconds"], "s")
        pool = train + [Record(f"r{r.id}", r.instruction, r.text, r.date) for r in train]
        first, extra = pool[:200], pool[200:220]
        root = Path(tmp) / "incremental"
        t = time.monotonic()
        full = run(job(base, root, 1, first, test, "rosa"), lambda e: None)
        full_s = time.monotonic() - t
        t = time.monotonic()
        inc = run(
            job(base, root, 2, first + extra, test, "rosa", {"version": 1, "path": full["path"]}),
            lambda e: None,
        )
        inc_s = time.monotonic() - t
        assert inc["mode"] == "incremental" and len(inc["new_ids"]) == 20
        figures["full_retrain_200_emails_s"] = fig(round(full_s, 1), "s")
        figures["incremental_retrain_20_emails_s"] = fig(
            round(inc_s, 1), "s", round(0.25 * full_s, 1), round(full_s, 1)
        )
        figures["incremental_over_full_retrain_time"] = fig(
            round(inc_s / full_s, 3), "x", "<= 0.25", 1.0
        )
        figures["incremental_over_full_retrain_steps"] = fig(
            round(inc["steps"] / full["steps"], 3), "x", None, 1.0
        )
        figures["incremental_over_full_retrain_train_loop"] = fig(
            round(inc["train_seconds"] / full["train_seconds"], 3), "x", None, 1.0
        )
    figures["load_average_1min"] = fig(round(os.getloadavg()[0], 2), "load")
    text = json.dumps(figures, indent=2)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
