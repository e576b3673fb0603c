"""Model loading choices and the base model `panza init` proposes for the hardware."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

import panza.training
from panza.training.model import Hardware, pick_device, pick_dtype, suggest_base_model

TRAINING_DIR = Path(panza.training.__file__).parent


def test_auto_dtype_follows_the_hardware_choice() -> None:
    from panza.training.hardware import choose_compute

    assert pick_device("cpu") == torch.device("cpu")
    expected = choose_compute("cpu").torch_dtype()
    assert pick_dtype("auto", torch.device("cpu")) == expected
    assert pick_dtype("float32", torch.device("cpu")) == torch.float32
    assert pick_dtype("bfloat16", torch.device("cpu")) == torch.bfloat16


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU path")
def test_asking_for_a_missing_device_is_an_error() -> None:
    from panza.training.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="no such device"):
        pick_device("cuda")


@pytest.mark.parametrize(
    ("hardware", "model", "four_bit"),
    [
        (Hardware(80.0, False, 256), "Qwen/Qwen2.5-7B-Instruct", False),
        (Hardware(16.0, False, 64), "Qwen/Qwen2.5-7B-Instruct", True),
        (Hardware(8.0, False, 32), "Qwen/Qwen2.5-3B-Instruct", False),
        (Hardware(None, True, 36), "Qwen/Qwen2.5-3B-Instruct", False),
        (Hardware(None, True, 16), "Qwen/Qwen2.5-1.5B-Instruct", False),
        (Hardware(None, False, 8), "Qwen/Qwen2.5-1.5B-Instruct", False),
    ],
)
def test_suggested_base_model_follows_the_hardware(
    hardware: Hardware, model: str, four_bit: bool
) -> None:
    s = suggest_base_model(hardware)
    assert (s.model, s.load_in_4bit) == (model, four_bit) and s.why


def test_training_never_imports_the_daemon() -> None:
    for path in TRAINING_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.startswith("panza.daemon") for n in names), path
