"""Mask generation from hooked gradients, top-k selection, and mask files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import Tensor, nn

from panza.training.rosa import (
    AdapterFormatError,
    GradientCollector,
    MaskError,
    RosaConfig,
    RosaLinear,
    RosaModel,
    topk_index,
)


def collect(layer: RosaLinear, mode: str, xs: list[Tensor], gs: list[Tensor]) -> GradientCollector:
    collector = GradientCollector({"layer": layer}, mode)  # type: ignore[arg-type]
    collector.start()
    for x, g in zip(xs, gs, strict=True):
        layer(x).backward(g)
    collector.stop()
    return collector


@pytest.mark.parametrize("mode", ["mean_squared", "mean"])
@pytest.mark.parametrize("lora_trains", [True, False])
def test_mask_is_exact_topk_of_accumulated_scores(mode: str, lora_trains: bool) -> None:
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(24, 16), r=2, alpha=2.0, dropout=0.0, density=0.1)
    # With nothing trainable (spa_only collection) the hooks must still see every gradient.
    layer.set_trainable(lora=lora_trains, sparse=False)
    xs = [torch.randn(3, 5, 24) for _ in range(3)]
    gs = [torch.randn(3, 5, 16) for _ in range(3)]
    collector = collect(layer, mode, xs, gs)

    samples = [g.reshape(-1, 16).T @ x.reshape(-1, 24) for x, g in zip(xs, gs, strict=True)]
    if mode == "mean_squared":
        samples = [s * s for s in samples]
    expected = torch.stack(samples).mean(0)
    assert collector.samples("layer") == 3
    score = collector.score("layer")
    assert score.device.type == "cpu"
    torch.testing.assert_close(score, expected, atol=1e-5, rtol=1e-5)

    index = collector.masks()["layer"]
    assert index.numel() == layer.k == int(0.1 * 16 * 24)
    expected_index = torch.argsort(expected.abs().reshape(-1), descending=True)[: layer.k]
    assert torch.equal(index, expected_index.sort().values)
    chosen = torch.zeros(16 * 24, dtype=torch.bool)
    chosen[index] = True
    flat = score.abs().reshape(-1)
    assert flat[chosen].min() >= flat[~chosen].max()


def test_disk_backed_scores_equal_in_memory_scores(tmp_path: Path) -> None:
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(24, 16), r=2, alpha=2.0, dropout=0.0, density=0.1)
    xs = [torch.randn(5, 24) for _ in range(2)]
    gs = [torch.randn(5, 16) for _ in range(2)]
    in_ram = collect(layer, "mean_squared", xs, gs)
    on_disk = GradientCollector({"layer": layer}, score_dir=tmp_path / "scores")
    on_disk.start()
    for x, g in zip(xs, gs, strict=True):
        layer(x).backward(g)
    on_disk.stop()
    assert len(list((tmp_path / "scores").iterdir())) == 1
    torch.testing.assert_close(on_disk.score("layer"), in_ram.score("layer"), rtol=0, atol=0)
    assert torch.equal(on_disk.masks()["layer"], in_ram.masks()["layer"])
    on_disk.close()
    assert not list((tmp_path / "scores").iterdir())


def test_hooks_leave_outputs_unchanged_and_detach_cleanly() -> None:
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(8, 6), r=2, alpha=2.0, dropout=0.0, density=0.25)
    layer.set_trainable(lora=False, sparse=False)
    x = torch.randn(4, 8)
    collector = GradientCollector({"layer": layer})
    collector.start()
    torch.testing.assert_close(layer(x), layer.base_layer(x), rtol=0, atol=0)
    with torch.no_grad():
        layer(x)  # evaluation forwards add nothing
    collector.stop()
    layer.set_trainable(lora=True, sparse=False)
    layer(x).sum().backward()
    assert collector.samples("layer") == 0


def test_topk_index_density_is_exact() -> None:
    score = torch.randn(37, 53)
    for density in (0.003, 0.01, 0.2):
        k = int(density * score.numel())
        index = topk_index(score, k)
        assert index.numel() == k and index.dtype == torch.int64
        assert torch.equal(index, index.unique())  # sorted, no repeats
    with pytest.raises(MaskError, match="exceeds"):
        topk_index(score, score.numel() + 1)


def fill_adapters(rosa: RosaModel) -> None:
    """Deterministic non-zero adapter values, so outputs depend on the masks."""
    with torch.no_grad():
        for layer in rosa.layers.values():
            layer.lora_B.fill_(0.01)
            layer.sparse_values.copy_(torch.linspace(-0.5, 0.5, layer.k))


def test_masks_save_load_give_identical_masks_and_outputs(
    tiny_llama: Callable[[int], nn.Module], batch: Tensor, tmp_path: Path
) -> None:
    config = RosaConfig(density=0.05, dropout=0.0)
    torch.manual_seed(5)
    first = RosaModel(tiny_llama(0), config)
    collector = GradientCollector(first.layers)
    collector.start()
    first.model(input_ids=batch, labels=batch).loss.backward()
    collector.stop()
    first.set_masks(collector.masks())
    path = tmp_path / "masks.safetensors"
    first.save_masks(path)

    torch.manual_seed(5)
    second = RosaModel(
        tiny_llama(0), RosaConfig(density=0.05, dropout=0.0, mask_load_path=str(path))
    )
    assert second.has_masks
    for name, layer in first.layers.items():
        assert torch.equal(second.layers[name].mask(), layer.mask())
        assert second.layers[name].mask().sum() == layer.k
    fill_adapters(first)
    fill_adapters(second)
    with torch.no_grad():
        out1, out2 = first.model(input_ids=batch).logits, second.model(input_ids=batch).logits
    torch.testing.assert_close(out1, out2, rtol=0, atol=0)

    # The same values on other positions give other outputs: the comparison above has teeth.
    other = {n: torch.arange(layer.k) for n, layer in first.layers.items()}
    second.set_masks(other)
    fill_adapters(second)
    with torch.no_grad():
        assert not torch.allclose(second.model(input_ids=batch).logits, out1)


def test_mask_files_that_do_not_fit_are_refused(
    tiny_llama: Callable[[int], nn.Module], tmp_path: Path
) -> None:
    rosa = RosaModel(tiny_llama(0), RosaConfig(target_modules=("q_proj",), density=0.05))
    with pytest.raises(MaskError, match="no masks to save"):
        rosa.save_masks(tmp_path / "none.safetensors")
    rosa.set_masks({n: torch.arange(layer.k) for n, layer in rosa.layers.items()})
    good = tmp_path / "q.safetensors"
    rosa.save_masks(good)

    other = RosaModel(tiny_llama(0), RosaConfig(target_modules=("k_proj",), density=0.05))
    with pytest.raises(MaskError, match="do not match the model: missing"):
        other.load_masks(good)
    with pytest.raises(AdapterFormatError, match="not found"):
        other.load_masks(tmp_path / "absent.safetensors")
    foreign = tmp_path / "foreign.safetensors"
    save_file({"x": torch.zeros(2)}, str(foreign))
    with pytest.raises(AdapterFormatError, match="not a RoSA mask file"):
        other.load_masks(foreign)
    denser = RosaModel(tiny_llama(0), RosaConfig(target_modules=("q_proj",), density=0.1))
    with pytest.raises(MaskError, match="exactly k="):
        denser.load_masks(good)


def test_bf16_scores_take_half_the_memory_and_choose_the_same_mask() -> None:
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(96, 64), r=2, alpha=2.0, dropout=0.0, density=0.05)
    xs = [torch.randn(8, 96) for _ in range(4)]
    gs = [torch.randn(8, 64) for _ in range(4)]
    exact = collect(layer, "mean_squared", xs, gs)
    small = GradientCollector({"layer": layer}, score_dtype=torch.bfloat16)
    small.start()
    for x, g in zip(xs, gs, strict=True):
        layer(x).backward(g)
    small.stop()
    assert small._sums["layer"].dtype == torch.bfloat16
    assert small._sums["layer"].element_size() * 2 == exact._sums["layer"].element_size()
    torch.testing.assert_close(small.score("layer"), exact.score("layer"), rtol=2e-2, atol=1e-6)
    same = set(small.masks()["layer"].tolist()) & set(exact.masks()["layer"].tolist())
    # Only near-ties at the cut may swap places.
    assert len(same) >= 0.97 * layer.k


def test_a_fused_score_is_ranked_per_stacked_part() -> None:
    score = torch.zeros(6, 4)
    score[4:] = 10.0  # the last part (2 rows) has every large entry
    score[0, 1], score[2, 3] = 1.0, 2.0
    index = topk_index(score, 4, (2, 2, 2))
    rows = (index // 4).tolist()
    # k=4 over three equal parts: 2, 1 and 1 (the rounding remainder goes first).
    assert sorted(rows) == rows and [r // 2 for r in rows] == [0, 0, 1, 2]
    assert 1 in index.tolist() and 2 * 4 + 3 in index.tolist()
    with pytest.raises(MaskError, match="do not stack"):
        topk_index(score, 4, (2, 2))


def test_bf16_activations_give_the_mask_fp32_activations_give() -> None:
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(96, 64), r=2, alpha=2.0, dropout=0.0, density=0.05)
    xs = [torch.randn(8, 96) for _ in range(3)]
    gs = [torch.randn(8, 64) for _ in range(3)]
    exact = collect(layer, "mean_squared", xs, gs)
    layer.to(torch.bfloat16)
    low = collect(layer, "mean_squared", [x.bfloat16() for x in xs], [g.bfloat16() for g in gs])
    torch.testing.assert_close(low.score("layer"), exact.score("layer"), rtol=5e-2, atol=1e-3)
    same = set(low.masks()["layer"].tolist()) & set(exact.masks()["layer"].tolist())
    assert len(same) >= 0.95 * layer.k
