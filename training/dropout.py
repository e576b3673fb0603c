"""Dropout for the adapters' inputs with a cheaper random mask.

``nn.Dropout`` draws one Bernoulli sample per element. With PanzaMail's dropout of 0.05 on
the inputs of every adapted layer, that is 260 M draws per 512-token step at 1.5B, and
1.7 s of a 16.7 s RoSA step (torch profiler, benchmarks/notes/scale_train.md). Here one
64-bit random draw gives four 15-bit numbers, each compared with p * 2^15: a quarter of the
draws, and the same distribution up to the rounding of p to a multiple of 2^-15. As with
``nn.Dropout``, kept elements are scaled by 1 / (1 - p), only the boolean mask is kept for
backward, and in eval mode the input passes through unchanged.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn

BITS = 15  # of each 16-bit quarter of a draw: torch's int64 draws leave the sign bit zero
LEVELS = 1 << BITS


def keep_mask(shape: torch.Size, p: float, device: torch.device) -> Tensor:
    """A boolean mask of `shape`, each element False with probability p (to 2^-15)."""
    count = shape.numel()
    draws = torch.empty((count + 3) // 4, dtype=torch.int64, device=device).random_()
    quarters = draws.view(torch.int16)[:count].view(shape)
    return (quarters & (LEVELS - 1)) >= round(p * LEVELS)


class _Dropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, p: float) -> Tensor:
        keep = keep_mask(x.shape, p, x.device)
        ctx.save_for_backward(keep)
        ctx.scale = 1.0 / (1.0 - p)
        return torch.where(keep, x * ctx.scale, 0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (keep,) = ctx.saved_tensors
        return torch.where(keep, grad * ctx.scale, 0), None


class FastDropout(nn.Module):
    """Drop-in for ``nn.Dropout(p)`` on adapter inputs (see the module's docstring)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        return cast(Tensor, _Dropout.apply(x, self.p))  # type: ignore[no-untyped-call]

    def extra_repr(self) -> str:
        return f"p={self.p}"


def replace_dropouts(model: nn.Module) -> int:
    """Put a FastDropout in place of every ``nn.Dropout`` inside the adapters of `model`
    (peft's ``lora_dropout`` modules); returns how many were replaced."""
    replaced = 0
    for module in model.modules():
        holder = getattr(module, "lora_dropout", None)
        if not isinstance(holder, nn.ModuleDict):
            continue
        for name, dropout in list(holder.items()):
            if type(dropout) is nn.Dropout:
                holder[name] = FastDropout(dropout.p)
                replaced += 1
    return replaced
