"""Training settings: one source of defaults and limits for the config and each run."""

from __future__ import annotations

import dataclasses

import pytest

from panza.training.errors import JobError
from panza.training.hyper import Hyper
from panza.training.settings import TrainingSettings

# Per-run only: the run's epoch count is chosen per method, the sparse rate is not a setting.
RUN_ONLY = {"epochs", "sparse_learning_rate"}


def test_every_run_setting_comes_from_the_training_settings_with_its_default() -> None:
    settings = {f.name: f for f in dataclasses.fields(TrainingSettings)}
    for f in dataclasses.fields(Hyper):
        if f.name in RUN_ONLY:
            continue
        assert f.name in settings, f"Hyper.{f.name} is not a training setting"
        assert f.default == settings[f.name].default, f"Hyper.{f.name}'s default drifted"


def test_a_run_takes_every_setting_and_the_methods_epoch_count() -> None:
    settings = TrainingSettings(r=4, learning_rate=3e-4, epochs=7, full_epochs=2, seed=5)
    rosa = Hyper.from_settings(settings)
    assert (rosa.r, rosa.learning_rate, rosa.seed, rosa.epoch_count) == (4, 3e-4, 5, 7)
    assert Hyper.from_settings(settings, "full").epoch_count == 2
    assert Hyper().epoch_count == 5 and Hyper(method="full").epoch_count == 3


def test_limits_are_checked_once_for_settings_and_runs() -> None:
    with pytest.raises(ValueError, match=r"density must be > 0 and < 1, not 1\.5"):
        TrainingSettings(density=1.5)
    with pytest.raises(JobError, match="invalid training settings: density must be"):
        Hyper(density=1.5)
    with pytest.raises(JobError, match="method must be rosa, lora, full, not 'qlora'"):
        Hyper.from_json({"method": "qlora"})
