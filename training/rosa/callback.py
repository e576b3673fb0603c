"""RosaScheduler as a transformers TrainerCallback (apart, so the tuner imports no Trainer)."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from panza.training.rosa.schedule import RosaScheduler


class RosaTrainerCallback(TrainerCallback):
    """Runs the RoSA schedule inside transformers' Trainer; stops after the mask if asked."""

    def __init__(self, scheduler: RosaScheduler) -> None:
        self.scheduler = scheduler

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> TrainerControl:
        # Trainer calls this before the first micro-batch of each optimizer step.
        self.scheduler.on_step_begin(state.global_step)
        return control

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> TrainerControl:
        # global_step was already advanced past the step that just finished.
        if self.scheduler.on_step_end(state.global_step - 1):
            control.should_training_stop = True
        return control
