"""Drafting, playback and training at real model sizes (Qwen2.5-0.5B / 1.5B shapes, random
weights, real vocabulary; benchmarks/scale_models.py), each against today's fp32 path.

Run: flock /work/bigmodel.lock env HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_scale.py
     [--shapes 0.5b,1.5b] [--engines fp32,bf16,int8,int4] [--skip quality,playback,train]
     [--cuda]   (7B shape: bf16 and 4-bit bitsandbytes decode, scale_train on the GPU)
     [--without-bf16-units]   (drafts as on a CPU without AVX-512/bf16 units: torch held to
     its AVX2 kernels, quantized copies of the fp32 model; figures named *_no_bf16_units_*)
Writes benchmarks/out/scale.json. Every measured variant runs in its own process, so its
peak RSS (VmHWM, reset after loading) is its own.

Writer: the project's drafting path (panza.training.drafting + prompt.encode_prompt +
generate.stream): a prompt of about --prompt-tokens tokens (user preamble, 3 retrieved
emails, a 3-message thread) and --new-tokens new tokens at the draft sampling defaults.
The models never stop early (scale_models zeroes the end-of-turn rows). Decode is timed per
forward call; its share of the physical limit is tokens/s x weight bytes read per token /
the streaming-read bandwidth measured in the same run. Quality: held-out per-token loss of
the demo model with a trained RoSA adapter (bench_training's data), merged, in each engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "out" / "scale.json"
DTYPES = {"fp32": "float32", "bf16": "bfloat16"}
DTYPES_BACK = {v: k for k, v in DTYPES.items()}
Figures = dict[str, dict[str, Any]]


def fig(value: Any, unit: str, target: Any = None, baseline: Any = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "baseline": baseline}


def peak_rss_gb() -> float:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 2**20


def release_freed_memory() -> None:
    """Hand the heap freed after loading back to the OS (glibc keeps it otherwise), so that
    the peak RSS while drafting is what the drafting model holds, not what building it took."""
    import ctypes
    import gc

    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


from scale_models import profile_for, request  # noqa: E402


def load_engine(folder: Path, engine: str, tmp: Path) -> Any:
    """The drafting model for `engine`: the base in fp32/bf16, or its quantized copy
    ("int4@float32": the copy of a model computing in fp32, as on a CPU without bf16 units)."""
    from panza.training import drafting
    from panza.training.model import ModelSpec, load_base

    engine, _, model_dtype = engine.partition("@")
    spec = ModelSpec(str(folder), dtype=model_dtype or DTYPES.get(engine, "bfloat16"))
    base = load_base(spec)
    merged = drafting.wrap(base.model, base.tokenizer, 1, DTYPES.get(engine, "bfloat16"))
    if engine in DTYPES:
        return merged
    scheme = "int8" if engine == "int8" else "int4"
    drafting.build_copy(merged, spec, tmp, scheme)
    del base, merged
    # Drafts come from the copy as a restarted daemon loads it from the version's folder.
    copy = drafting.load_copy(spec, tmp, scheme)
    assert copy is not None, "the copy just built did not load"
    return copy


def child_writer(folder: Path, engine: str, prompt_tokens: int, new_tokens: int) -> dict[str, Any]:
    import torch

    from panza.training import quant
    from panza.training.prompt import encode_prompt
    from panza.training.sampling import DRAFT_SAMPLING

    with tempfile.TemporaryDirectory() as tmp:
        draft = load_engine(folder, engine, Path(tmp))
    release_freed_memory()
    req = request(draft.tokenizer, prompt_tokens)
    ids = encode_prompt(draft.tokenizer, profile_for(), req, 10**6).input_ids
    stamps: list[float] = []
    draft.model.register_forward_hook(lambda *_: stamps.append(time.perf_counter()))
    reset_peak_rss()
    start = time.perf_counter()
    text = "".join(draft.stream(ids, new_tokens, DRAFT_SAMPLING))
    total = time.perf_counter() - start
    decode = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    peak, steps = peak_rss_gb(), len(stamps)
    # Drafting again: the same prompt (asking for another version of the reply), then the
    # same thread and retrieved emails with another instruction. The prompt cache reads
    # only what differs; the first token is the figure.
    again = first_token(draft, ids)
    other = dataclasses.replace(req, instruction="Thank Anna and suggest Tuesday at ten.")
    new_instruction = first_token(
        draft, encode_prompt(draft.tokenizer, profile_for(), other, 10**6).input_ids
    )
    return {
        "first_token_again_s": again,
        "first_token_new_instruction_s": new_instruction,
        "prompt_tokens": len(ids),
        "new_tokens": steps,
        "first_token_s": stamps[0] - start,
        "decode_tokens_s": decode,
        "total_s": total,
        "peak_rss_gb": peak,
        "weight_bytes": quant.weight_bytes(draft.model),
        "threads": torch.get_num_threads(),
        "chars": len(text),
    }


def first_token(draft: Any, ids: list[int]) -> float:
    """Seconds from asking to the first new token, through the drafting model's stream."""
    from panza.training.sampling import DRAFT_SAMPLING

    start = time.perf_counter()
    pieces = draft.stream(ids, 1, DRAFT_SAMPLING)
    next(pieces, None)
    took = time.perf_counter() - start
    pieces.close()
    return took


def child_playback(folder: Path, engine: str, emails: int) -> dict[str, Any]:
    from panza.training.demo_corpus import documents
    from panza.training.model import ModelSpec
    from panza.training.playback import ModelGenerator, PlaybackItem

    generator = ModelGenerator(ModelSpec(str(folder), dtype=DTYPES[engine]), max_new_tokens=48)
    items = [PlaybackItem(str(i), t) for i, t in enumerate(documents(emails, seed=5))]
    reset_peak_rss()
    start = time.perf_counter()
    generator(items, False)
    took = time.perf_counter() - start
    return {"emails_per_min": emails / took * 60, "peak_rss_gb": peak_rss_gb()}


# torch's kernel choice on a CPU without AVX-512 or bf16 units (--without-bf16-units).
NO_BF16_UNITS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
CHILD_ENV: dict[str, str] = {}


def run_child(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", *args]
    env = {**os.environ, **CHILD_ENV}
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{' '.join(args)}: {result}", file=sys.stderr)
    return result


def writer_figures(shape: str, folder: Path, engines: list[str], args: Any, gbps: float) -> Figures:
    figures: Figures = {}
    runs = {
        e: run_child("writer", str(folder), e, str(args.prompt_tokens), str(args.new_tokens))
        for e in engines
    }
    base = runs.get("fp32")
    for engine, r in runs.items():
        limit = r["decode_tokens_s"] * r["weight_bytes"] / (gbps * 1e9)
        b = (lambda k: round(base[k], 2)) if base and engine != "fp32" else (lambda k: None)
        goal = shape == "1.5b" and engine != "fp32" and not CHILD_ENV
        name, _, model_dtype = engine.partition("@")
        key = f"{shape}_{'no_bf16_units_' if CHILD_ENV else ''}draft_{name}"
        if model_dtype:
            key += f"_of_{DTYPES_BACK[model_dtype]}"
        figures[f"{key}_first_token_s"] = fig(
            round(r["first_token_s"], 2), "s", "<= 3" if goal else None, b("first_token_s")
        )
        figures[f"{key}_total_s"] = fig(
            round(r["total_s"], 2), "s", "<= 15" if goal else None, b("total_s")
        )
        for again in ("first_token_again_s", "first_token_new_instruction_s"):
            # Its baseline: the same engine reading the whole prompt, as every draft did.
            figures[f"{key}_{again}"] = fig(
                round(r[again], 2), "s", None, round(r["first_token_s"], 2)
            )
        figures[f"{key}_decode_tokens_s"] = fig(
            round(r["decode_tokens_s"], 2), "tokens/s", None, b("decode_tokens_s")
        )
        figures[f"{key}_decode_share_of_limit"] = fig(
            round(limit, 3), "x", ">= 0.7" if goal else None
        )
        figures[f"{key}_weight_gb_per_token"] = fig(round(r["weight_bytes"] / 1e9, 3), "GB")
        figures[f"{key}_peak_rss_gb"] = fig(
            round(r["peak_rss_gb"], 2), "GB", None, b("peak_rss_gb")
        )
    any_run = next(iter(runs.values()))
    figures[f"{shape}_draft_prompt_tokens"] = fig(any_run["prompt_tokens"], "tokens")
    figures[f"{shape}_draft_new_tokens"] = fig(any_run["new_tokens"], "tokens")
    return figures


def playback_figures(shape: str, folder: Path) -> Figures:
    runs = {e: run_child("playback", str(folder), e, "4") for e in ("fp32", "bf16")}
    fp32 = round(runs["fp32"]["emails_per_min"], 2)
    return {
        f"{shape}_playback_{e}_emails_per_min": fig(
            round(r["emails_per_min"], 2), "emails/min", None, None if e == "fp32" else fp32
        )
        for e, r in runs.items()
    }


def train_figures(shape: str, folder: Path) -> Figures:
    """RoSA and LoRA training (bf16 path vs the fp32 path) through the train engineer's
    scale_train.py, imported here only when it is present (it is merged separately)."""
    try:
        from scale_train import training_figures
    except ImportError:
        print("scale_train.py is not here yet: no training figures", file=sys.stderr)
        return {}
    figures: Figures = training_figures(folder, shape)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--shapes", default="0.5b,1.5b")
    parser.add_argument("--engines", default="fp32,bf16,int8,int4")
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--new-tokens", type=int, default=200)
    parser.add_argument("--skip", default="", help="comma list of: writer,quality,playback,train")
    parser.add_argument("--cuda", action="store_true")
    parser.add_argument(
        "--without-bf16-units",
        action="store_true",
        help="drafts only, as on a CPU without AVX-512 or bf16 units: torch restricted to "
        "AVX2 kernels, quantized copies of the fp32 model (engines like int4@float32)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where the figures go")
    args = parser.parse_args()
    if args.child:
        kind, folder, *rest = args.child
        runners = {
            "writer": lambda: child_writer(Path(folder), rest[0], int(rest[1]), int(rest[2])),
            "playback": lambda: child_playback(Path(folder), rest[0], int(rest[1])),
            "cuda": lambda: __import__("scale_cuda").child_cuda(Path(folder), rest[0]),
        }
        print(json.dumps(runners[kind]()))
        return 0
    from scale_models import SHAPES, ensure_model, stream_bandwidth

    skip, engines = set(args.skip.split(",")), args.engines.split(",")
    if args.without_bf16_units:
        CHILD_ENV.update(NO_BF16_UNITS)
        engines = [e if e in DTYPES or "@" in e else f"{e}@float32" for e in engines]
    load_before = os.getloadavg()[0]
    gbps = stream_bandwidth()
    figures: Figures = {"stream_read_bandwidth_gbs": fig(round(gbps, 1), "GB/s")}
    if args.cuda:
        from scale_cuda import cuda_figures

        figures.update(cuda_figures(run_child, train_figures))
    for key in args.shapes.split(","):
        folder = ensure_model(SHAPES[key])
        if "writer" not in skip:
            figures.update(writer_figures(key, folder, engines, args, gbps))
        if "playback" not in skip:
            figures.update(playback_figures(key, folder))
        if "train" not in skip:
            figures.update(train_figures(key, folder))
    if "quality" not in skip:
        from scale_quality import quality_figures

        figures.update(quality_figures(engines))
    figures["load_average_1min_before"] = fig(round(load_before, 2), "load")
    figures["load_average_1min_after"] = fig(round(os.getloadavg()[0], 2), "load")
    text = json.dumps(figures, indent=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
