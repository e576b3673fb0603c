"""RosaLinear: a frozen Linear plus a LoRA part and a sparse part on a fixed mask.

y = x W^T + b + s (drop(x) A^T) B^T + x S^T, with s = alpha / r and S holding k = int(d out in)
values at the mask. The mask is stored as sorted flat row-major int64 positions, so any
layer size works and `sparse_values[i]` belongs to the i-th True entry of the mask.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panza.training.dropout import FastDropout
from panza.training.rosa.config import Impl
from panza.training.rosa.errors import MaskError, RosaConfigError, RosaError
from panza.training.rosa.quant import dequantized_weight, is_4bit_linear
from panza.training.rosa.sparse_ops import (
    CsrPlan,
    build_csr_plan,
    csr_sparse_matmul,
    merged_sparse_linear,
)


class RosaLinear(nn.Module):
    """A frozen `base` Linear (or bitsandbytes Linear4bit) with trainable LoRA and sparse parts."""

    def __init__(
        self,
        base: nn.Linear,
        r: int,
        alpha: float,
        dropout: float,
        density: float,
        *,
        impl: Impl = "auto",
        adapter_dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        _check_args(base, r, alpha, dropout, density, impl)
        self.base_layer = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.in_features: int = base.in_features
        self.out_features: int = base.out_features
        self.r = r
        self.alpha = float(alpha)
        self.scaling = self.alpha / r if r > 0 else 1.0
        self.density = float(density)
        self.k = int(density * self.out_features * self.in_features)
        self.impl: Impl = impl
        self.merged = False
        # Output-row sizes of the projections a fused Linear stacks (q, k, v in Phi-3's
        # qkv_proj): the mask then gives each its share, as if they were separate layers.
        self.row_parts: tuple[int, ...] = ()
        device = base.weight.device
        kw: dict[str, Any] = {"device": device, "dtype": adapter_dtype}
        self.lora_A = nn.Parameter(torch.empty(r, self.in_features, **kw))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, r, **kw))
        self.sparse_values = nn.Parameter(torch.zeros(self.k, **kw))
        # -1 marks "no mask yet"; the buffer is saved with the adapter, so a loaded
        # adapter needs no separate mask file.
        self.sparse_index: Tensor
        self.register_buffer(
            "sparse_index", torch.full((self.k,), -1, dtype=torch.int64, device=device)
        )
        if r > 0:
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_dropout: nn.Module = FastDropout(dropout) if dropout > 0 else nn.Identity()
        self._mask_set = False
        self._plan: CsrPlan | None = None
        self.register_load_state_dict_post_hook(_after_load)  # type: ignore[no-untyped-call]

    @property
    def has_mask(self) -> bool:
        """Whether a mask has been set (before that the sparse part is skipped)."""
        return self._mask_set

    def set_mask(self, mask: Tensor) -> None:
        """Fix the positions from a bool (out x in) mask with exactly k True; values reset to 0."""
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
            raise MaskError(f"mask must be a bool tensor, got {_describe(mask)}")
        shape = (self.out_features, self.in_features)
        if tuple(mask.shape) != shape:
            raise MaskError(f"mask shape {tuple(mask.shape)} does not match the layer's {shape}")
        count = int(mask.sum())
        if count != self.k:
            raise MaskError(
                f"mask has {count} True entries; this layer needs exactly k={self.k} "
                f"(density {self.density} of {shape[0]} x {shape[1]})"
            )
        self.set_mask_index(torch.nonzero(mask.reshape(-1)).reshape(-1))

    def set_mask_index(self, index: Tensor) -> None:
        """Fix the positions from k sorted unique flat row-major indices; values reset to 0."""
        if not isinstance(index, Tensor) or index.dtype not in (torch.int32, torch.int64):
            raise MaskError(f"mask index must be an int32/int64 tensor, got {_describe(index)}")
        if index.dim() != 1 or index.numel() != self.k:
            raise MaskError(f"mask index must hold exactly k={self.k} positions, got {index.shape}")
        index = index.to(device=self.sparse_index.device, dtype=torch.int64)
        numel = self.out_features * self.in_features
        if self.k and (int(index[0]) < 0 or int(index[-1]) >= numel):
            raise MaskError(f"mask index out of range [0, {numel})")
        if self.k > 1 and not bool((index[1:] > index[:-1]).all()):
            raise MaskError("mask index must be strictly increasing (sorted, no repeats)")
        with torch.no_grad():
            self.sparse_index.copy_(index)
            self.sparse_values.zero_()
        self._mask_set = True
        self._plan = None

    def mask(self) -> Tensor:
        """The current mask as a dense bool (out x in) tensor."""
        if not self._mask_set:
            raise MaskError("no mask has been set on this layer")
        flat = torch.zeros(
            self.out_features * self.in_features, dtype=torch.bool, device=self.sparse_index.device
        )
        flat[self.sparse_index] = True
        return flat.view(self.out_features, self.in_features)

    def set_trainable(self, lora: bool, sparse: bool) -> None:
        """Choose which adapter parts receive gradients (the base never does)."""
        self.lora_A.requires_grad_(lora and self.r > 0)
        self.lora_B.requires_grad_(lora and self.r > 0)
        self.sparse_values.requires_grad_(sparse and self.k > 0)

    def base_weight(self) -> Tensor:
        """The frozen base weight as a dense (out x in) tensor (dequantized for 4-bit)."""
        if is_4bit_linear(self.base_layer):
            return dequantized_weight(self.base_layer)
        return self.base_layer.weight.detach()

    def sparse_dense(self) -> Tensor:
        """S as a dense (out x in) tensor in the adapter dtype (zeros before a mask is set)."""
        flat = torch.zeros(
            self.out_features * self.in_features,
            dtype=self.sparse_values.dtype,
            device=self.sparse_values.device,
        )
        if self._mask_set:
            flat = flat.index_add(0, self.sparse_index, self.sparse_values)
        return flat.view(self.out_features, self.in_features)

    def delta_weight(self) -> Tensor:
        """The dense update s * B @ A + S that the adapter adds to W."""
        return self.scaling * (self.lora_B @ self.lora_A) + self.sparse_dense()

    def merge(self) -> nn.Linear:
        """A new plain nn.Linear holding W + delta (from a 4-bit base: dense, not re-quantized)."""
        with torch.no_grad():
            w = self.base_weight()
            # After merge_adapter the delta is already in W.
            folded = w if self.merged else w + self.delta_weight().to(w.dtype)
            merged = nn.Linear(
                self.in_features,
                self.out_features,
                bias=self.base_layer.bias is not None,
                device=w.device,
                dtype=w.dtype,
            )
            merged.weight.copy_(folded)
            if self.base_layer.bias is not None:
                merged.bias.copy_(self.base_layer.bias)
        merged.requires_grad_(False)
        return merged

    def merge_adapter(self) -> None:
        """Fold the adapter into the base weight in place; forward then runs the base alone."""
        self._fold(+1)

    def unmerge_adapter(self) -> None:
        """Undo merge_adapter (subtracts the same delta; exact up to float rounding)."""
        self._fold(-1)

    def _fold(self, sign: Literal[1, -1]) -> None:
        if is_4bit_linear(self.base_layer):
            raise RosaError(
                "in-place merge into a 4-bit base would re-quantize and lose the sparse update; "
                "use merge() (returns a dense layer) or merge_and_unload()"
            )
        if self.merged == (sign > 0):
            raise RosaError("adapter already merged" if sign > 0 else "adapter is not merged")
        with torch.no_grad():
            w = self.base_layer.weight
            w.add_(self.delta_weight().to(w.dtype), alpha=sign)
        self.merged = sign > 0

    def forward(self, x: Tensor) -> Tensor:
        if self.merged:
            out: Tensor = self.base_layer(x)
            return out
        lead = x.shape[:-1]
        sparse_on = self._mask_set and self.k > 0
        if sparse_on and self._resolve_impl(x) == "merged":
            x2d = x.reshape(-1, self.in_features)
            values = self.sparse_values
            bias = self.base_layer.bias
            # On a CPU the sparse values' gradient comes from torch's sampled product (SDDMM,
            # fp32 only): 2.5x faster than row blocks of the dense product at 1.5B in bf16.
            plan = self._csr_plan() if x.device.type == "cpu" else None
            y = merged_sparse_linear(x2d, values, self.sparse_index, self.base_weight, bias, plan)
            y = y.reshape(*lead, self.out_features).to(x.dtype)
        else:
            y = self.base_layer(x)
            if sparse_on:
                x2d = x.reshape(-1, self.in_features).to(self.sparse_values.dtype)
                ys = csr_sparse_matmul(x2d, self.sparse_values, self._csr_plan())
                y = y + ys.reshape(*lead, self.out_features).to(y.dtype)
        if self.r > 0:
            z = self.lora_dropout(x)
            # Under autocast the products run in the low format anyway: casting the
            # activations up to the adapter's fp32 first only cost a copy per layer (2.6 s
            # of a 17 s step at 1.5B, 512 tokens; benchmarks/notes/scale_train.md).
            if not torch.is_autocast_enabled(x.device.type):
                z = z.to(self.lora_A.dtype)
            lora = F.linear(F.linear(z, self.lora_A), self.lora_B) * self.scaling
            y = y + lora.to(y.dtype)
        return y

    def _resolve_impl(self, x: Tensor) -> Impl:
        if self.impl != "auto":
            return self.impl
        # On CUDA one dense GEMM over W + S beats cuSPARSE at ~1% density, and CPU sparse
        # products exist only in fp32. On CPU in fp32, CSR products cost a few passes over
        # the N x (out + in) activations, merging two passes over the out x in weight:
        # CSR wins for big layers (measured ~3x less overhead at 4096^2, 512 tokens), merging
        # for small ones (~10% faster steps at 512 x 1376).
        if not _cpu_fp32(x) or is_4bit_linear(self.base_layer):
            return "merged"
        tokens = x.numel() // self.in_features
        weights = self.out_features * self.in_features
        return "merged" if weights <= tokens * (self.out_features + self.in_features) else "csr"

    def _csr_plan(self) -> CsrPlan:
        if self._plan is None or self._plan.device != self.sparse_index.device:
            shape = (self.out_features, self.in_features)
            self._plan = build_csr_plan(self.sparse_index, shape)
        return self._plan

    def extra_repr(self) -> str:
        return (
            f"in={self.in_features}, out={self.out_features}, r={self.r}, alpha={self.alpha}, "
            f"density={self.density}, k={self.k}, mask={'set' if self._mask_set else 'unset'}"
        )


def _cpu_fp32(x: Tensor) -> bool:
    return x.device.type == "cpu" and x.dtype == torch.float32


def _after_load(module: nn.Module, incompatible: Any) -> None:
    # A loaded state dict may carry a mask (or "no mask", all -1); derived CSR arrays are stale.
    assert isinstance(module, RosaLinear)
    module._mask_set = module.k > 0 and bool((module.sparse_index >= 0).all())
    module._plan = None


def _check_args(
    base: object, r: object, alpha: object, dropout: object, density: object, impl: object
) -> None:
    if not isinstance(base, nn.Linear):
        raise RosaConfigError(f"RosaLinear wraps an nn.Linear, got {type(base).__name__}")
    problems = []
    if not isinstance(r, int) or isinstance(r, bool) or r < 0:
        problems.append(f"r must be an integer >= 0, got {r!r}")
    if not isinstance(alpha, int | float) or alpha <= 0:
        problems.append(f"alpha must be > 0, got {alpha!r}")
    if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        problems.append(f"dropout must be in [0, 1), got {dropout!r}")
    if not isinstance(density, int | float) or not 0 <= density < 1:
        problems.append(f"density must be in [0, 1), got {density!r}")
    if impl not in ("auto", "csr", "merged"):
        problems.append(f"impl must be 'auto', 'csr' or 'merged', got {impl!r}")
    if problems:
        raise RosaConfigError("invalid RosaLinear arguments: " + "; ".join(problems))


def _describe(v: object) -> str:
    if isinstance(v, Tensor):
        return f"a {v.dtype} tensor of shape {tuple(v.shape)}"
    return type(v).__name__
