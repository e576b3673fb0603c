"""The adapters' dropout (panza.training.dropout): nn.Dropout's distribution and gradient
with a quarter of the random draws."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panza.training.dropout import FastDropout, keep_mask, replace_dropouts


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_elements_are_dropped_with_probability_p_and_independently(p: float) -> None:
    torch.manual_seed(0)
    keep = keep_mask(torch.Size([1000, 1003]), p, torch.device("cpu"))  # odd: a partial draw
    dropped = (~keep).float()
    n = dropped.numel()
    assert abs(float(dropped.mean()) - p) < 4 * (p * (1 - p) / n) ** 0.5
    # The four quarters of one draw must not be correlated: neighbours drop independently.
    flat = dropped.flatten()
    both = float((flat[:-1] * flat[1:]).mean())
    assert abs(both - p * p) < 4 * (p * p / (n - 1)) ** 0.5 + 1e-4
    for quarter in range(4):  # nor may any quarter of the draws be biased
        share = float(flat[quarter::4].mean())
        assert abs(share - p) < 4 * (p * (1 - p) / (n / 4)) ** 0.5


def test_forward_scales_what_it_keeps_and_backward_uses_the_same_mask() -> None:
    torch.manual_seed(1)
    layer = FastDropout(0.25)
    x = torch.randn(64, 48, requires_grad=True)
    y = layer(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    assert 0.6 < float(kept.float().mean()) < 0.9
    y.backward(torch.ones_like(y))
    assert x.grad is not None
    assert torch.allclose(x.grad, kept.float() / 0.75)


def test_eval_mode_and_p_zero_pass_the_input_through() -> None:
    x = torch.randn(8, 8)
    assert FastDropout(0.5).eval()(x) is x
    assert FastDropout(0.0)(x) is x
    with pytest.raises(ValueError, match="dropout must be in"):
        FastDropout(1.0)


def test_bf16_inputs_stay_bf16() -> None:
    x = torch.randn(16, 16, dtype=torch.bfloat16)
    assert FastDropout(0.1)(x).dtype == torch.bfloat16


def test_peft_lora_layers_get_the_fast_dropout(tiny_llama: object) -> None:
    from panza.training.rosa import prepare
    from panza.training.rosa.methods import LoraMethodConfig

    model = tiny_llama(0)  # type: ignore[operator]
    tuned = prepare(model, LoraMethodConfig(r=4, alpha=8, dropout=0.05))
    holders = [m.lora_dropout for m in tuned.model.modules() if hasattr(m, "lora_dropout")]
    assert holders and all(
        isinstance(d, FastDropout)
        for h in holders
        for d in h.values()  # type: ignore[union-attr]
    )
    assert replace_dropouts(nn.Sequential(nn.Dropout(0.1))) == 0  # only adapters' dropouts
