"""The sparse part's two autograd functions: CSR products (CPU) and merge-then-GEMM (CUDA).

Both give the values only the gradient at the mask (a sampled dense-dense product, SDDMM)
and never keep a dense out x in gradient or merged weight alive between forward and backward.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor

# Largest transient out-row block of dO^T X, in elements: 4M fp32 = 16 MiB, small next to
# any layer worth a sparse adapter, large enough that the GEMMs stay efficient.
SDDMM_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class CsrPlan:
    """CSR structure of a mask and of its transpose, built once per mask and device."""

    shape: tuple[int, int]
    crow: Tensor
    col: Tensor
    t_crow: Tensor
    t_col: Tensor
    t_perm: Tensor  # position in transposed (column-major) order -> index into the values

    @property
    def device(self) -> torch.device:
        return self.crow.device


def build_csr_plan(
    index: Tensor, shape: tuple[int, int], index_dtype: torch.dtype | None = None
) -> CsrPlan:
    """CSR (and transposed CSR) arrays for sorted flat row-major int64 mask positions."""
    out_f, in_f = shape
    rows = torch.div(index, in_f, rounding_mode="floor")
    cols = index - rows * in_f
    t_perm = torch.argsort(cols * out_f + rows)
    # MKL's sparse kernels take int32; handing them int32 saves a conversion copy of the
    # index arrays on every call. Only the rare layer with >= 2^31 weights needs int64.
    dtype = index_dtype or (torch.int32 if out_f * in_f < 2**31 else torch.int64)
    return CsrPlan(
        shape,
        _offsets(rows, out_f, dtype),
        cols.to(dtype),
        _offsets(cols, in_f, dtype),
        rows[t_perm].to(dtype),
        t_perm,
    )


def _offsets(keys: Tensor, n: int, dtype: torch.dtype) -> Tensor:
    off = torch.zeros(n + 1, dtype=torch.int64, device=keys.device)
    off[1:] = torch.cumsum(torch.bincount(keys, minlength=n), 0)
    return off.to(dtype)


def _csr(crow: Tensor, col: Tensor, values: Tensor, size: tuple[int, int]) -> Tensor:
    # Invariants hold by construction (sorted unique positions); torch warns once per process
    # that CSR is "beta", which the test suite's warnings-as-errors would turn into a failure.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)


class _CsrSparseMatmul(torch.autograd.Function):
    """x S^T with S in CSR; dX through the transposed CSR, dS by sampled_addmm at the mask."""

    @staticmethod
    def forward(ctx: Any, x2d: Tensor, values: Tensor, plan: CsrPlan) -> Tensor:
        ctx.save_for_backward(x2d, values)
        ctx.plan = plan
        s = _csr(plan.crow, plan.col, values, plan.shape)
        # MKL's CSR x dense is ~4x faster than dense x CSR here; the result comes back
        # transposed, and a row-major copy (a few ms) keeps every later op on fast strides.
        return (s @ x2d.t().contiguous()).t().contiguous()

    @staticmethod
    def backward(ctx: Any, dy: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        x2d, values = ctx.saved_tensors
        plan: CsrPlan = ctx.plan
        out_f, in_f = plan.shape
        dx = dvals = None
        # One row-major copy of dO^T serves both products (sampled_addmm would make its own).
        dy_t = dy.t().contiguous()
        if ctx.needs_input_grad[0]:
            s_t = _csr(plan.t_crow, plan.t_col, values[plan.t_perm], (in_f, out_f))
            dx = (s_t @ dy_t).t().contiguous()
        if ctx.needs_input_grad[1]:
            dvals = csr_sampled_product(plan, dy_t, x2d)
        return dx, dvals, None


def csr_sampled_product(plan: CsrPlan, dy_t: Tensor, x2d: Tensor) -> Tensor:
    """(dy_t x2d) at the mask of `plan`, in value order, by torch's SDDMM (CPU: fp32 only)."""
    pattern = _csr(plan.crow, plan.col, dy_t.new_zeros(plan.col.numel()), plan.shape)
    product: Tensor = torch.sparse.sampled_addmm(pattern, dy_t, x2d, beta=0.0)
    return product.values()


def csr_sparse_matmul(x2d: Tensor, values: Tensor, plan: CsrPlan) -> Tensor:
    """x2d (N x in) times S^T, S given by `values` on the mask of `plan`; returns N x out."""
    return cast(Tensor, _CsrSparseMatmul.apply(x2d, values, plan))  # type: ignore[no-untyped-call]


WeightFn = Callable[[], Tensor]


def merged_weight(weight: Tensor, index: Tensor, values: Tensor) -> Tensor:
    """A fresh dense W + S (W's dtype); W itself is left untouched."""
    w = weight.detach().clone()
    w.view(-1).index_add_(0, index, values.detach().to(w.dtype))
    return w


class _MergedSparseLinear(torch.autograd.Function):
    """One GEMM with W + S formed in forward and formed again in backward, never stored."""

    @staticmethod
    def forward(
        ctx: Any,
        x2d: Tensor,
        values: Tensor,
        index: Tensor,
        weight_fn: WeightFn,
        bias: Tensor | None,
        plan: CsrPlan | None,
    ) -> Tensor:
        ctx.save_for_backward(x2d, values, index)
        ctx.weight_fn = weight_fn
        ctx.plan = plan
        w = merged_weight(weight_fn(), index, values)
        # A 4-bit base dequantizes to its compute dtype, which x and the bias need not share.
        b = None if bias is None else bias.to(w.dtype)
        return F.linear(x2d.to(w.dtype), w, b)

    @staticmethod
    def backward(
        ctx: Any, dy: Tensor
    ) -> tuple[Tensor | None, Tensor | None, None, None, None, None]:
        x2d, values, index = ctx.saved_tensors
        dx = dvals = None
        if ctx.needs_input_grad[0]:
            dx = (dy @ merged_weight(ctx.weight_fn(), index, values)).to(x2d.dtype)
        if ctx.needs_input_grad[1]:
            if ctx.plan is not None:  # torch's CPU SDDMM takes fp32 only
                dy_t = dy.t().to(torch.float32).contiguous()
                dvals = csr_sampled_product(ctx.plan, dy_t, x2d.to(torch.float32))
            else:
                dvals = sampled_gather(dy, x2d.to(dy.dtype), index)
            dvals = dvals.to(values.dtype)
        return dx, dvals, None, None, None, None


def merged_sparse_linear(
    x2d: Tensor,
    values: Tensor,
    index: Tensor,
    weight_fn: WeightFn,
    bias: Tensor | None,
    plan: CsrPlan | None = None,
) -> Tensor:
    """x2d (W + S)^T + b with W from `weight_fn` (frozen: no gradient reaches it).

    With a CSR `plan` (CPU) dS comes from torch's SDDMM, else from row-blocked GEMMs.
    """
    out = _MergedSparseLinear.apply(x2d, values, index, weight_fn, bias, plan)  # type: ignore[no-untyped-call]
    return cast(Tensor, out)


def sampled_gather(
    dy2d: Tensor, x2d: Tensor, index: Tensor, block_elements: int = SDDMM_BLOCK_ELEMENTS
) -> Tensor:
    """(dy2d^T x2d) at the sorted flat positions `index`, computed in bounded row blocks."""
    out_f, in_f = dy2d.shape[1], x2d.shape[1]
    rows = max(1, block_elements // in_f)
    starts = list(range(0, out_f, rows))
    edges = torch.tensor([*starts, out_f], dtype=torch.int64, device=index.device) * in_f
    bounds = torch.searchsorted(index, edges).tolist()
    result = torch.empty(index.numel(), dtype=torch.result_type(dy2d, x2d), device=dy2d.device)
    for b, r0 in enumerate(starts):
        lo, hi = bounds[b], bounds[b + 1]
        if lo == hi:
            continue
        block = dy2d[:, r0 : r0 + rows].t() @ x2d
        result[lo:hi] = block.view(-1)[index[lo:hi] - r0 * in_f]
    return result
