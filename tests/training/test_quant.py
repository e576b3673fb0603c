"""Weight-only int8/int4 layers (panza.training.quant): exactness of the two compute paths."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panza.training import quant


@pytest.mark.parametrize("scheme", quant.SCHEMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_prefill_and_decode_paths_compute_the_same_layer(
    scheme: quant.Scheme, dtype: torch.dtype
) -> None:
    torch.manual_seed(0)
    linear = nn.Linear(64, 96)
    layer = quant.make_layer(scheme, quant.quantize_linear(linear, scheme, dtype), dtype)
    row = torch.randn(1, 64).to(dtype)
    one = layer(row)  # the packed kernel, on the row in bf16
    many = layer(row.repeat(quant.DENSE_ROWS, 1))[:1]  # dequantized, dense GEMM in `dtype`
    assert one.dtype == many.dtype == dtype
    one, many = one.float(), many.float()
    assert torch.allclose(one, many, atol=2e-2)  # the kernel's bf16 rounding
    want = linear(row.float())
    error = (one - want).abs().max() / want.abs().max()
    assert error < (0.03 if scheme == "int8" else 0.2)  # rounding, not a wrong layout


def test_int4_is_planned_only_where_its_kernel_fits() -> None:
    model = nn.Sequential()
    model.add_module("fits", nn.Linear(64, 32))
    model.add_module("odd_outputs", nn.Linear(64, 40))  # not a multiple of 16
    model.add_module("odd_inputs", nn.Linear(48, 32))  # not whole groups of 32
    model.add_module("lm_head", nn.Linear(64, 32))  # the logits too: the largest matrix
    assert quant.plan(model, "int4") == {
        "fits": "int4",
        "odd_outputs": "int8",
        "odd_inputs": "int8",
        "lm_head": "int4",
    }
    assert set(quant.plan(model, "int8").values()) == {"int8"}


@pytest.mark.parametrize("scheme", quant.SCHEMES)
def test_a_layer_that_keeps_its_dequantized_weight_computes_prompts_the_same(
    scheme: quant.Scheme,
) -> None:
    torch.manual_seed(0)
    saved = quant.quantize_linear(nn.Linear(64, 96), scheme, torch.bfloat16)
    bf16 = torch.bfloat16
    lean = quant.make_layer(scheme, saved, bf16)
    dense = quant.make_layer(scheme, saved, bf16, dense=True)
    prompt = torch.randn(quant.DENSE_ROWS, 64).to(torch.bfloat16)
    assert torch.equal(lean(prompt), dense(prompt))
    assert torch.equal(lean(prompt[:1]), dense(prompt[:1]))  # decode: the packed kernel
    assert lean.cached is None and dense.cached is not None  # kept once, not per prompt


@pytest.mark.parametrize("scheme", quant.SCHEMES)
def test_the_packed_kernels_get_bf16_rows_even_in_an_fp32_model(
    scheme: quant.Scheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch vectorizes the packed kernels for bf16 only (fp32 ran 13-28x slower,
    benchmarks/bench_kernels.py): an fp32 model's layer casts its row around the kernel."""
    kernel = "_weight_int4pack_mm_for_cpu" if scheme == "int4" else "_weight_int8pack_mm"
    real, seen = getattr(torch, kernel), []

    def spy(x: torch.Tensor, *args: object) -> torch.Tensor:
        seen.append((x.dtype, args[-1].dtype))  # type: ignore[attr-defined]
        return real(x, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(torch, kernel, spy)
    torch.manual_seed(0)
    linear = nn.Linear(64, 96)
    saved = quant.quantize_linear(linear, scheme, torch.float32)
    layer = quant.make_layer(scheme, saved, torch.float32)
    row = torch.randn(1, 64)
    out = layer(row)
    assert seen == [(torch.bfloat16, torch.bfloat16)]  # the row and the scales
    assert out.dtype == torch.float32 and layer.bias is not None
    assert layer.bias.dtype == torch.float32
    error = (out - linear(row)).abs().max() / linear(row).abs().max()
    assert error < (0.03 if scheme == "int8" else 0.2)


@pytest.mark.parametrize("scheme", quant.SCHEMES)
def test_a_layer_saved_with_fp32_scales_still_loads(scheme: quant.Scheme) -> None:
    """Copies built on CPUs without bf16 units before this change saved fp32 scales."""
    torch.manual_seed(0)
    saved = quant.quantize_linear(nn.Linear(64, 96), scheme, torch.float32)
    old = {k: v.float() if v.is_floating_point() else v for k, v in saved.items()}
    row = torch.randn(1, 64)
    now = quant.make_layer(scheme, saved, torch.float32)(row)
    assert torch.equal(quant.make_layer(scheme, old, torch.float32)(row), now)
