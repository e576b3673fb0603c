"""RosaScheduler: which adapter parts train at each optimizer step, and when masks are made.

Call on_step_begin(step) before the first micro-batch of an optimizer step and
on_step_end(step) after optimizer.step(); the transformers callback in
panza.training.rosa.callback does exactly that.

    wlN       steps [0, N): LoRA | next num_grad_steps: LoRA + collect | then LoRA + S
    default   wl0
    spa_only  num_grad_steps: collect (nothing trains) | then S
    lora_only LoRA throughout
A mask loaded up front (config.mask_load_path) skips straight to the last phase.
"""

from __future__ import annotations

import enum
from pathlib import Path

import torch

from panza.training.rosa.mask import GradientCollector
from panza.training.rosa.model import RosaModel


class Phase(enum.Enum):
    LORA = "lora"
    COLLECT = "collect"
    JOINT = "joint"
    SPARSE = "sparse"


class RosaScheduler:
    """Drives one RosaModel through its configured schedule."""

    def __init__(
        self,
        rosa: RosaModel,
        score_device: torch.device | str = "cpu",
        score_dir: str | Path | None = None,
        score_dtype: torch.dtype = torch.bfloat16,
    ) -> None:
        self.rosa = rosa
        self.config = rosa.config
        self._score_device = score_device
        self._score_dir = score_dir
        self._score_dtype = score_dtype
        self._collector: GradientCollector | None = None
        self._collected_steps = 0
        self.stop_requested = False

    def phase(self, step: int) -> Phase:
        """The phase that optimizer step `step` (0-based) runs in."""
        c = self.config
        if not c.uses_sparse:
            return Phase.LORA
        if self.rosa.has_masks:
            return Phase.JOINT if c.uses_lora else Phase.SPARSE
        if step < c.warmup_steps:
            return Phase.LORA
        return Phase.COLLECT

    @property
    def collecting(self) -> bool:
        """Whether gradient scores are being collected (from the first collection step's
        begin to the last one's end)."""
        return self._collector is not None

    def on_step_begin(self, step: int) -> Phase:
        """Set what trains in this step and start collecting gradients when due."""
        phase = self.phase(step)
        lora = self.config.uses_lora and phase in (Phase.LORA, Phase.COLLECT, Phase.JOINT)
        self.rosa.set_trainable(lora=lora, sparse=phase in (Phase.JOINT, Phase.SPARSE))
        if phase is Phase.COLLECT and self._collector is None:
            self._collector = GradientCollector(
                self.rosa.layers,
                self.config.grad_mode,
                self._score_device,
                self._score_dir,
                self._score_dtype,
            )
            self._collector.start()
        return phase

    def on_step_end(self, step: int) -> bool:
        """Finish mask generation when enough steps were collected; True asks the run to stop."""
        if self._collector is None:
            return self.stop_requested
        self._collected_steps += 1
        if self._collected_steps >= self.config.num_grad_steps:
            collector, self._collector = self._collector, None
            collector.stop()
            self.rosa.set_masks(collector.masks())
            collector.close()
            if self.config.mask_save_path:
                self.rosa.save_masks(self.config.mask_save_path)
            self.stop_requested = self.config.stop_after_mask
        return self.stop_requested
