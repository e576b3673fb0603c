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
# one extra forward pass (about a third of a step). Decided per phase: RoSA's mask
# collection also holds a score per adapted weight (2.6 GB at 1.5B in bf16), the steps
# after it do not. Qwen2.5-1.5B RoSA in bf16 on a 23.5 GiB machine: collection recomputes,
# the steps after keep their activations (10.0 GB estimated, 9.66 GB peak RSS measured;
# benchmarks/notes/scale_train.md); with 24 GB or less both phases recompute.
CHECKPOINT_ABOVE_SHARE = 0.4


@dataclass(frozen=True)
class Recompute:
    """Whether activations are recomputed in backward: in the steps that collect RoSA's
    mask scores, and in every other step."""

    collecting: bool
    otherwise: bool

    @classmethod
    def always(cls, on: bool) -> Recompute:
        return cls(on, on)

    def __bool__(self) -> bool:
        return self.collecting or self.otherwise


@dataclass(frozen=True)
class Precision:
    """The plan: how to load, how to compute, and the memory estimate it was checked with
    (that of its most demanding steps)."""

    load_spec: ModelSpec
    compute_dtype: torch.dtype | None  # autocast dtype; None: compute in the weights' dtype
    checkpointing: Recompute
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
        return Precision(load_spec, autocast, Recompute.always(True))
    available = memory.machine_memory() if have is None else have
    shape = memory.model_shape(load_config(spec), rank=hyper.r)
    weight_bytes = 2 if load_spec is spec and compute != torch.float32 else 4
    tokens = hyper.max_length * hyper.micro_batch_size
    estimate = functools.partial(
        memory.estimate,
        shape,
        hyper.method,
        weight_bytes=weight_bytes,
        tokens=tokens,
        density=hyper.density,
    )
    budget = CHECKPOINT_ABOVE_SHARE * available
    # Each phase keeps its activations when it fits in the budget, else recomputes them;
    # only RoSA has a phase with mask scores (its collection steps).
    plans: list[tuple[bool, memory.MemoryEstimate]] = []
    for scores in (True, False) if hyper.method == "rosa" else (False,):
        keep = estimate(checkpointing=False, scores=scores)
        if keep.total <= budget:
            plans.append((False, keep))
        else:
            plans.append((True, estimate(checkpointing=True, scores=scores)))
    worst = max((need for _, need in plans), key=lambda e: e.total)
    memory.check_fits(worst, available)
    recompute = Recompute(collecting=plans[0][0], otherwise=plans[-1][0])
    return Precision(load_spec, autocast, recompute, worst)
