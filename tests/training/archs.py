"""Tiny random configs of the architectures users pick, shared by the architecture matrix
(and the quantized drafting copy's tests): each is 2 layers, 64 wide, 256 tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

VOCAB = 256
COMMON: dict[str, Any] = {
    "vocab_size": VOCAB,
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
}


def _llama() -> Any:
    from transformers import LlamaConfig

    return LlamaConfig(**COMMON)


def _qwen2() -> Any:
    from transformers import Qwen2Config

    return Qwen2Config(**COMMON)  # biased q/k/v projections


def _qwen3() -> Any:
    from transformers import Qwen3Config

    return Qwen3Config(**COMMON, head_dim=16)  # RMS norms on q and k


def _mistral() -> Any:
    from transformers import MistralConfig

    return MistralConfig(**COMMON, sliding_window=64)


def _gemma2() -> Any:
    from transformers import Gemma2Config

    return Gemma2Config(**COMMON, head_dim=16, query_pre_attn_scalar=16, sliding_window=64)


def _gemma3() -> Any:
    from transformers import Gemma3TextConfig

    return Gemma3TextConfig(**COMMON, head_dim=16, query_pre_attn_scalar=16, sliding_window=64)


def _phi3() -> Any:
    from transformers import Phi3Config

    return Phi3Config(**COMMON, pad_token_id=0)  # fused qkv_proj and gate_up_proj


ARCHS: dict[str, Callable[[], Any]] = {
    "llama": _llama,
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "mistral": _mistral,
    "gemma2": _gemma2,
    "gemma3": _gemma3,
    "phi3": _phi3,
}


def build(arch: str, folder: Path, seed: int = 0) -> nn.Module:
    """A tiny random causal LM of `arch`, fp32 on the CPU, in eval mode (same seed, same
    weights); its config is written to `folder`, the name adapters record as their base."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model: nn.Module = AutoModelForCausalLM.from_config(ARCHS[arch]())
    model.config.save_pretrained(folder)
    model.config.name_or_path = model.name_or_path = str(folder)
    return model.eval()
