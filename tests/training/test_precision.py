"""The training plan: load and compute dtypes, checkpointing, and the memory check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import panza.training.precision as precision
from panza.training.hardware import ComputePath
from panza.training.hyper import Hyper
from panza.training.memory import GB, InsufficientMemoryError
from panza.training.model import ModelSpec
from panza.training.precision import Recompute
from tests.training.test_memory import QWEN_1_5B


@pytest.fixture
def qwen_1_5b(tmp_path: Path) -> ModelSpec:
    QWEN_1_5B.save_pretrained(tmp_path)  # the config alone: the plan reads no weights
    return ModelSpec(str(tmp_path))


@pytest.fixture
def bf16_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ComputePath("cpu", "bfloat16", "a CPU with bf16 units (faked)")
    monkeypatch.setattr("panza.training.hardware.choose_compute", lambda device: path)


@pytest.mark.usefixtures("bf16_cpu")
def test_rosa_at_1_5b_on_24_gb_keeps_a_bf16_base_and_recomputes_activations(
    qwen_1_5b: ModelSpec,
) -> None:
    plan = precision.plan_precision(qwen_1_5b, Hyper(method="rosa"), have=24 * GB)
    assert plan.load_spec == qwen_1_5b and plan.compute_dtype == torch.bfloat16
    assert plan.checkpointing == Recompute(collecting=True, otherwise=True)
    assert plan.estimate is not None and plan.estimate.total < 10 * GB


@pytest.mark.usefixtures("bf16_cpu")
def test_rosa_keeps_activations_once_its_mask_scores_are_gone_when_that_fits(
    qwen_1_5b: ModelSpec,
) -> None:
    """The budget is 40% of memory: at 26 GB the collection steps (scores 2.6 GB) need
    recomputation to stay in it, the steps after do not."""
    plan = precision.plan_precision(qwen_1_5b, Hyper(method="rosa"), have=26 * GB)
    assert plan.checkpointing == Recompute(collecting=True, otherwise=False)
    # The estimate shown is that of the larger phase: the joint steps keeping activations.
    assert plan.estimate is not None and plan.estimate.scores == 0.0
    assert plan.estimate.total <= precision.CHECKPOINT_ABOVE_SHARE * 26 * GB
    roomy = precision.plan_precision(qwen_1_5b, Hyper(method="rosa"), have=64 * GB)
    assert roomy.checkpointing == Recompute(collecting=False, otherwise=False)
    assert roomy.estimate is not None and roomy.estimate.scores > 0


@pytest.mark.usefixtures("bf16_cpu")
def test_full_fine_tuning_loads_fp32_masters_and_is_refused_when_it_cannot_fit(
    qwen_1_5b: ModelSpec, tmp_path: Path
) -> None:
    with pytest.raises(InsufficientMemoryError, match=r"more than the 24\.0 GB this machine has"):
        precision.plan_precision(qwen_1_5b, Hyper(method="full"), have=24 * GB)
    plan = precision.plan_precision(qwen_1_5b, Hyper(method="full"), have=64 * GB)
    assert plan.load_spec.dtype == "float32" and plan.compute_dtype == torch.bfloat16


def test_a_cpu_without_bf16_units_trains_in_fp32(
    qwen_1_5b: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ComputePath("cpu", "float32", "no bf16 units (faked)")
    monkeypatch.setattr("panza.training.hardware.choose_compute", lambda device: path)
    plan = precision.plan_precision(qwen_1_5b, Hyper(method="lora"), have=64 * GB)
    assert plan.compute_dtype is None and plan.load_spec.dtype == "auto"
    assert plan.estimate is not None and plan.estimate.weights == 4 * 1_543_714_304
