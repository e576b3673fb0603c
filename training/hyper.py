"""Hyperparameters of one training run: the config's training settings for one method
(torch-free: the daemon builds them).

Defaults and limits are those of :class:`panza.training.settings.TrainingSettings`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from panza.training.errors import JobError
from panza.training.settings import MethodName, TargetModules, TrainingSettings, check

if TYPE_CHECKING:
    from panza.training.rosa import MethodConfig

_D = TrainingSettings()


@dataclass(frozen=True)
class Hyper:
    """Everything that shapes a run; recorded in each version's manifest."""

    method: MethodName = _D.method
    epochs: int | None = None  # None: the method's reference count (TrainingSettings)
    learning_rate: float = _D.learning_rate
    sparse_learning_rate: float | None = None  # None: same as learning_rate
    max_length: int = _D.max_length
    batch_size: int = _D.batch_size
    micro_batch_size: int = _D.micro_batch_size
    warmup_steps: int = _D.warmup_steps
    r: int = _D.r
    alpha: float = _D.alpha
    dropout: float = _D.dropout
    density: float = _D.density
    target_modules: TargetModules = _D.target_modules
    mask_warmup_steps: int = _D.mask_warmup_steps
    replay_ratio: float = _D.replay_ratio
    acceptance_tolerance: float = _D.acceptance_tolerance
    seed: int = _D.seed

    def __post_init__(self) -> None:
        if isinstance(self.target_modules, list):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        try:
            check(self)
        except (TypeError, ValueError) as exc:
            raise JobError(f"invalid training settings: {exc}") from None

    @classmethod
    def from_settings(cls, settings: TrainingSettings, method: MethodName | None = None) -> Hyper:
        """The run's settings for `method` (default: the settings' own)."""
        chosen = method or settings.method
        names = {f.name for f in dataclasses.fields(TrainingSettings)}
        shared = {
            f.name: getattr(settings, f.name) for f in dataclasses.fields(cls) if f.name in names
        }
        return cls(**{**shared, "method": chosen, "epochs": settings.epochs_for(chosen)})

    @property
    def epoch_count(self) -> int:
        return self.epochs if self.epochs is not None else _D.epochs_for(self.method)

    def steps_for(self, examples: int) -> int:
        """Optimizer steps for `examples` examples over all epochs (at least one)."""
        return max(1, math.ceil(self.epoch_count * examples / self.batch_size))

    def warmup_for(self, total_steps: int) -> int:
        """Warmup steps, capped at a tenth of the run: a 20-step incremental run would
        otherwise spend almost half of it warming up."""
        return min(self.warmup_steps, total_steps // 10)

    def method_config(self, base_model: str | None, total_steps: int) -> MethodConfig:
        """The RoSA tuner's config for this run."""
        # Imported here: the daemon builds a Hyper for each job and must not import torch.
        from panza.training.rosa import method_config

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
