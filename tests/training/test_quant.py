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
    layer = quant.make_layer(scheme, quant.quantize_linear(linear, scheme, dtype))
    row = torch.randn(1, 64).to(dtype)
    one = layer(row).float()  # the packed kernel
    many = layer(row.repeat(quant.DENSE_ROWS, 1))[:1].float()  # dequantized, dense GEMM
    assert torch.allclose(one, many, atol=1e-2 if dtype == torch.bfloat16 else 1e-5)
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
    lean, dense = quant.make_layer(scheme, saved), quant.make_layer(scheme, saved, dense=True)
    prompt = torch.randn(quant.DENSE_ROWS, 64).to(torch.bfloat16)
    assert torch.equal(lean(prompt), dense(prompt))
    assert torch.equal(lean(prompt[:1]), dense(prompt[:1]))  # decode: the packed kernel
    assert lean.cached is None and dense.cached is not None  # kept once, not per prompt
