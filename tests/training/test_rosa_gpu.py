"""CUDA paths (bf16 merge-then-GEMM, 4-bit NF4 base) and the typed error where they cannot run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from panza.training.rosa import (
    QuantizationUnavailableError,
    RosaConfig,
    RosaError,
    RosaLinear,
    RosaModel,
    RosaScheduler,
    load_4bit_base,
    nf4_quantization_config,
    require_4bit,
)
from panza.training.rosa.quant import four_bit_unavailable_reason, is_4bit_linear

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
needs_4bit = pytest.mark.skipif(
    four_bit_unavailable_reason() is not None,
    reason=f"needs CUDA and bitsandbytes ({four_bit_unavailable_reason()})",
)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_4bit_without_cuda_raises_a_typed_error() -> None:
    with pytest.raises(QuantizationUnavailableError, match="needs a CUDA GPU"):
        require_4bit()
    with pytest.raises(QuantizationUnavailableError):
        nf4_quantization_config()
    # Fails before any download or file access is attempted.
    with pytest.raises(QuantizationUnavailableError):
        load_4bit_base("no/such-model")
    assert issubclass(QuantizationUnavailableError, RosaError)


def masked_layer(base: nn.Module, out_f: int, in_f: int) -> RosaLinear:
    torch.manual_seed(0)
    layer = RosaLinear(base, r=4, alpha=8.0, dropout=0.0, density=0.02)  # type: ignore[arg-type]
    flat = torch.zeros(out_f * in_f, dtype=torch.bool)
    flat[torch.randperm(out_f * in_f)[: layer.k]] = True
    layer.set_mask(flat.view(out_f, in_f).cuda())
    with torch.no_grad():
        layer.lora_B.normal_(0, 0.1)
        layer.sparse_values.normal_(0, 0.1)
    return layer


def check_against_dense(layer: RosaLinear, x: Tensor, tol: float) -> None:
    """Forward and gradients against y = x (W + s B A + S)^T + b computed in fp32."""
    w = layer.base_weight().float()
    bias = layer.base_layer.bias
    a = layer.lora_A.detach().clone().requires_grad_()
    b = layer.lora_B.detach().clone().requires_grad_()
    s = layer.sparse_dense().detach().clone().requires_grad_()
    x_ref = x.detach().float().requires_grad_()
    y_ref = x_ref @ (w + layer.scaling * b @ a + s).T
    if bias is not None:
        y_ref = y_ref + bias.float()
    y = layer(x)
    assert y.dtype == x.dtype
    g = torch.randn_like(y_ref)
    y.backward(g.to(y.dtype))
    y_ref.backward(g)
    close: dict[str, Any] = {"atol": tol, "rtol": tol}
    torch.testing.assert_close(y.float(), y_ref.detach(), **close)
    assert x.grad is not None and s.grad is not None
    torch.testing.assert_close(x.grad.float(), x_ref.grad, **close)
    torch.testing.assert_close(layer.lora_A.grad, a.grad, **close)
    torch.testing.assert_close(layer.lora_B.grad, b.grad, **close)
    torch.testing.assert_close(
        layer.sparse_values.grad, s.grad.view(-1)[layer.sparse_index], **close
    )


@pytest.mark.gpu
@needs_cuda
def test_bf16_cuda_layer_matches_dense_reference() -> None:
    base = nn.Linear(256, 192).cuda().to(torch.bfloat16)
    layer = masked_layer(base, 192, 256)
    x = torch.randn(4, 32, 256, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    assert layer._resolve_impl(x) == "merged"
    check_against_dense(layer, x, tol=5e-2)
    assert base.weight.grad is None


@pytest.mark.gpu
@needs_4bit
def test_4bit_base_layer_trains_and_merges_dense() -> None:
    import bitsandbytes as bnb

    dense = nn.Linear(256, 192)
    q = bnb.nn.Linear4bit(256, 192, bias=True, compute_dtype=torch.bfloat16, quant_type="nf4")
    q.weight = bnb.nn.Params4bit(dense.weight.data.clone(), requires_grad=False, quant_type="nf4")
    q.bias = nn.Parameter(dense.bias.data.clone(), requires_grad=False)
    q = q.cuda()
    assert is_4bit_linear(q)
    layer = masked_layer(q, 192, 256)
    x = torch.randn(4, 32, 256, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    check_against_dense(layer, x, tol=5e-2)
    merged = layer.merge()
    assert type(merged) is nn.Linear
    with torch.no_grad():
        torch.testing.assert_close(merged(x).float(), layer(x).float(), atol=5e-2, rtol=5e-2)
    with pytest.raises(RosaError, match="re-quantize"):
        layer.merge_adapter()


@pytest.mark.gpu
@needs_4bit
def test_qrosa_tiny_llama_trains(
    tiny_llama: Callable[[int], nn.Module],
    batch: Tensor,
    train_loop: Callable[..., list[float]],
    tmp_path: Path,
) -> None:
    tiny_llama(0).save_pretrained(str(tmp_path / "base"))
    model = load_4bit_base(str(tmp_path / "base"), device_map={"": 0})
    assert any(is_4bit_linear(m) for m in model.modules())
    torch.manual_seed(0)
    rosa = RosaModel(model, RosaConfig(density=0.05, dropout=0.0, schedule="wl2"))
    losses = train_loop(rosa.model, rosa.param_groups(1e-2), RosaScheduler(rosa), batch.cuda(), 10)
    assert rosa.has_masks
    assert losses[-1] < losses[0] - 0.1, losses


def _rosa_steps_through_the_trainer(model: nn.Module) -> tuple[Any, list[float]]:
    from tests.training.test_trainer_precision import run

    return run(model, compute_dtype=torch.bfloat16, checkpointing=True)


@pytest.mark.gpu
@needs_cuda
def test_bf16_rosa_steps_through_the_trainer_keep_fp32_adapters(
    tiny_llama: Callable[[int], nn.Module],
) -> None:
    model = tiny_llama(0).to("cuda", torch.bfloat16)
    tuned, losses = _rosa_steps_through_the_trainer(model)
    assert len(losses) == 4 and all(torch.isfinite(torch.tensor(losses)))
    assert tuned.rosa.has_masks
    for p in (*tuned.rosa.lora_parameters(), *tuned.rosa.sparse_parameters()):
        assert p.dtype == torch.float32 and p.device.type == "cuda"  # fp32 master copies
    assert any(float(p.detach().abs().sum()) > 0 for p in tuned.rosa.sparse_parameters())
    assert next(model.parameters()).dtype == torch.bfloat16  # the frozen base: one bf16 copy


@pytest.mark.gpu
@needs_4bit
def test_4bit_rosa_steps_through_the_trainer(
    tiny_llama: Callable[[int], nn.Module], tmp_path: Path
) -> None:
    tiny_llama(0).save_pretrained(str(tmp_path / "base"))
    model = load_4bit_base(str(tmp_path / "base"), device_map={"": 0})
    torch.cuda.reset_peak_memory_stats()
    tuned, losses = _rosa_steps_through_the_trainer(model)
    assert len(losses) == 4 and all(torch.isfinite(torch.tensor(losses)))
    assert tuned.rosa.has_masks and any(is_4bit_linear(m) for m in model.modules())
    assert torch.cuda.max_memory_allocated() > 0


@pytest.mark.gpu
@needs_cuda
def test_the_cuda_plan_computes_in_bf16(tmp_path: Path) -> None:
    from panza.training.hyper import Hyper
    from panza.training.model import ModelSpec
    from panza.training.precision import plan_precision

    plan = plan_precision(ModelSpec(str(tmp_path), device="cuda"), Hyper())
    assert plan.compute_dtype == torch.bfloat16 and plan.checkpointing
