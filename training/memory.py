"""How much memory a training run needs, estimated from the model's config before loading it,
and the machine's memory to compare it with.

The model is built on torch's "meta" device (no memory, well under a second), so every
architecture's real parameter and Linear sizes are counted, fused projections included.
Per-token activation costs were calibrated on the Qwen2.5-1.5B shape (512 tokens, bf16,
see benchmarks/notes/scale_train.md): RoSA recomputing activations, 8.3 GB estimated and
7.6 GB measured; LoRA keeping them, 9.6 GB estimated and 8.8 GB measured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panza.training.errors import TrainingError

GB = 1e9
RUNTIME_BYTES = 0.8 * GB  # the Python process with torch and transformers imported
# Bytes per token and per layer of activations kept for backward, in units of the layer's
# (hidden + intermediate) width, with and without per-layer recomputation (checkpointing).
ACT_PER_WIDTH = 30.0  # measured: Qwen2.5-1.5B LoRA in bf16 peaked at 8.8 GB keeping them
ACT_PER_WIDTH_CHECKPOINTED = 1.0
LOGIT_BYTES = 14.0  # bf16 logits, their fp32 copy, log-softmax and its gradient, per entry
ADAM_BYTES = 16  # an fp32 trainable weight: the weight, its gradient and two moments
OOM_ADVICE = (
    "try --method lora, a smaller base model (model.base), or a lower training.max_length,"
    " and close other programs"
)


class InsufficientMemoryError(TrainingError):
    """The run would need more memory than this machine has."""

    kind = "out_of_memory"


@dataclass(frozen=True)
class ModelShape:
    """What the estimate needs to know about a model."""

    params: int
    adapted: int  # weights of the Linears an all-linear adapter wraps (not the output head)
    lora_params: int  # LoRA A and B at rank 8 over those Linears
    layers: int
    width: int  # hidden + intermediate size
    vocab: int


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak resident memory of a run, by part, in bytes."""

    method: str
    weights: float
    scores: float
    trainable: float
    activations: float
    logits: float
    runtime: float = RUNTIME_BYTES

    @property
    def total(self) -> float:
        parts = (self.weights, self.scores, self.trainable, self.activations, self.logits)
        return sum(parts) + self.runtime

    def describe(self) -> str:
        parts = [("weights", self.weights), ("mask scores", self.scores)]
        parts += [("trainable state", self.trainable), ("activations", self.activations)]
        parts += [("logits", self.logits)]
        listed = ", ".join(f"{n} {v / GB:.1f}" for n, v in parts if v)
        return f"about {self.total / GB:.1f} GB ({listed} GB)"


def model_shape(config: Any, rank: int = 8) -> ModelShape:
    """Count parameters and adapted Linear weights of the model `config` describes."""
    import torch
    from torch import nn
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
    head = model.get_output_embeddings()
    linears = [
        m for n, m in model.named_modules() if isinstance(m, nn.Linear) and m is not head and n
    ]
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return ModelShape(
        params=sum(p.numel() for p in model.parameters()),
        adapted=sum(m.in_features * m.out_features for m in linears),
        lora_params=sum(rank * (m.in_features + m.out_features) for m in linears),
        layers=int(text.num_hidden_layers),
        width=int(text.hidden_size) + int(getattr(text, "intermediate_size", 0) or 0),
        vocab=int(text.vocab_size),
    )


def estimate(
    shape: ModelShape,
    method: str,
    *,
    weight_bytes: int,
    tokens: int,
    density: float = 0.01,
    checkpointing: bool = True,
    scores: bool = True,
) -> MemoryEstimate:
    """Peak memory of training `shape` with `method` on micro-batches of `tokens` tokens.

    RoSA keeps a bf16 score per adapted weight until its mask is chosen (`scores`: the
    collection steps; without, the steps after); full fine-tuning keeps fp32 weights,
    gradients and AdamW moments for every parameter.
    """
    per_width = ACT_PER_WIDTH_CHECKPOINTED if checkpointing else ACT_PER_WIDTH
    activations = shape.layers * tokens * shape.width * per_width
    if checkpointing:  # the one layer being recomputed holds its full activations
        activations += tokens * shape.width * ACT_PER_WIDTH
    logits = tokens * shape.vocab * LOGIT_BYTES
    if method == "full":
        return MemoryEstimate(method, 0.0, 0.0, shape.params * ADAM_BYTES, activations, logits)
    weights = float(shape.params * weight_bytes)
    lora = shape.lora_params * ADAM_BYTES
    if method == "lora":
        return MemoryEstimate(method, weights, 0.0, lora, activations, logits)
    # Sparse values with their AdamW state, plus the int64 position of each.
    sparse = density * shape.adapted * (ADAM_BYTES + 8)
    held = 2.0 * shape.adapted if scores else 0.0
    return MemoryEstimate(method, weights, held, lora + sparse, activations, logits)


def machine_memory() -> float:
    """Bytes of memory this process may use: physical memory, or a cgroup limit if lower."""
    try:
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        total = float("inf")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = float(int(text))
    return total


def check_fits(need: MemoryEstimate, have: float) -> None:
    """Raise InsufficientMemoryError with advice when `need` exceeds `have` bytes."""
    if need.total <= have:
        return
    advice = {
        "full": "use --method rosa or --method lora (they keep the base frozen)",
        "rosa": "use --method lora (no mask scores), a smaller base model, or a lower"
        " training.max_length",
        "lora": "use a smaller base model or a lower training.max_length",
    }[need.method]
    raise InsufficientMemoryError(
        f"{need.method} training of this model needs {need.describe()}, more than the"
        f" {have / GB:.1f} GB this machine has; {advice}"
    )
