"""The public surface other code relies on (that training, rosa included, never imports the
daemon: tests/training/test_model.py)."""

from __future__ import annotations

import inspect

import panza.training.rosa as rosa
from panza.training.rosa import RosaLinear


def test_public_names_are_pinned() -> None:
    assert sorted(rosa.__all__) == sorted(
        [
            "ALL_LINEAR",
            "METHODS",
            "AdapterFormatError",
            "FullMethodConfig",
            "GradMode",
            "GradientCollector",
            "Impl",
            "LoraMethodConfig",
            "MaskError",
            "MethodConfig",
            "MethodName",
            "Phase",
            "QuantizationUnavailableError",
            "RosaConfig",
            "RosaConfigError",
            "RosaError",
            "RosaLinear",
            "RosaModel",
            "RosaScheduler",
            "Tuned",
            "four_bit_unavailable_reason",
            "load",
            "load_4bit_base",
            "load_adapter",
            "load_masks",
            "method_config",
            "nf4_quantization_config",
            "prepare",
            "read_adapter_config",
            "require_4bit",
            "save_adapter",
            "save_masks",
            "target_names",
            "topk_index",
        ]
    )
    assert all(hasattr(rosa, name) for name in rosa.__all__)


def test_rosa_linear_signature_and_methods() -> None:
    params = list(inspect.signature(RosaLinear).parameters)
    assert params[:5] == ["base", "r", "alpha", "dropout", "density"]
    for method in ("set_mask", "delta_weight", "merge"):
        assert callable(getattr(RosaLinear, method))
