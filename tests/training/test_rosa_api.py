"""The public surface other code relies on, and the rule that training never imports the daemon."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import panza.training.rosa as rosa
from panza.training.rosa import RosaLinear

ROSA_DIR = Path(rosa.__file__).parent


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


def test_training_never_imports_the_daemon() -> None:
    for path in ROSA_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.startswith("panza.daemon") for n in names), path
