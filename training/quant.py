"""Weight-only quantization for drafting on a CPU, through torch's own packed CPU kernels.

A decode step reads every weight once per token, so on a CPU its speed is the memory
bandwidth divided by the bytes per weight: fewer bytes, faster drafts. Two schemes:

- ``int8``: one scale per output channel (``torch._weight_int8pack_mm``);
- ``int4``: asymmetric, one scale and zero per group of 32 inputs
  (``torch._weight_int4pack_mm_for_cpu``), the output matrix (the logits) included: at
  151,936 x 1,536 it is the largest single matrix, and in int8 it took 14 of a decode
  step's 80 ms (benchmarks/notes/scale.md); the held-out loss stays within the goal.

The packed kernels take their activations in bf16 on every CPU (``KERNEL_DTYPE``): torch
vectorizes them for bf16 only, and with fp32 activations they run a scalar loop 14-33x
slower, slower even than the fp32 layer they replace (benchmarks/bench_kernels.py, with and
without AVX-512). A model computing in fp32 (a CPU without bf16 units) casts one row to bf16
and back around each kernel; its prompts run the dense GEMM in fp32, where bf16 would crawl.
A layer whose shape a kernel cannot take (int4 needs the outputs in multiples of 16 and the
inputs in whole groups) falls back to int8. Quantized tensors are plain tensors with a
portable layout (int4 as two nibbles per byte); the CPU-specific packing is done at load.
These are the kernels torchao's CPU int8/int4 weight-only configs call, without torchao.

A prompt (many rows) is compute-bound, not bandwidth-bound, and the packed kernels are
made for one row: a prompt runs a dense GEMM on the dequantized weight instead. With
``dense=True`` a layer keeps that weight dequantized in memory (the compute dtype's bytes
again) rather than dequantizing it at every prompt, which took more time than the GEMM.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from panza.training.output_layer import FoldedLinear

Scheme = Literal["int8", "int4"]
SCHEMES: tuple[Scheme, ...] = ("int8", "int4")
GROUP = 32
KERNEL_DTYPE = torch.bfloat16
# From this many rows (prompt tokens) on, a layer runs a dense GEMM on its dequantized
# weight: the packed kernels are made for decode (one row); at 1,084 rows the int4 one took
# 176 ms per 8,960 x 1,536 layer against 74 ms for a bf16 GEMM (benchmarks/notes/scale.md).
DENSE_ROWS = 32


class _QuantizedLinear(nn.Module):
    """What both schemes share: one row through the packed kernel (decode), many rows
    through a dense GEMM on the dequantized weight (a prompt), kept when ``dense``."""

    in_features: int
    out_features: int
    bias: Tensor | None
    cached: Tensor | None
    dtype: torch.dtype  # the model's: of the layer's output, its bias and its dense weight

    def keep_dense(self, dense: bool) -> None:
        self.register_buffer("cached", self.dense() if dense else None, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features)
        if flat.shape[0] >= DENSE_ROWS:
            weight = self.cached if self.cached is not None else self.dense()
            y = F.linear(flat.to(self.dtype), weight, self.bias)
        else:
            y = self.packed_mm(flat.to(KERNEL_DTYPE)).to(self.dtype)
            if self.bias is not None:
                y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features)

    def packed_mm(self, flat: Tensor) -> Tensor:
        raise NotImplementedError

    def dense(self) -> Tensor:
        raise NotImplementedError


class Int8Linear(_QuantizedLinear):
    """y = x @ (q * scale).T + bias, q int8 with one scale per output channel."""

    qweight: Tensor
    scales: Tensor

    def __init__(
        self,
        qweight: torch.Tensor,
        scales: torch.Tensor,
        bias: torch.Tensor | None,
        dtype: torch.dtype,
        dense: bool = False,
    ) -> None:
        super().__init__()
        self.out_features, self.in_features = qweight.shape
        self.dtype = dtype
        self.register_buffer("qweight", qweight)
        self.register_buffer("scales", scales.to(KERNEL_DTYPE))
        self.register_buffer("bias", _as(bias, dtype))
        self.keep_dense(dense)

    def packed_mm(self, flat: Tensor) -> Tensor:
        return torch._weight_int8pack_mm(flat, self.qweight, self.scales)

    def dense(self) -> Tensor:
        """The weight as the kernel sees it, dequantized (in the model's dtype): q * scale."""
        return self.qweight.to(self.dtype) * self.scales.to(self.dtype)[:, None]


class Int4Linear(_QuantizedLinear):
    """y = x @ ((q - 8) * scale + zero).T + bias, q in 0..15, per group of GROUP inputs."""

    nibbles: Tensor | None
    packed: Tensor
    scales_zeros: Tensor

    def __init__(
        self,
        nibbles: torch.Tensor,
        scales_zeros: torch.Tensor,
        bias: torch.Tensor | None,
        dtype: torch.dtype,
        dense: bool = False,
    ) -> None:
        super().__init__()
        self.out_features, self.in_features = nibbles.shape[0], nibbles.shape[1] * 2
        self.dtype = dtype
        # The kernel's packing is CPU-specific, so it is made here, from the portable form.
        packed = torch._convert_weight_to_int4pack_for_cpu(_unpack(nibbles), 1)
        self.register_buffer("packed", packed, persistent=False)
        self.register_buffer("nibbles", nibbles, persistent=False)  # for the dense path
        self.register_buffer("scales_zeros", scales_zeros.to(KERNEL_DTYPE))
        self.register_buffer("bias", _as(bias, dtype))
        self.keep_dense(dense)
        if dense:
            self.nibbles = None  # the dequantized weight replaces them

    def packed_mm(self, flat: Tensor) -> Tensor:
        return torch._weight_int4pack_mm_for_cpu(flat, self.packed, GROUP, self.scales_zeros)

    def dense(self) -> Tensor:
        """The weight as the kernel sees it, dequantized (in the model's dtype):
        (q - 8) * scale + zero."""
        assert self.nibbles is not None, "a dense layer keeps its dequantized weight instead"
        dtype = self.dtype
        q = torch.stack([self.nibbles & 0x0F, self.nibbles >> 4], dim=-1).to(dtype)
        q = q.reshape(self.out_features, -1, GROUP)
        scales_zeros = self.scales_zeros.to(dtype)
        scale = scales_zeros[..., 0].t()[..., None]
        low = scales_zeros[..., 1].t()[..., None] - 8 * scale
        # One fused pass: q * scale + (zero - 8 * scale).
        return torch.addcmul(low, q, scale).reshape(self.out_features, self.in_features)


def quantize_linear(linear: nn.Linear, scheme: Scheme, dtype: torch.dtype) -> dict[str, Tensor]:
    """The saved form of one quantized layer (tensor name suffix -> tensor): its scales in
    the kernels' bf16, its bias in the model's `dtype`."""
    w = linear.weight.detach().float()
    out: dict[str, Tensor] = {}
    if scheme == "int8":
        scales = (w.abs().amax(dim=1) / 127).clamp(min=1e-10)
        out["qweight"] = torch.round(w / scales[:, None]).clamp(-127, 127).to(torch.int8)
        out["scales"] = scales.to(KERNEL_DTYPE)
    else:
        rows, cols = w.shape
        groups = w.reshape(rows, cols // GROUP, GROUP)
        low, high = groups.amin(dim=-1), groups.amax(dim=-1)
        scale = ((high - low) / 15).clamp(min=1e-10)
        q = torch.round((groups - low[..., None]) / scale[..., None]).clamp(0, 15)
        out["nibbles"] = _pack(q.to(torch.uint8).reshape(rows, cols))
        # The kernel computes (q - 8) * scale + zero, so the zero is the group's middle.
        zero = low + 8 * scale
        pairs = torch.stack([scale.t(), zero.t()], dim=-1)
        out["scales_zeros"] = pairs.to(KERNEL_DTYPE).contiguous()
    if linear.bias is not None:
        out["bias"] = linear.bias.detach().to(dtype).clone()
    return out


def make_layer(
    scheme: Scheme,
    tensors: dict[str, Tensor],
    dtype: torch.dtype,
    dense: bool = False,
) -> nn.Module:
    """A quantized layer from its saved form, for a model computing in `dtype`; `dense`
    keeps a dequantized weight for prompts. Scales saved in fp32 (copies built before the
    kernels took bf16 on every CPU) are converted here."""
    bias = tensors.get("bias")
    if scheme == "int4":
        return Int4Linear(tensors["nibbles"], tensors["scales_zeros"], bias, dtype, dense)
    return Int8Linear(tensors["qweight"], tensors["scales"], bias, dtype, dense)


def int4_fits(linear: nn.Linear) -> bool:
    return linear.out_features % 16 == 0 and linear.in_features % GROUP == 0


def plan(model: nn.Module, scheme: Scheme) -> dict[str, Scheme]:
    """Which scheme each linear layer gets (by module name)."""
    chosen: dict[str, Scheme] = {}
    for name, module in linears(model):
        chosen[name] = "int4" if scheme == "int4" and int4_fits(module) else "int8"
    return chosen


def replace(model: nn.Module, name: str, layer: nn.Module) -> None:
    """Put `layer` in place of the submodule called `name`."""
    head, _, child = name.rpartition(".")
    setattr(model.get_submodule(head) if head else model, child, layer)


def weight_bytes(model: nn.Module) -> int:
    """Bytes of weights one decode step reads: all of them but the input embedding, which is
    a row lookup (unless it is also the output matrix, tied, and so read whole)."""
    embedding = model.get_input_embeddings().weight  # type: ignore[operator]
    output = getattr(model.get_output_embeddings(), "weight", None)  # type: ignore[operator]
    seen = set() if output is embedding else {id(embedding)}
    total = 0
    # Nibbles and dequantized weights serve only prompts; decode reads the packed weights.
    prompt_only = (".nibbles", ".cached")
    buffers = [t for name, t in model.named_buffers() if not name.endswith(prompt_only)]
    for tensor in [*model.parameters(), *buffers]:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            total += tensor.numel() * tensor.element_size()
    return total


def linears(model: nn.Module) -> Iterator[tuple[str, nn.Linear]]:
    """The plain linear layers of `model`, by module name."""
    for name, module in model.named_modules():
        if type(module) in (nn.Linear, FoldedLinear):
            yield name, module


def _as(tensor: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    return None if tensor is None else tensor.to(dtype)


def _pack(q: torch.Tensor) -> torch.Tensor:
    """[N, K] values 0..15 -> [N, K/2] bytes, even column in the low nibble."""
    return (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous()


def _unpack(nibbles: torch.Tensor) -> torch.Tensor:
    low, high = nibbles & 0x0F, nibbles >> 4
    return torch.stack([low, high], dim=-1).reshape(nibbles.shape[0], -1).to(torch.int32)
