"""Which kernels drafting on a CPU should use: per-layer times at the Qwen2.5-1.5B shapes,
on this CPU and on this CPU restricted to AVX2 (no AVX-512, no bf16 units: most laptops).

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_kernels.py
Writes benchmarks/out/kernels.json.

Decode reads one row through each layer: the packed int4/int8 kernels a drafting copy uses
(`panza.training.quant`), with the row in bf16 or fp32, against the dense layer an
unquantized model uses. The weights are cycled through copies larger than the caches, as a
model's layers are. A prompt (1,084 rows) is a dense GEMM, in bf16 or fp32. The restricted
runs set ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2 in a child process: torch
then dispatches to the kernels it would use on a CPU without AVX-512 or bf16 units.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "kernels.json"
# (outputs, inputs): the 1.5B MLP's up/gate and down projections.
SHAPES = {"up": (8960, 1536), "down": (1536, 8960)}
PROMPT_ROWS = 1084
CACHE_BYTES = 256 * 2**20  # copies cycled per measurement: far past any L3
ISAS = {"native": {}, "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}}
Figures = dict[str, dict[str, Any]]


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """Best of 3 rounds of the mean over `repeats` calls, after a warm-up call."""
    fn()
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        rounds.append((time.perf_counter() - start) / repeats)
    return min(rounds) * 1e3


def cycled(make: Callable[[], Any], nbytes: int) -> Callable[[Callable[[Any], object]], float]:
    """Enough copies of a weight to exceed the caches, and a timer that cycles through them."""
    copies = [make() for _ in range(max(2, CACHE_BYTES // nbytes))]

    def time_it(call: Callable[[Any], object]) -> float:
        state = {"i": 0}

        def one() -> None:
            state["i"] = (state["i"] + 1) % len(copies)
            call(copies[state["i"]])

        return best_ms(one, 4 * len(copies))

    return time_it


def child() -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    out: dict[str, Any] = {"threads": torch.get_num_threads()}
    out["isa"] = str(torch.backends.cpu.get_cpu_capability())
    for name, (n, k) in SHAPES.items():
        for scheme in ("int4", "int8"):
            out.update(packed_times(name, scheme, n, k))
        for dtype, label in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
            out.update(dense_times(name, label, dtype, n, k))
    out.update(output_layer_times())
    return out


def output_layer_times() -> dict[str, float]:
    """Logits from transformers' slice of the hidden states (batch of one), through
    nn.Linear and through FoldedLinear: the last row of a prompt, and a training step's
    257 scored rows of a 512-token example, at Qwen2.5-1.5B's 151,936 x 1,536 in bf16.
    (With a weight that requires grad, torch takes the fast path either way.)"""
    import torch

    from panza.training.output_layer import FoldedLinear

    plain = torch.nn.Linear(1536, 151936, bias=False, dtype=torch.bfloat16)
    plain.weight.requires_grad_(False)  # frozen, as in training an adapter and in drafts
    folded = torch.nn.Linear(1536, 151936, bias=False, dtype=torch.bfloat16)
    folded.weight = plain.weight
    folded.__class__ = FoldedLinear
    prompt = torch.randn(1, PROMPT_ROWS, 1536, dtype=torch.bfloat16)
    example = torch.randn(1, 512, 1536, dtype=torch.bfloat16)
    out = {}
    layers: dict[str, torch.nn.Module] = {"linear": plain, "folded": folded}
    with torch.no_grad():
        for label, layer in layers.items():
            last = prompt[:, -1:, :]
            scored = example[:, 255:, :]
            out[f"head_last_row_{label}_ms"] = best_ms(partial(layer, last), 2)
            out[f"head_257_rows_{label}_ms"] = best_ms(partial(layer, scored), 2)
    return out


def packed_times(name: str, scheme: Any, n: int, k: int) -> dict[str, float]:
    """One row through the packed kernel: bf16 rows (now), fp32 rows (an fp32 model's copy
    before; in cache only, since it is slow enough that the caches do not matter)."""
    import torch

    from panza.training import quant

    saved = quant.quantize_linear(torch.nn.Linear(k, n, bias=False), scheme, torch.float32)
    nbytes = n * k // (2 if scheme == "int4" else 1)

    def make() -> Any:
        return quant.make_layer(scheme, saved, torch.float32)

    bf16_row = torch.randn(1, k, dtype=torch.bfloat16)
    bf16 = cycled(make, nbytes)(lambda m: m.packed_mm(bf16_row))
    layer = make()
    for buf in ("scales", "scales_zeros"):  # as the copy of an fp32 model kept them
        if hasattr(layer, buf):
            setattr(layer, buf, getattr(layer, buf).float())
    fp32_row = torch.randn(1, k)
    fp32 = best_ms(lambda: layer.packed_mm(fp32_row), 20)
    return {f"{name}_{scheme}_bf16_rows_ms": bf16, f"{name}_{scheme}_fp32_rows_ms": fp32}


def dense_times(name: str, label: str, dtype: Any, n: int, k: int) -> dict[str, float]:
    """One row through a dense layer (cycled), and a prompt's GEMM (in cache)."""
    import torch
    import torch.nn.functional as F

    row = torch.randn(1, k, dtype=dtype)
    decode = cycled(lambda: torch.randn(n, k, dtype=dtype), n * k * dtype.itemsize)(
        lambda w: F.linear(row, w)
    )
    weight = torch.randn(n, k, dtype=dtype)
    rows = torch.randn(PROMPT_ROWS, k, dtype=dtype)
    prompt = best_ms(lambda: F.linear(rows, weight), 2)
    return {f"{name}_dense_{label}_ms": decode, f"{name}_prompt_{label}_ms": prompt}


def figures(runs: dict[str, dict[str, float]]) -> Figures:
    figs: Figures = {}

    def fig(key: str, value: float, unit: str, baseline: float | None = None) -> None:
        figs[key] = {
            "value": round(value, 3),
            "unit": unit,
            "target": None,
            "baseline": None if baseline is None else round(baseline, 3),
        }

    for isa, r in runs.items():
        for name, (n, k) in SHAPES.items():
            dense = r[f"{name}_dense_fp32_ms"]
            for scheme in ("int4", "int8"):
                bf16 = r[f"{name}_{scheme}_bf16_rows_ms"]
                # Baseline: the same kernel with fp32 rows, as an fp32 model's copy ran it.
                fig(
                    f"{isa}_{name}_{scheme}_bf16_rows_ms",
                    bf16,
                    "ms",
                    r[f"{name}_{scheme}_fp32_rows_ms"],
                )
                fig(
                    f"{isa}_{name}_{scheme}_fp32_rows_ms",
                    r[f"{name}_{scheme}_fp32_rows_ms"],
                    "ms",
                    dense,
                )
                # Weights and scales (int4: a bf16 scale and zero per group of 32 inputs).
                nbytes = n * k / 2 + n * k / 32 * 4 if scheme == "int4" else n * k + n * 2
                fig(f"{isa}_{name}_{scheme}_bf16_rows_gbs", nbytes / bf16 / 1e6, "GB/s")
            fig(f"{isa}_{name}_dense_fp32_ms", dense, "ms")
            fig(f"{isa}_{name}_dense_bf16_ms", r[f"{name}_dense_bf16_ms"], "ms", dense)
            fig(
                f"{isa}_{name}_prompt_bf16_ms",
                r[f"{name}_prompt_bf16_ms"],
                "ms",
                r[f"{name}_prompt_fp32_ms"],
            )
            fig(f"{isa}_{name}_prompt_fp32_ms", r[f"{name}_prompt_fp32_ms"], "ms")
        for rows in ("last_row", "257_rows"):
            # Baseline: nn.Linear on transformers' 3-D slice, as every model ran it before.
            fig(
                f"{isa}_head_{rows}_folded_ms",
                r[f"head_{rows}_folded_ms"],
                "ms",
                r[f"head_{rows}_linear_ms"],
            )
    return figs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child()))
        return 0
    runs = {}
    for isa, env in ISAS.items():
        proc = subprocess.run(
            [sys.executable, __file__, "--child"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        runs[isa] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{isa}: {runs[isa]}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures(runs), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
