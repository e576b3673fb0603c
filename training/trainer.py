"""One training loop for every method: gradient accumulation, linear warmup then linear decay
to zero, seeded shuffling, JSON-ready progress per optimizer step, cancellation.

The loss of a step is the mean over all email tokens of its examples (not a mean of
per-micro-batch means), so accumulating micro-batches of any size gives the same step.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panza.training.dataset import Item, collate
from panza.training.errors import Cancelled
from panza.training.hyper import Hyper
from panza.training.precision import Recompute
from panza.training.progress import ESTIMATE_AFTER_STEPS, estimate_event
from panza.training.prompt import IGNORE
from panza.training.rosa import Tuned

Progress = Callable[[dict[str, Any]], None]
ShouldStop = Callable[[], bool]
MAX_GRAD_NORM = 1.0  # llm-foundry's default clipping, which the reference runs used


@dataclass
class TrainResult:
    """What a run did: optimizer steps, per-step mean loss, tokens seen, wall time."""

    steps: int
    losses: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)


def loss_sum(model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """Per-example summed next-token loss over labelled positions, and their token counts."""
    labels = batch["labels"]
    width = labels.shape[1]
    labelled = (labels != IGNORE).any(dim=0).nonzero()
    first = int(labelled[0]) if labelled.numel() else width - 1
    # Logits only from the position before the first email token on: the prompt's logits
    # (half of a typical example, each a 151,936-wide row for Qwen) are never scored.
    keep = width - max(first - 1, 0)
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=keep
    ).logits
    logits = logits[:, :-1].float()
    targets = labels[:, width - keep + 1 :]
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)),
        targets.reshape(-1),
        ignore_index=IGNORE,
        reduction="none",
    ).view(targets.shape)
    return per_token.sum(dim=1), (targets != IGNORE).sum(dim=1)


def autocast(
    device: torch.device, dtype: torch.dtype | None
) -> contextlib.AbstractContextManager[Any]:
    """bf16/fp16 autocast on `device` when `dtype` asks for it: matmuls in the low format,
    trainable fp32 weights (the adapters' master copies) cast per op and updated in fp32."""
    if dtype is None or dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def schedule(step: int, total: int, warmup: int) -> float:
    """LR factor: linear warmup over `warmup` steps, then linear decay to 0 at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def step_order(n: int, hyper: Hyper) -> list[list[int]]:
    """Example indices per optimizer step: each epoch a fresh seeded shuffle, steps cut
    from the concatenation so that no step is a short leftover of an epoch."""
    stream: list[int] = []
    for epoch in range(hyper.epoch_count):
        perm = list(range(n))
        random.Random(hyper.seed * 1000 + epoch).shuffle(perm)
        stream.extend(perm)
    total = hyper.steps_for(n)
    size = math.ceil(len(stream) / total)
    return [stream[i * size : (i + 1) * size] for i in range(total)]


def train(
    tuned: Tuned,
    items: Sequence[Item],
    hyper: Hyper,
    *,
    pad_id: int,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    compute_dtype: torch.dtype | None = None,
    checkpointing: Recompute | bool = False,
) -> TrainResult:
    """Train `tuned.model` on `items` in place (forward under `compute_dtype` autocast,
    activations recomputed per layer in backward in the steps `checkpointing` names);
    raises Cancelled when asked to stop."""
    if not items:
        return TrainResult(steps=0)
    if isinstance(checkpointing, bool):
        checkpointing = Recompute.always(checkpointing)
    with _Recomputing(tuned.model, checkpointing) as recomputing:
        return _train(
            tuned, items, hyper, pad_id, progress, should_stop, compute_dtype, recomputing
        )


class _Recomputing:
    """Switches a model's per-layer activation recomputation on and off between steps, as
    the plan says for each kind of step, and off when the run ends."""

    def __init__(self, model: nn.Module, plan: Recompute) -> None:
        # A peft model wraps the transformers model, which owns the decoder layers.
        get_base = getattr(model, "get_base_model", None)
        self.target = get_base() if callable(get_base) else model
        self.supported = bool(getattr(self.target, "supports_gradient_checkpointing", False))
        self.plan = plan
        self.on = False

    def for_step(self, collecting: bool) -> None:
        """Before a step; `collecting`: it holds RoSA's mask scores."""
        self.set(self.plan.collecting if collecting else self.plan.otherwise)

    def set(self, on: bool) -> None:
        if on == self.on or not self.supported:
            return
        if on:
            self.target.activation_checkpointing_enable()  # type: ignore[operator]
        else:
            self.target.activation_checkpointing_disable()  # type: ignore[operator]
        self.on = on

    def __enter__(self) -> _Recomputing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.set(False)


def _train(
    tuned: Tuned,
    items: Sequence[Item],
    hyper: Hyper,
    pad_id: int,
    progress: Progress | None,
    should_stop: ShouldStop | None,
    compute_dtype: torch.dtype | None,
    recomputing: _Recomputing,
) -> TrainResult:
    torch.manual_seed(hyper.seed)  # dropout masks and LoRA init order
    model = tuned.model
    device = next(model.parameters()).device
    steps = step_order(len(items), hyper)
    total, warmup = len(steps), hyper.warmup_for(len(steps))
    optimizer = torch.optim.AdamW(
        tuned.param_groups(hyper.learning_rate, hyper.sparse_learning_rate),
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
    )
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s, total, warmup))
    used = sorted(set(itertools.chain.from_iterable(steps)))
    result = TrainResult(steps=0, examples=[items[i].record_id for i in used])
    start = time.monotonic()
    model.train()
    try:
        for step, indices in enumerate(steps):
            tuned.on_step_begin(step)
            recomputing.for_step(tuned.collecting)
            chosen = [items[i] for i in indices]
            target_tokens = max(1, sum(i.target_tokens for i in chosen))
            step_loss = 0.0
            for lo in range(0, len(chosen), hyper.micro_batch_size):
                if should_stop is not None and should_stop():
                    raise Cancelled("training was cancelled")
                batch = collate(chosen[lo : lo + hyper.micro_batch_size], pad_id)
                batch = {k: v.to(device) for k, v in batch.items()}
                with autocast(device, compute_dtype):
                    sums, _ = loss_sum(model, batch)
                    loss = sums.sum() / target_tokens
                loss.backward()  # type: ignore[no-untyped-call]
                step_loss += float(loss.detach())
                result.tokens += int(batch["attention_mask"].sum())
            trainable = [
                p for g in optimizer.param_groups for p in g["params"] if p.grad is not None
            ]
            if trainable:
                torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
            optimizer.step()
            lr_schedule.step()
            optimizer.zero_grad(set_to_none=True)
            stop = tuned.on_step_end(step)
            result.steps = step + 1
            result.losses.append(step_loss)
            result.seconds = time.monotonic() - start
            if progress is not None:
                progress(_event(result, total, optimizer))
                if result.steps == min(ESTIMATE_AFTER_STEPS, total):
                    progress(estimate_event(result.steps, total, result.seconds))
            if stop:
                break
    finally:
        model.eval()
    return result


def _event(result: TrainResult, total: int, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    done, secs = result.steps, max(result.seconds, 1e-9)
    return {
        "event": "step",
        "step": done,
        "total": total,
        "loss": round(result.losses[-1], 5),
        "lr": optimizer.param_groups[0]["lr"],
        "tokens_per_s": round(result.tokens / secs, 1),
        "eta_s": round(secs / done * (total - done), 1),
    }
