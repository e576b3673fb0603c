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
    model.add_module("lm_head", nn.Linear(64, 32))  # the logits stay int8
    assert quant.plan(model, "int4") == {
        "fits": "int4",
        "odd_outputs": "int8",
        "odd_inputs": "int8",
        "lm_head": "int8",
    }
    assert set(quant.plan(model, "int8").values()) == {"int8"}
