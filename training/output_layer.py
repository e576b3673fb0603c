"""The output layer, fed a 2-D view of its input.

transformers computes logits as ``lm_head(hidden[:, slice, :])``. On a CPU, with a frozen
weight (a merged adapter's model, a base being tuned), torch runs a Linear on such a 3-D
slice (batch of one, a stride from the full sequence) as a batched product against an
expanded, transposed copy of the weight: for Qwen2.5's 151,936 x 1,536 output matrix that
copy is 467 MB in bf16, made at every call. Measured on the 2-core machine
(benchmarks/bench_kernels.py): the last row's logits after a 1,084-token prompt took 1.32 s
instead of 30 ms, a training step's 257 scored rows 1.76 s instead of 0.35 s. Given the same
rows as a 2-D view, it is one plain matrix product.
"""

from __future__ import annotations

from torch import Tensor, nn


class FoldedLinear(nn.Linear):
    """An ``nn.Linear`` that folds leading dimensions into one before its product."""

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() <= 2:
            return super().forward(x)
        out = super().forward(x.reshape(-1, x.shape[-1]))
        return out.view(*x.shape[:-1], self.out_features)


def fold_output_layer(model: nn.Module) -> bool:
    """Make `model`'s output layer a FoldedLinear (same parameters, tying and state dict);
    False where it is not a plain ``nn.Linear``."""
    get = getattr(model, "get_output_embeddings", None)
    head = get() if callable(get) else None
    if type(head) is not nn.Linear:
        return False
    head.__class__ = FoldedLinear
    return True
