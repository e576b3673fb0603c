"""Schedules on a tiny Llama: what trains when, masks appear on time, and the loss goes down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from panza.training.rosa import Phase, RosaConfig, RosaModel, RosaScheduler

ModelFactory = Callable[[int], nn.Module]
Train = Callable[..., list[float]]


def rosa_for(model: nn.Module, **kw: Any) -> tuple[RosaModel, RosaScheduler]:
    torch.manual_seed(0)
    rosa = RosaModel(model, RosaConfig(**{"dropout": 0.0, "density": 0.05, **kw}))
    return rosa, RosaScheduler(rosa)


def trainable_parts(rosa: RosaModel) -> tuple[bool, bool]:
    layer = next(iter(rosa.layers.values()))
    return layer.lora_A.requires_grad, layer.sparse_values.requires_grad


@pytest.mark.parametrize(
    ("kw", "phases"),
    [
        (
            {"schedule": "wl2", "num_grad_steps": 2},
            ["lora", "lora", "collect", "collect", "joint", "joint"],
        ),
        ({"schedule": "default"}, ["collect", "joint", "joint"]),
        ({"schedule": "spa_only", "r": 0}, ["collect", "sparse", "sparse"]),
        ({"schedule": "lora_only", "density": 0.0}, ["lora", "lora", "lora"]),
    ],
)
def test_phases_and_trainable_parts_follow_the_schedule(
    kw: dict[str, Any], phases: list[str], tiny_llama: ModelFactory, batch: Tensor
) -> None:
    rosa, sched = rosa_for(tiny_llama(0), **kw)
    expected_parts = {
        "lora": (True, False),
        "collect": (rosa.config.uses_lora, False),
        "joint": (True, True),
        "sparse": (False, True),
    }
    seen = []
    for step, want in enumerate(phases):
        phase = sched.on_step_begin(step)
        seen.append(phase.value)
        lora_on, sparse_on = expected_parts[want]
        assert trainable_parts(rosa) == (lora_on and rosa.config.r > 0, sparse_on)
        rosa.model(input_ids=batch, labels=batch).loss.backward()
        assert not sched.on_step_end(step)
        # Masks exist exactly from the step after collection ends.
        next_phase = phases[step + 1] if step + 1 < len(phases) else want
        if rosa.config.uses_sparse:
            assert rosa.has_masks == (next_phase in ("joint", "sparse"))
    assert seen == phases
    assert all(p.grad is None for p in rosa.model.parameters() if not p.requires_grad)


@pytest.mark.parametrize(
    "kw",
    [
        {"schedule": "default"},
        {"schedule": "wl3"},
        {"schedule": "lora_only", "density": 0.0},
        {"schedule": "spa_only", "r": 0},
    ],
    ids=["default", "wl3", "lora_only", "spa_only"],
)
def test_tiny_llama_trains_with_each_schedule(
    kw: dict[str, Any], tiny_llama: ModelFactory, batch: Tensor, train_loop: Train
) -> None:
    rosa, sched = rosa_for(tiny_llama(0), **kw)
    losses = train_loop(rosa.model, rosa.param_groups(1e-2), sched, batch, steps=10)
    assert losses[-1] < losses[0] - 0.1, losses
    layer = next(iter(rosa.layers.values()))
    assert bool(layer.sparse_values.any()) == rosa.config.uses_sparse
    assert bool(layer.lora_B.any()) == rosa.config.uses_lora


def test_warmup_then_restart_from_base_with_the_saved_mask(
    tiny_llama: ModelFactory, batch: Tensor, train_loop: Train, tmp_path: Path
) -> None:
    masks = tmp_path / "masks.safetensors"
    warm, warm_sched = rosa_for(
        tiny_llama(0), schedule="wl2", mask_save_path=str(masks), stop_after_mask=True
    )
    losses = train_loop(warm.model, warm.param_groups(1e-2), warm_sched, batch, steps=50)
    assert len(losses) == 3  # two warm-up steps, one collection step, then stop
    assert masks.is_file()

    # Restart: a fresh base and fresh adapters, with the mask from the warmed-up run.
    fresh, sched = rosa_for(tiny_llama(0), schedule="default", mask_load_path=str(masks))
    assert sched.phase(0) is Phase.JOINT
    for name, layer in warm.layers.items():
        assert torch.equal(fresh.layers[name].mask(), layer.mask())
        assert not fresh.layers[name].lora_B.any()
    losses = train_loop(fresh.model, fresh.param_groups(1e-2), sched, batch, steps=6)
    assert losses[-1] < losses[0] - 0.1, losses


def test_transformers_trainer_runs_the_schedule(
    tiny_llama: ModelFactory, batch: Tensor, tmp_path: Path
) -> None:
    from transformers import Trainer, TrainingArguments

    from panza.training.rosa.callback import RosaTrainerCallback

    masks = tmp_path / "masks.safetensors"
    rosa, sched = rosa_for(
        tiny_llama(0), schedule="wl1", mask_save_path=str(masks), stop_after_mask=True
    )
    data = [{"input_ids": row, "labels": row} for row in batch]
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=1,
        gradient_accumulation_steps=2,
        max_steps=10,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=rosa.model, args=args, train_dataset=data, callbacks=[RosaTrainerCallback(sched)]
    )
    trainer.train()
    # One warm-up step and one collection step, then the callback stopped the run.
    assert trainer.state.global_step == 2
    assert rosa.has_masks and masks.is_file()
    assert any(layer.lora_B.any() for layer in rosa.layers.values())
