"""Quality of each drafting engine: held-out per-token loss of the demo model with a trained
RoSA adapter (bench_training's data and settings), merged, in fp32, bf16 and the int8/int4
copies; the ratio to fp32 is the figure (goal: within 1% for bf16, 3% for 4-bit).
Called by bench_scale.py (area `scale`); the adapter is trained once into benchmarks/out/.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DTYPES = {"fp32": "float32", "bf16": "bfloat16"}
TOLERANCE = {"bf16": "<= 1.01", "int8": "<= 1.01", "int4": "<= 1.03"}
Figures = dict[str, dict[str, Any]]


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def quality_figures(engines: list[str]) -> Figures:
    """Held-out loss of the merged trained demo adapter in each engine vs fp32."""
    import torch
    from bench_training import job, load_data

    from panza.training import drafting
    from panza.training.dataset import encode_records
    from panza.training.demo_model import ensure_demo_model
    from panza.training.evaluate import heldout_losses
    from panza.training.job import run
    from panza.training.model import ModelSpec
    from panza.training.versions import heldout_summary

    torch.set_num_threads(1)
    base = ensure_demo_model(ROOT / "benchmarks" / "out" / "models")
    train, test = load_data()
    adapter = ROOT / "benchmarks" / "out" / "scale-demo-adapter"
    if not (adapter / "v0001").is_dir():
        run(job(base, adapter, 1, train, test, "rosa"), lambda e: None)
    losses: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in engines:
            spec = ModelSpec(str(base), dtype=DTYPES.get(engine, "bfloat16"))
            draft = drafting.load_merged(spec, adapter / "v0001", 1)
            if engine not in DTYPES:
                (Path(tmp) / engine).mkdir()
                draft = drafting.build_copy(draft, spec, Path(tmp) / engine, engine)  # type: ignore[arg-type]
            items, _ = encode_records(
                draft.tokenizer, drafting_profile(), test, 512, with_retrieved=False
            )
            pad = int(draft.tokenizer.pad_token_id)
            summary = heldout_summary(
                heldout_losses(draft.model, items, pad), [i.key for i in items]
            )
            losses[engine] = float(summary["loss"])
    figures = {
        f"demo_heldout_loss_{e}": fig(round(v, 4), "nats/token", None, round(losses["fp32"], 4))
        for e, v in losses.items()
    }
    for e, v in losses.items():
        if e != "fp32":
            figures[f"demo_heldout_loss_{e}_over_fp32"] = fig(
                round(v / losses["fp32"], 4), "x", TOLERANCE.get(e), 1.0
            )
    return figures


def drafting_profile() -> Any:
    from panza.training.prompt import Profile

    return Profile(name="David")
