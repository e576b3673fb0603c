"""RoSA vs LoRA vs dense: step time and peak memory of one layer, and tokens/s on a small Llama.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_rosa.py
Prints {name: {"value", "unit", "target", "baseline"}} as JSON and writes benchmarks/out/rosa.json.
Each layer variant runs in a fresh subprocess so that its peak RSS (ru_maxrss) is its own.
On a machine with CUDA the layer figures are also taken in bf16 on the GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

OUT = Path(__file__).resolve().parent / "out" / "rosa.json"
SIZE, TOKENS, RANK, DENSITY, ALPHA, DROPOUT = 4096, 512, 8, 0.01, 16, 0.05
LAYER_VARIANTS = ("dense", "lora", "rosa")
Figures = dict[str, dict[str, Any]]


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets the kernel's peak-RSS mark (VmHWM), Linux >= 4.0.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def build_layer(variant: str, device: str, dtype: torch.dtype) -> nn.Module:
    """One 4096x4096 layer: full trainable weight, peft LoRA r=8, or RoSA r=8 at d=1%."""
    torch.manual_seed(0)
    base = nn.Linear(SIZE, SIZE, bias=False, device=device, dtype=dtype)
    if variant == "dense":
        return base
    if variant == "lora":
        from peft import LoraConfig, inject_adapter_in_model

        holder = nn.Sequential()
        holder.add_module("proj", base)
        base.requires_grad_(False)
        config = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, target_modules=["proj"])
        inject_adapter_in_model(config, holder)
        return holder
    from panza.training.rosa import RosaLinear

    layer = RosaLinear(base, r=RANK, alpha=ALPHA, dropout=DROPOUT, density=DENSITY)
    flat = torch.zeros(SIZE * SIZE, dtype=torch.bool)
    flat[torch.randperm(SIZE * SIZE)[: layer.k]] = True
    layer.set_mask(flat.view(SIZE, SIZE))
    layer.set_trainable(lora=True, sparse=True)
    return layer


def _layer_and_step(variant: str, device: str) -> tuple[nn.Module, Callable[[], None]]:
    # Every variant imports the same libraries, so RSS differences are the layer's own.
    import peft  # noqa: F401

    import panza.training.rosa  # noqa: F401

    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    layer = build_layer(variant, device, dtype).train()
    # As for any layer but the first, backward must also produce the input's gradient.
    x = torch.randn(TOKENS, SIZE, device=device, dtype=dtype, requires_grad=True)
    grad = torch.randn(TOKENS, SIZE, device=device, dtype=dtype)
    params = [p for p in layer.parameters() if p.requires_grad]

    def step() -> None:
        layer(x).backward(grad)
        x.grad = None
        for p in params:
            p.grad = None
        _sync(device)

    return layer, step


def measure_layer_time(variant: str, device: str, repeats: int) -> dict[str, float]:
    """Median forward+backward time of one training step of one layer variant."""
    _, step = _layer_and_step(variant, device)
    step()  # warm-up: allocator, CSR plan, thread pools
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return {"ms": statistics.median(times) * 1e3}


def measure_layer_memory(variant: str, device: str) -> dict[str, float]:
    """Peak memory of a step: process RSS, its growth over the step, and torch's own tally."""
    _, step = _layer_and_step(variant, device)
    # The first step maps code pages (MKL's sparse kernels, thread pools) that count as RSS
    # but are not memory a step uses; measure the second step against a reset peak.
    step()
    _reset_peak_rss()
    before = _rss_mib()
    step()
    result = {
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "step_rss_growth_mib": _peak_rss_mib() - before,
    }
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        step()
        result["step_peak_torch_mib"] = (torch.cuda.max_memory_allocated() - base) / 2**20
        return result
    from torch.profiler import profile

    with profile(profile_memory=True) as prof:
        step()
    # Replaying the allocations in time order gives the peak of live tensor memory; RSS also
    # counts what torch does not see (MKL's own buffers) and allocator slack.
    live = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        live += event.self_cpu_memory_usage
        peak = max(peak, live)
    result["step_peak_torch_mib"] = peak / 2**20
    return result


def _small_llama(device: str) -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=1000,
        hidden_size=512,
        intermediate_size=1376,
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=8,
        max_position_embeddings=512,
    )
    model: nn.Module = LlamaForCausalLM(config)
    return model.to(device)


def measure_llama(method: str, device: str, steps: int) -> float:
    """Training tokens/s of a small Llama (4 x 512 wide, 2 x 256 tokens per step)."""
    from panza.training.rosa import method_config, prepare

    options: dict[str, Any] = {"r": RANK, "alpha": ALPHA, "dropout": DROPOUT}
    if method == "rosa":
        options["density"] = DENSITY
    tuned = prepare(_small_llama(device), method_config(method, **options))
    tuned.model.train()
    opt = torch.optim.AdamW(tuned.param_groups(2e-4))
    ids = torch.randint(0, 1000, (2, 256), device=device)
    elapsed = 0.0
    # Two untimed steps: RoSA's first one collects gradients and picks the masks.
    for step in range(steps + 2):
        t0 = time.perf_counter()
        tuned.on_step_begin(step)
        tuned.model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        tuned.on_step_end(step)
        _sync(device)
        if step >= 2:
            elapsed += time.perf_counter() - t0
    return ids.numel() * steps / elapsed


def _child(variant: str, device: str, mode: str, repeats: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", variant, "--mode", mode, "--device", device]
    cmd += ["--repeats", str(repeats), "--threads", str(torch.get_num_threads())]
    env = dict(os.environ)
    if mode == "memory":
        # Large blocks straight from mmap and back on free: RSS then follows live memory
        # instead of what glibc's heap happens to keep.
        env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _best_times(device: str, repeats: int, rounds: int) -> dict[str, float]:
    # Other load on a shared machine only ever slows a run down: rounds interleave the
    # variants so a burst hits them alike, and each keeps its fastest round (a median).
    best = {v: float("inf") for v in LAYER_VARIANTS}
    for _ in range(rounds):
        for v in LAYER_VARIANTS:
            best[v] = min(best[v], _child(v, device, "time", repeats)["ms"])
    return best


def _fig(value: float, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "target": target, "baseline": baseline}


def layer_figures(device: str, repeats: int, rounds: int) -> Figures:
    ms = _best_times(device, repeats, rounds)
    mem = {v: _child(v, device, "memory", 1) for v in LAYER_VARIANTS}
    tag = "cpu_fp32" if device == "cpu" else "cuda_bf16"
    figs: Figures = {}
    for v in LAYER_VARIANTS:
        base = None if v == "lora" else round(ms["lora"], 3)
        target = round(1.5 * ms["lora"], 3) if v == "rosa" else None
        figs[f"layer4096_{v}_step_ms_{tag}"] = _fig(ms[v], "ms", target, base)
    figs[f"layer4096_rosa_over_lora_step_{tag}"] = _fig(ms["rosa"] / ms["lora"], "x", "<= 1.5", 1.0)
    keys = ["step_peak_torch_mib", "step_rss_growth_mib", "peak_rss_mib"]
    for key in keys if device == "cpu" else keys[:1]:
        for v in LAYER_VARIANTS:
            base = None if v == "lora" else round(mem["lora"][key], 1)
            name = key.removesuffix("_mib")
            figs[f"layer4096_{v}_{name}_mib_{tag}"] = _fig(mem[v][key], "MiB", None, base)
    return figs


def llama_figures(device: str, steps: int, rounds: int) -> Figures:
    rosa = lora = 0.0
    for _ in range(rounds):
        rosa = max(rosa, measure_llama("rosa", device, steps))
        lora = max(lora, measure_llama("lora", device, steps))
    tag = "cpu_fp32" if device == "cpu" else "cuda_fp32"
    return {
        f"llama_4x512_rosa_train_tokens_per_s_{tag}": _fig(rosa, "tokens/s", None, round(lora, 1)),
        f"llama_4x512_lora_train_tokens_per_s_{tag}": _fig(lora, "tokens/s"),
        f"llama_4x512_rosa_over_lora_throughput_{tag}": _fig(rosa / lora, "x", None, 1.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=LAYER_VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("time", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5, help="timed layer steps per variant")
    parser.add_argument("--llama-steps", type=int, default=6, help="timed small-Llama steps")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant; the best counts")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.child:
        if args.mode == "memory":
            print(json.dumps(measure_layer_memory(args.child, args.device)))
        else:
            print(json.dumps(measure_layer_time(args.child, args.device, args.repeats)))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"load average {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    figures = layer_figures("cpu", args.repeats, args.rounds)
    figures.update(llama_figures("cpu", args.llama_steps, args.rounds))
    if torch.cuda.is_available():
        figures.update(layer_figures("cuda", args.repeats, args.rounds))
        figures.update(llama_figures("cuda", args.llama_steps, args.rounds))
    text = json.dumps(figures, indent=2)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
