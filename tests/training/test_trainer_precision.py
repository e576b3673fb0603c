"""The trainer's bf16 autocast (fp32 adapter masters) and activation checkpointing, on the CPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from panza.training.hyper import Hyper
from panza.training.precision import Recompute
from panza.training.rosa import prepare
from panza.training.rosa.methods import RosaTuned
from panza.training.trainer import train
from tests.training.conftest import random_items

HYPER = Hyper(
    epochs=1,
    batch_size=2,
    micro_batch_size=1,
    learning_rate=1e-2,
    warmup_steps=0,
    mask_warmup_steps=4,
    dropout=0.0,
    density=0.05,
)


def run(model: nn.Module, **kw: Any) -> tuple[RosaTuned, list[float]]:
    tuned = prepare(model, HYPER.method_config("tiny", HYPER.steps_for(8)))
    assert isinstance(tuned, RosaTuned)
    return tuned, train(tuned, random_items(8, 32, 8), HYPER, pad_id=0, **kw).losses


def test_checkpointing_changes_no_number_and_collects_each_gradient_once(
    tiny_llama: Callable[[int], nn.Module],
) -> None:
    kept, kept_losses = run(tiny_llama(0))
    recomputed, losses = run(tiny_llama(0), checkpointing=True)
    # Recomputing a layer's forward in backward must not add a second score sample.
    for name, layer in kept.rosa.layers.items():
        assert torch.equal(layer.sparse_index, recomputed.rosa.layers[name].sparse_index)
    torch.testing.assert_close(losses, kept_losses, rtol=1e-5, atol=1e-5)
    assert not recomputed.model.is_activation_checkpointing  # switched off after the run


def test_activations_are_recomputed_only_in_the_steps_the_plan_names(
    tiny_llama: Callable[[int], nn.Module],
) -> None:
    """RoSA at 1.5B: recompute while the mask scores are held, keep activations after."""
    model = tiny_llama(0)
    tuned = prepare(model, HYPER.method_config("tiny", HYPER.steps_for(8)))
    assert isinstance(tuned, RosaTuned)
    # (collecting, recomputing) at each step's first forward, after the trainer's decision.
    seen: list[tuple[bool, bool]] = []
    last_step = [-1]
    step_begin = tuned.on_step_begin

    def begin(step: int) -> None:
        step_begin(step)
        last_step[0] = step

    def first_forward(*_: object) -> None:
        if len(seen) == last_step[0]:
            seen.append((tuned.collecting, bool(model.is_activation_checkpointing)))

    tuned.on_step_begin = begin  # type: ignore[method-assign]
    model.register_forward_pre_hook(first_forward)
    plan = Recompute(collecting=True, otherwise=False)
    train(tuned, random_items(8, 32, 8), HYPER, pad_id=0, checkpointing=plan)
    # One LoRA warm-up step, the collection step, then two joint steps.
    assert seen == [(False, False), (True, True), (False, False), (False, False)]
    assert tuned.rosa.has_masks and not model.is_activation_checkpointing


def test_bf16_autocast_on_a_bf16_base_trains_fp32_adapters(
    tiny_llama: Callable[[int], nn.Module],
) -> None:
    model = tiny_llama(0).to(torch.bfloat16)
    tuned, losses = run(model, compute_dtype=torch.bfloat16, checkpointing=True)
    _, fp32_losses = run(tiny_llama(0))
    # bf16 matmuls round; the run must still follow the fp32 one closely.
    torch.testing.assert_close(losses, fp32_losses, rtol=2e-2, atol=0.0)
    adapters = [*tuned.rosa.lora_parameters(), *tuned.rosa.sparse_parameters()]
    assert {p.dtype for p in adapters} == {torch.float32}
    assert tuned.rosa.has_masks
    assert any(float(p.detach().abs().sum()) > 0 for p in tuned.rosa.sparse_parameters())
    frozen = [p for n, p in model.named_parameters() if "lora_" not in n and "sparse_" not in n]
    assert {p.dtype for p in frozen} == {torch.bfloat16}  # one bf16 copy of the base


def test_the_loss_from_email_positions_only_equals_the_loss_over_all_logits(
    tiny_llama: Callable[[int], nn.Module],
) -> None:
    import torch.nn.functional as F

    from panza.training.dataset import collate
    from panza.training.prompt import IGNORE
    from panza.training.trainer import loss_sum

    model = tiny_llama(0)
    chosen = random_items(2, 32, 8)[:1] + random_items(1, 20, 12, seed=9)
    batch = collate(chosen, pad_id=0)
    with torch.no_grad():
        sums, counts = loss_sum(model, batch)
        full = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    targets = batch["labels"][:, 1:]
    expected = F.cross_entropy(
        full[:, :-1].reshape(-1, full.size(-1)),
        targets.reshape(-1),
        ignore_index=IGNORE,
        reduction="none",
    ).view(targets.shape)
    torch.testing.assert_close(sums, expected.sum(dim=1))
    assert counts.tolist() == [24, 8]
