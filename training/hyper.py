"""Hyperparameters of one training run, with the reference configuration as defaults.

Defaults follow PanzaMail's recommended RoSA setup (r=8, alpha=16, dropout 0.05, density
1%, all-linear targets, lr 1e-5, global batch 8 of micro-batch 1, 8 warmup steps then
linear decay, max length 512, seed 41, 5 epochs for RoSA and 3 for full fine-tuning).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from panza.training.errors import JobError
from panza.training.rosa import MethodConfig, MethodName, method_config

METHOD_EPOCHS: dict[str, int] = {"rosa": 5, "lora": 5, "full": 3}


@dataclass(frozen=True)
class Hyper:
    """Everything that shapes a run; recorded in each version's manifest."""

    method: MethodName = "rosa"
    epochs: int | None = None  # None: the method's reference count (METHOD_EPOCHS)
    learning_rate: float = 1e-5
    sparse_learning_rate: float | None = None  # None: same as learning_rate
    max_length: int = 512
    batch_size: int = 8
    micro_batch_size: int = 1
    warmup_steps: int = 8
    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    density: float = 0.01
    target_modules: str | tuple[str, ...] = "all-linear"
    # RoSA's "wl16": LoRA alone for this many steps before the sparse mask is chosen.
    mask_warmup_steps: int = 16
    replay_ratio: float = 0.5
    acceptance_tolerance: float = 0.02
    seed: int = 41

    def __post_init__(self) -> None:
        if isinstance(self.target_modules, list):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        problems = []
        if self.method not in METHOD_EPOCHS:
            problems.append(f"method must be rosa, lora or full, not {self.method!r}")
        for name in ("batch_size", "micro_batch_size", "max_length"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if self.epochs is not None and self.epochs < 1:
            problems.append("epochs must be >= 1")
        if self.micro_batch_size > self.batch_size:
            problems.append("micro_batch_size cannot exceed batch_size")
        if self.learning_rate <= 0:
            problems.append("learning_rate must be > 0")
        if self.replay_ratio < 0 or self.acceptance_tolerance < 0:
            problems.append("replay_ratio and acceptance_tolerance must be >= 0")
        if problems:
            raise JobError("invalid training settings: " + "; ".join(problems))

    @property
    def epoch_count(self) -> int:
        return self.epochs if self.epochs is not None else METHOD_EPOCHS[self.method]

    def steps_for(self, examples: int) -> int:
        """Optimizer steps for `examples` examples over all epochs (at least one)."""
        return max(1, math.ceil(self.epoch_count * examples / self.batch_size))

    def warmup_for(self, total_steps: int) -> int:
        """Warmup steps, capped at a tenth of the run: a 20-step incremental run would
        otherwise spend almost half of it warming up."""
        return min(self.warmup_steps, total_steps // 10)

    def method_config(self, base_model: str | None, total_steps: int) -> MethodConfig:
        """The RoSA tuner's config for this run."""
        if self.method == "full":
            return method_config("full", base_model=base_model)
        if self.method == "lora":
            return method_config(
                "lora",
                r=self.r,
                alpha=self.alpha,
                dropout=self.dropout,
                target_modules=self.target_modules,
                base_model=base_model,
            )
        # A short run must still reach the joint phase: cap the LoRA-only warmup at a
        # quarter of the steps (the reference's wl16 assumes hundreds of steps).
        warm = min(self.mask_warmup_steps, total_steps // 4)
        return method_config(
            "rosa",
            r=self.r,
            alpha=self.alpha,
            dropout=self.dropout,
            density=self.density,
            target_modules=self.target_modules,
            schedule=f"wl{warm}",
            base_model=base_model,
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["epochs"] = self.epoch_count
        if isinstance(self.target_modules, tuple):
            data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hyper:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise JobError(f"unknown training settings: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise JobError(f"invalid training settings: {exc}") from None
