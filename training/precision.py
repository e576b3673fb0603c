"""How a training run uses the machine: which dtype the weights are loaded in, which dtype
the forward pass computes in, whether activations are recomputed, and whether it fits.

RoSA and LoRA keep the base frozen, so its weights are loaded directly in the compute
dtype (bf16 where the machine has bf16 units: one copy, half the bytes), while the
adapters stay fp32 master copies that autocast casts per matmul. Full fine-tuning trains
every weight, so those stay fp32 (bf16 would round away updates of lr 1e-5) and only the
compute runs in bf16.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from panza.training import memory
from panza.training.hyper import Hyper
from panza.training.model import ModelSpec, load_config, pick_device, pick_dtype

if TYPE_CHECKING:
    import torch

# Recompute activations when the run would otherwise take more than this share of the
# machine's memory, so that training overnight leaves the machine usable: recomputing costs
# one extra forward pass (about a third of a step). Qwen2.5-1.5B RoSA in bf16 on 24 GB:
# about 10.2 GB estimated keeping activations, 7.6 GB peak RSS measured recomputing them.
CHECKPOINT_ABOVE_SHARE = 0.4


@dataclass(frozen=True)
class Precision:
    """The plan: how to load, how to compute, and the memory estimate it was checked with."""

    load_spec: ModelSpec
    compute_dtype: torch.dtype | None  # autocast dtype; None: compute in the weights' dtype
    checkpointing: bool
    estimate: memory.MemoryEstimate | None = None


def plan_precision(spec: ModelSpec, hyper: Hyper, have: float | None = None) -> Precision:
    """Choose load and compute dtypes and checkpointing for `spec`; raise
    InsufficientMemoryError when even the leanest plan exceeds `have` (default: this
    machine's memory). The memory check applies to CPU runs (GPU memory is another pool)."""
    import torch

    device = pick_device(spec.device)
    compute = torch.bfloat16 if spec.load_in_4bit else pick_dtype(spec.dtype, device)
    load_spec = spec
    if hyper.method == "full" and compute != torch.float32 and spec.dtype == "auto":
        load_spec = dataclasses.replace(spec, dtype="float32")
    autocast = None if compute == torch.float32 else compute
    if device.type != "cpu":
        return Precision(load_spec, autocast, checkpointing=True)
    available = memory.machine_memory() if have is None else have
    shape = memory.model_shape(load_config(spec), rank=hyper.r)
    weight_bytes = 2 if load_spec is spec and compute != torch.float32 else 4
    tokens = hyper.max_length * hyper.micro_batch_size
    estimate = functools.partial(
        memory.estimate, shape, hyper.method, weight_bytes=weight_bytes, tokens=tokens
    )
    keep_all = estimate(density=hyper.density, checkpointing=False)
    if keep_all.total <= CHECKPOINT_ABOVE_SHARE * available:
        memory.check_fits(keep_all, available)
        return Precision(load_spec, autocast, False, keep_all)
    lean = estimate(density=hyper.density, checkpointing=True)
    memory.check_fits(lean, available)
    return Precision(load_spec, autocast, True, lean)
