"""Every method on every architecture users pick: train a few steps through the project's
trainer, save, load onto a fresh base, merge, generate; merged and unmerged logits agree."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from torch import nn

from panza.training.dataset import Item
from panza.training.hyper import Hyper
from panza.training.rosa import load, prepare
from panza.training.rosa.layer import RosaLinear
from panza.training.trainer import train
from tests.training.archs import ARCHS, VOCAB, build
from tests.training.conftest import random_items

pytestmark = pytest.mark.slow
STEPS = 4


def items() -> list[Item]:
    return random_items(STEPS, 24, 8, seed=7)


def logits(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out: torch.Tensor = model(input_ids=ids).logits
    return out


@pytest.mark.parametrize("method", ["rosa", "lora", "full"])
@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_train_save_load_merge_generate(arch: str, method: str, tmp_path: Path) -> None:
    hyper = Hyper(
        method=method,  # type: ignore[arg-type]
        epochs=1,
        batch_size=1,
        learning_rate=1e-2,
        warmup_steps=0,
        mask_warmup_steps=4,  # capped at a quarter of the run: 1 LoRA step, then the mask
        dropout=0.0,
        density=0.05,
    )
    folder = tmp_path / arch
    base = build(arch, folder)
    before = {n: p.detach().clone() for n, p in base.named_parameters()}
    tuned = prepare(base, hyper.method_config(str(folder), hyper.steps_for(STEPS)))
    result = train(tuned, items(), hyper, pad_id=0)
    assert result.steps == STEPS and all(torch.isfinite(torch.tensor(result.losses)))
    probe = torch.randint(1, VOCAB, (2, 12), generator=torch.Generator().manual_seed(3))
    trained = logits(tuned.model, probe)
    assert not torch.allclose(trained, logits(build(arch, folder), probe)), (
        "training changed nothing"
    )

    tuned.save(tmp_path / "out")
    loaded = load(build(arch, folder), tmp_path / "out")
    unmerged = logits(loaded.model, probe)
    torch.testing.assert_close(unmerged, trained, rtol=1e-4, atol=1e-4)
    merged_model = loaded.merged()
    assert not any(isinstance(m, RosaLinear) for m in merged_model.modules())
    torch.testing.assert_close(logits(merged_model, probe), unmerged, rtol=1e-4, atol=1e-4)
    out = merged_model.generate(  # type: ignore[operator]
        input_ids=probe[:1], max_new_tokens=4, do_sample=False, pad_token_id=0
    )
    assert out.shape == (1, 16)
    if method != "full":  # the base stayed frozen
        for name, p in build(arch, folder).named_parameters():
            torch.testing.assert_close(p, before[name])


@pytest.mark.parametrize(
    ("leaf", "parts"), [("qkv_proj", (64, 32, 32)), ("gate_up_proj", (96, 96))]
)
def test_rosa_masks_each_projection_of_a_fused_layer(
    leaf: str, parts: tuple[int, ...], tmp_path: Path
) -> None:
    hyper = Hyper(
        epochs=1, batch_size=1, warmup_steps=0, mask_warmup_steps=4, dropout=0.0, density=0.05
    )
    folder = tmp_path / "phi3"
    tuned = prepare(build("phi3", folder), hyper.method_config(str(folder), STEPS))
    train(tuned, items(), hyper, pad_id=0)
    layers = tuned.rosa.layers  # type: ignore[attr-defined]
    layer: RosaLinear = layers[next(n for n in layers if n.endswith(leaf))]
    assert layer.row_parts == parts
    assert layer.has_mask and layer.k == int(0.05 * layer.out_features * layer.in_features)
    # Each stacked projection (q, k, v; gate, up) gets its share of the positions, as
    # separate layers would, and not whichever has the largest gradients.
    rows = layer.sparse_index // layer.in_features
    edges = [0, *torch.tensor(parts).cumsum(0).tolist()]
    counts = [int(((rows >= lo) & (rows < hi)).sum()) for lo, hi in itertools.pairwise(edges)]
    for count, n in zip(counts, parts, strict=True):
        assert abs(count - layer.k * n / layer.out_features) <= 1
    assert float(layer.sparse_values.detach().abs().sum()) > 0
