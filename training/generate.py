"""Batched generation from token-id prompts (left-padded), greedy unless a temperature is set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


def generate(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    stop_ids: Sequence[int] = (),
) -> list[str]:
    """Continue each prompt; returns the new text only, special tokens removed."""
    if not prompts:
        return []
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    width = max(len(p) for p in prompts)
    # Left padding keeps every prompt's last token in the same column, where generation starts.
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):
        if p:
            ids[row, width - len(p) :] = torch.tensor(list(p), dtype=torch.long)
            mask[row, width - len(p) :] = 1
    eos = [i for i in {tokenizer.eos_token_id, *stop_ids} if i is not None]
    options: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "pad_token_id": pad,
        "eos_token_id": eos or None,
        "do_sample": temperature > 0,
    }
    if temperature > 0:
        options.update(temperature=temperature, top_p=0.7, top_k=50)
    else:
        # A model's generation_config may carry sampling defaults; greedy must not warn.
        options.update(temperature=None, top_p=None, top_k=None)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.generate(  # type: ignore[operator]
            input_ids=ids.to(device), attention_mask=mask.to(device), **options
        )
    model.train(was_training)
    new = out[:, width:].tolist()
    return [tokenizer.decode(row, skip_special_tokens=True).strip() for row in new]
