"""RosaLinear against a dense reference y = x (W + s B A + S)^T + b, in fp32 on the CPU."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from panza.training.rosa import MaskError, RosaConfigError, RosaError, RosaLinear
from panza.training.rosa.sparse_ops import build_csr_plan, csr_sparse_matmul, sampled_gather

TOL: dict[str, Any] = {"atol": 1e-5, "rtol": 1e-5}


def random_mask(out_f: int, in_f: int, k: int, seed: int = 0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    flat = torch.zeros(out_f * in_f, dtype=torch.bool)
    flat[torch.randperm(out_f * in_f, generator=g)[:k]] = True
    return flat.view(out_f, in_f)


def trained_layer(
    out_f: int = 40, in_f: int = 48, r: int = 4, density: float = 0.05, impl: str = "auto"
) -> RosaLinear:
    """A layer whose A, B and S are all non-zero, as after some training."""
    torch.manual_seed(0)
    layer = RosaLinear(nn.Linear(in_f, out_f), r=r, alpha=8.0, dropout=0.0, density=density)
    layer.impl = impl  # type: ignore[assignment]
    layer.set_mask(random_mask(out_f, in_f, layer.k))
    with torch.no_grad():
        layer.lora_B.normal_()
        layer.sparse_values.normal_()
    return layer


def dense_reference(layer: RosaLinear) -> tuple[Tensor, Tensor, Tensor]:
    """Leaf copies of A, B and a dense S, for y = x (W + s B A + S)^T + b by plain autograd."""
    a = layer.lora_A.detach().clone().requires_grad_()
    b = layer.lora_B.detach().clone().requires_grad_()
    s = layer.sparse_dense().detach().clone().requires_grad_()
    return a, b, s


@pytest.mark.parametrize("impl", ["csr", "merged"])
def test_forward_and_gradients_match_dense_reference(impl: str) -> None:
    layer = trained_layer(impl=impl)
    w, bias = layer.base_layer.weight, layer.base_layer.bias
    x = torch.randn(2, 5, 48, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    a, b, s = dense_reference(layer)

    y = layer(x)
    y_ref = x_ref @ (w + layer.scaling * b @ a + s).T + bias
    torch.testing.assert_close(y, y_ref, **TOL)

    upstream = torch.randn_like(y)
    y.backward(upstream)
    y_ref.backward(upstream)
    torch.testing.assert_close(x.grad, x_ref.grad, **TOL)
    torch.testing.assert_close(layer.lora_A.grad, a.grad, **TOL)
    torch.testing.assert_close(layer.lora_B.grad, b.grad, **TOL)
    # The sparse values get exactly the dense gradient of W at the mask positions.
    assert s.grad is not None
    torch.testing.assert_close(layer.sparse_values.grad, s.grad.view(-1)[layer.sparse_index], **TOL)
    assert w.grad is None and bias.grad is None
    assert not w.requires_grad


def test_auto_picks_by_layer_size_on_cpu_and_both_paths_agree() -> None:
    csr, merged, auto = trained_layer(impl="csr"), trained_layer(impl="merged"), trained_layer()
    few, many = torch.randn(7, 48), torch.randn(30, 48)
    # 40 x 48 weights: CSR while 7 tokens' activations are smaller, merged once they are not.
    assert auto._resolve_impl(few) == "csr" and auto._resolve_impl(many) == "merged"
    assert csr._resolve_impl(many) == "csr"
    for x in (few, many):
        torch.testing.assert_close(csr(x), merged(x), **TOL)
        torch.testing.assert_close(auto(x), merged(x), **TOL)


@pytest.mark.parametrize("shape", [(3, 40_000), (40_000, 3)])
def test_indices_beyond_int16_range(shape: tuple[int, int]) -> None:
    out_f, in_f = shape
    torch.manual_seed(0)
    layer = RosaLinear(
        nn.Linear(in_f, out_f, bias=False), r=2, alpha=2.0, dropout=0.0, density=0.001
    )
    flat = torch.zeros(out_f * in_f, dtype=torch.bool)
    # Positions past 32767 in both rows and columns, where int16 indices would wrap.
    picks = torch.linspace(out_f * in_f - layer.k, out_f * in_f - 1, layer.k).long()
    flat[picks] = True
    layer.set_mask(flat.view(out_f, in_f))
    with torch.no_grad():
        layer.sparse_values.uniform_(-1, 1)
    x = torch.randn(4, in_f)
    y_ref = x @ (layer.base_layer.weight + layer.sparse_dense()).T
    torch.testing.assert_close(layer(x), y_ref, **TOL)
    assert int(layer.sparse_index.max()) > 32767


def test_int64_csr_plan_for_huge_layers_gives_the_same_results() -> None:
    # Layers with >= 2^31 weights get int64 CSR arrays; force that path on a small one.
    layer = trained_layer()
    x = torch.randn(6, 48, requires_grad=True)
    results = []
    for dtype in (torch.int32, torch.int64):
        plan = build_csr_plan(layer.sparse_index, (40, 48), index_dtype=dtype)
        assert plan.col.dtype == dtype
        values = layer.sparse_values.detach().clone().requires_grad_()
        y = csr_sparse_matmul(x, values, plan)
        y.backward(torch.ones_like(y))
        assert x.grad is not None and values.grad is not None
        results.append((y.detach(), x.grad.clone(), values.grad))
        x.grad = None
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_row_blocked_sampled_product_equals_dense_gather() -> None:
    dy, x = torch.randn(9, 30), torch.randn(9, 20)
    index = torch.randperm(600)[:77].sort().values
    dense = (dy.T @ x).view(-1)[index]
    # A block of 40 elements is two rows: many blocks, some of them without mask entries.
    torch.testing.assert_close(sampled_gather(dy, x, index, block_elements=40), dense, **TOL)


def test_fresh_layer_is_the_base_layer_and_shapes_follow_the_api() -> None:
    base = nn.Linear(48, 40)
    layer = RosaLinear(base, r=4, alpha=8.0, dropout=0.1, density=0.05)
    assert layer.lora_A.shape == (4, 48) and layer.lora_B.shape == (40, 4)
    assert layer.k == int(0.05 * 40 * 48) == layer.sparse_values.numel()
    assert layer.lora_A.abs().sum() > 0  # Kaiming-uniform, not zero
    assert not layer.lora_B.any() and not layer.sparse_values.any()
    x = torch.randn(3, 48)
    layer.eval()
    torch.testing.assert_close(layer(x), base(x))


def test_dropout_touches_only_the_lora_branch() -> None:
    layer = trained_layer()
    layer.lora_dropout = nn.Dropout(0.5)
    with torch.no_grad():
        layer.lora_B.zero_()
    layer.train()
    x = torch.randn(6, 48)
    # With B = 0 the LoRA branch is zero, so any dropout leaking into base or S would show.
    y_ref = x @ (layer.base_layer.weight + layer.sparse_dense()).T + layer.base_layer.bias
    torch.testing.assert_close(layer(x), y_ref, **TOL)


def test_delta_weight_and_merge() -> None:
    layer = trained_layer()
    delta = layer.scaling * layer.lora_B @ layer.lora_A + layer.sparse_dense()
    torch.testing.assert_close(layer.delta_weight(), delta, **TOL)
    merged = layer.merge()
    assert type(merged) is nn.Linear
    x = torch.randn(5, 48)
    torch.testing.assert_close(merged(x), layer(x), **TOL)
    base_before = layer.base_layer.weight.detach().clone()
    layer.merge_adapter()
    torch.testing.assert_close(layer(x), merged(x), **TOL)
    torch.testing.assert_close(layer.merge()(x), merged(x), **TOL)  # not folded twice
    with pytest.raises(RosaError, match="already merged"):
        layer.merge_adapter()
    layer.unmerge_adapter()
    torch.testing.assert_close(layer.base_layer.weight, base_before, **TOL)
    torch.testing.assert_close(layer(x), merged(x), **TOL)


def test_mask_survives_state_dict_round_trip() -> None:
    layer = trained_layer()
    fresh = RosaLinear(nn.Linear(48, 40), r=4, alpha=8.0, dropout=0.0, density=0.05)
    assert not fresh.has_mask
    fresh.load_state_dict(layer.state_dict())
    assert fresh.has_mask
    assert torch.equal(fresh.mask(), layer.mask())
    x = torch.randn(3, 48)
    torch.testing.assert_close(fresh(x), layer(x), rtol=0, atol=0)


def test_set_mask_orders_values_row_major_and_resets_them() -> None:
    layer = trained_layer()
    mask = random_mask(40, 48, layer.k, seed=7)
    layer.set_mask(mask)
    assert not layer.sparse_values.any()
    with torch.no_grad():
        layer.sparse_values.copy_(torch.arange(1, layer.k + 1, dtype=torch.float32))
    dense = layer.sparse_dense()
    assert torch.equal(dense != 0, mask)
    assert torch.equal(dense[mask], torch.arange(1, layer.k + 1, dtype=torch.float32))


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (torch.zeros(40, 48, dtype=torch.bool), "exactly k=96"),
        (torch.ones(40, 48, dtype=torch.bool), "has 1920 True entries"),
        (random_mask(48, 40, 96), r"shape \(48, 40\) does not match"),
        (random_mask(40, 48, 96).float(), "must be a bool tensor"),
        ([[True]], "must be a bool tensor"),
    ],
)
def test_bad_masks_are_refused_clearly(mask: object, message: str) -> None:
    layer = RosaLinear(nn.Linear(48, 40), r=4, alpha=8.0, dropout=0.0, density=0.05)
    with pytest.raises(MaskError, match=message):
        layer.set_mask(mask)  # type: ignore[arg-type]
    assert isinstance(MaskError("x"), ValueError)
    assert not layer.has_mask


def test_bad_mask_indices_are_refused() -> None:
    layer = RosaLinear(nn.Linear(4, 4), r=1, alpha=1.0, dropout=0.0, density=0.25)
    with pytest.raises(MaskError, match="strictly increasing"):
        layer.set_mask_index(torch.tensor([3, 1, 2, 5]))
    with pytest.raises(MaskError, match="out of range"):
        layer.set_mask_index(torch.tensor([0, 1, 2, 16]))
    with pytest.raises(MaskError, match="no mask"):
        layer.mask()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"r": -1}, "r must be an integer >= 0"),
        ({"alpha": 0.0}, "alpha must be > 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"density": 1.5}, r"density must be in \[0, 1\)"),
    ],
)
def test_bad_layer_arguments_are_refused(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {"r": 4, "alpha": 8.0, "dropout": 0.0, "density": 0.01}
    args.update(kwargs)
    with pytest.raises(RosaConfigError, match=message):
        RosaLinear(nn.Linear(8, 8), **args)  # type: ignore[arg-type]
    with pytest.raises(RosaConfigError, match=r"wraps an nn\.Linear"):
        RosaLinear(nn.Conv1d(2, 2, 1), r=4, alpha=8.0, dropout=0.0, density=0.01)  # type: ignore[arg-type]


def test_bf16_base_takes_the_merged_path_and_matches_reference() -> None:
    # The CUDA bf16 path's dtype handling (bf16 base and input, fp32 adapters), run on CPU.
    layer = trained_layer()
    layer.base_layer.to(torch.bfloat16)
    x = torch.randn(2, 5, 48, dtype=torch.bfloat16, requires_grad=True)
    assert layer._resolve_impl(x) == "merged"
    w = layer.base_layer.weight.float()
    a, b, s = dense_reference(layer)
    x_ref = x.detach().float().requires_grad_()
    y_ref = x_ref @ (w + layer.scaling * b @ a + s).T + layer.base_layer.bias.float()
    y = layer(x)
    assert y.dtype == torch.bfloat16
    upstream = torch.randn_like(y_ref)
    y.backward(upstream.to(torch.bfloat16))
    y_ref.backward(upstream)
    loose: dict[str, Any] = {"atol": 5e-2, "rtol": 5e-2}
    torch.testing.assert_close(y.float(), y_ref.detach(), **loose)
    assert x.grad is not None and x.grad.dtype == torch.bfloat16 and s.grad is not None
    torch.testing.assert_close(x.grad.float(), x_ref.grad, **loose)
    torch.testing.assert_close(
        layer.sparse_values.grad, s.grad.view(-1)[layer.sparse_index], **loose
    )
    assert layer.sparse_values.grad is not None and layer.sparse_values.grad.dtype == torch.float32
