"""The memory a run needs, estimated from a config before any weight is loaded."""

from __future__ import annotations

import pytest
from torch import nn
from transformers import LlamaConfig, Qwen2Config

from panza.training.memory import (
    GB,
    InsufficientMemoryError,
    check_fits,
    estimate,
    model_shape,
)
from tests.training.conftest import build_tiny_llama

QWEN_1_5B = Qwen2Config(
    vocab_size=151936,
    hidden_size=1536,
    intermediate_size=8960,
    num_hidden_layers=28,
    num_attention_heads=12,
    num_key_value_heads=2,
    tie_word_embeddings=True,
)


def test_the_shape_counts_what_the_real_model_holds() -> None:
    model = build_tiny_llama()
    config = model.config
    assert isinstance(config, LlamaConfig)
    shape = model_shape(config)
    assert shape.params == sum(p.numel() for p in model.parameters())
    linears = [m for n, m in model.named_modules() if isinstance(m, nn.Linear) and n != "lm_head"]
    assert shape.adapted == sum(m.weight.numel() for m in linears)
    assert shape.layers == 2 and shape.width == 64 + 128 and shape.vocab == 256


def test_qwen2_1_5b_full_fine_tuning_is_refused_on_a_24_gb_machine_and_rosa_fits_10_gb() -> None:
    shape = model_shape(QWEN_1_5B)
    assert 1.5e9 < shape.params < 1.6e9
    full = estimate(shape, "full", weight_bytes=4, tokens=512)
    with pytest.raises(InsufficientMemoryError) as caught:
        check_fits(full, 24 * GB)
    message = str(caught.value)
    assert message.startswith("full training of this model needs about 2")
    assert "use --method rosa or --method lora" in message
    for method in ("rosa", "lora"):
        lean = estimate(shape, method, weight_bytes=2, tokens=512, checkpointing=True)
        assert lean.total < 10 * GB, (method, lean.describe())
        check_fits(lean, 24 * GB)


def test_rosa_needs_its_mask_scores_and_checkpointing_saves_activations() -> None:
    shape = model_shape(QWEN_1_5B)
    rosa = estimate(shape, "rosa", weight_bytes=2, tokens=512)
    lora = estimate(shape, "lora", weight_bytes=2, tokens=512)
    assert rosa.scores == 2 * shape.adapted and lora.scores == 0
    kept = estimate(shape, "lora", weight_bytes=2, tokens=512, checkpointing=False)
    assert kept.activations > 4 * lora.activations
