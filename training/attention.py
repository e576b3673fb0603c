"""Attention for decoding: one new token against the KV cache, without the slow kernel.

PyTorch's fused CPU attention is built for many query rows. With the single query row of a
decode step it ran 1.5-1.8 ms per layer against a 1,100-token cache (Qwen2.5-1.5B's 12 query
and 2 key/value heads), about 45 ms of every 115 ms token at 28 layers, while two small
matrix products and a softmax over the cache take 0.14-0.18 ms (benchmarks/notes/scale.md).
So ``panza_sdpa`` is transformers' SDPA attention, except for a query of one row with no
mask: there it groups the query heads by their key/value head (no copy of the cache per
query head) and computes the attention directly. Training and prompts (many rows) take the
stock path unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

NAME = "panza_sdpa"


def decode_attention(
    module: nn.Module,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Tensor, Tensor | None]:
    """transformers' attention-function contract: q/k/v [batch, heads, rows, dim] in,
    [batch, rows, heads, dim] out."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    rows = query.shape[2]
    if rows != 1 or attention_mask is not None or module.training or kwargs.get("softcap"):
        out: tuple[Tensor, Tensor | None] = sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
        return out
    batch, heads, _, dim = query.shape
    kv_heads = key.shape[1]
    scale = scaling if scaling is not None else dim**-0.5
    # [batch, kv_heads, group, dim] @ [batch, kv_heads, dim, tokens]: each key/value head
    # serves its group of query heads in one product.
    grouped = query.reshape(batch, kv_heads, heads // kv_heads, dim)
    scores = torch.matmul(grouped, key.transpose(-1, -2)).float() * scale
    weights = scores.softmax(dim=-1).to(value.dtype)
    out_rows = torch.matmul(weights, value).reshape(batch, heads, 1, value.shape[-1])
    return out_rows.transpose(1, 2).contiguous(), None


def register() -> str:
    """Make ``panza_sdpa`` known to transformers (idempotent); returns its name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(NAME, decode_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, sdpa_mask)
    return NAME


def use_decode_attention(model: nn.Module) -> bool:
    """Switch a loaded model from SDPA to ``panza_sdpa``; False where it does not use SDPA."""
    config = getattr(model, "config", None)
    if getattr(config, "_attn_implementation", None) != "sdpa":
        return False
    setter = getattr(model, "set_attn_implementation", None)
    if setter is None:
        return False
    try:
        setter(register())
    except (ValueError, ImportError):
        return False  # an architecture that only takes the attention names it lists
    return True
