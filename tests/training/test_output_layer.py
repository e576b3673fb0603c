"""The output layer fed a 2-D view (panza.training.output_layer): the same numbers as
nn.Linear, the same parameters, on the slices transformers hands it."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from panza.training import quant
from panza.training.output_layer import FoldedLinear, fold_output_layer
from tests.training.archs import build


def test_a_sliced_input_gives_nn_linears_output_and_gradients() -> None:
    torch.manual_seed(0)
    plain = nn.Linear(16, 40)
    folded = nn.Linear(16, 40)
    folded.load_state_dict(plain.state_dict())
    folded.__class__ = FoldedLinear
    hidden = torch.randn(1, 12, 16, requires_grad=True)
    outs, grads = [], []
    for layer in (plain, folded):
        out = layer(hidden[:, 5:, :])  # as transformers slices for logits_to_keep
        out.pow(2).sum().backward()
        assert hidden.grad is not None and layer.weight.grad is not None
        outs.append(out)
        grads.append((hidden.grad.clone(), layer.weight.grad.clone()))
        hidden.grad = None
    assert outs[0].shape == outs[1].shape == (1, 7, 40)
    torch.testing.assert_close(outs[1], outs[0])
    for mine, theirs in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(mine, theirs)
    flat = torch.randn(3, 16)
    torch.testing.assert_close(folded(flat), plain(flat))  # 2-D inputs pass as they are


def test_folding_a_tied_model_keeps_its_weights_state_dict_and_logits(tmp_path: Path) -> None:
    model = build("gemma2", tmp_path)  # ties its output matrix to the input embedding
    ids = torch.randint(0, 256, (1, 9))
    with torch.no_grad():
        before = model(input_ids=ids, logits_to_keep=4).logits
    keys = list(model.state_dict())
    assert fold_output_layer(model)
    head = model.get_output_embeddings()
    assert type(head) is FoldedLinear
    assert head.weight is model.get_input_embeddings().weight  # still tied
    assert list(model.state_dict()) == keys
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=ids, logits_to_keep=4).logits, before)
    assert not fold_output_layer(nn.Sequential())  # nothing to fold


def test_loaded_models_have_a_folded_output_layer_that_is_still_quantized(
    tiny_base: Path,
) -> None:
    from panza.training.model import ModelSpec, load_base

    model = load_base(ModelSpec(str(tiny_base))).model
    assert type(model.get_output_embeddings()) is FoldedLinear
    assert quant.plan(model, "int4")["lm_head"] == "int4"  # the drafting copy still takes it
