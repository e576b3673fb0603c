"""bench_scale.py --cuda: the 7B shape on a CUDA GPU, bf16 and 4-bit (bitsandbytes NF4):
time to first token and decode tokens/s of a 200-token draft after a ~1,000-token prompt,
GPU peak memory; and training through scale_train. Skipped where there is no CUDA device.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Figures = dict[str, dict[str, Any]]


def fig(value: Any, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": None, "baseline": None}


def cuda_figures(
    run_child: Callable[..., dict[str, Any]], train_figures: Callable[[str, Path], Figures]
) -> Figures:
    import torch

    if not torch.cuda.is_available():
        print("--cuda: no CUDA device here; skipped", file=sys.stderr)
        return {}
    from scale_models import QWEN25_7B, ensure_model

    folder = ensure_model(QWEN25_7B)
    figures: Figures = {}
    for mode in ("bf16", "4bit"):
        r = run_child("cuda", str(folder), mode)
        figures[f"7b_cuda_{mode}_decode_tokens_s"] = fig(round(r["decode_tokens_s"], 2), "tokens/s")
        figures[f"7b_cuda_{mode}_first_token_s"] = fig(round(r["first_token_s"], 3), "s")
        figures[f"7b_cuda_{mode}_gpu_peak_gb"] = fig(round(r["gpu_peak_gb"], 2), "GB")
    figures.update(train_figures("7b_cuda", folder))
    return figures


def child_cuda(folder: Path, mode: str) -> dict[str, Any]:
    import torch
    from scale_models import profile_for, request

    from panza.training import drafting
    from panza.training.model import ModelSpec, load_base
    from panza.training.prompt import encode_prompt
    from panza.training.sampling import DRAFT_SAMPLING

    base = load_base(ModelSpec(str(folder), device="cuda", load_in_4bit=mode == "4bit"))
    draft = drafting.wrap(base.model, base.tokenizer, 1, mode)
    ids = encode_prompt(
        draft.tokenizer, profile_for(), request(draft.tokenizer, 1000), 10**6
    ).input_ids
    stamps: list[float] = []

    def stamp(*_: Any) -> None:
        torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    draft.model.register_forward_hook(stamp)
    start = time.perf_counter()
    "".join(draft.stream(ids, 200, DRAFT_SAMPLING))
    return {
        "first_token_s": stamps[0] - start,
        "decode_tokens_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
        "gpu_peak_gb": torch.cuda.max_memory_allocated() / 1e9,
    }
