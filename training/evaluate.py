"""Evaluation on the test split: held-out loss (and perplexity) of the real emails given
their instructions, and BLEU / ROUGE-L of generated drafts against the real emails.

Held-out loss uses each test email's instruction and thread but no retrieved emails, so
that its figure does not move when the index grows and versions stay comparable; the
generated drafts are scored with and without retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from panza.training.dataset import Item, collate
from panza.training.generate import generate
from panza.training.job_files import Record
from panza.training.metrics import bleu, rouge_l
from panza.training.prompt import Profile, encode_prompt, turn_suffix
from panza.training.trainer import loss_sum

Progress = Callable[[dict[str, Any]], None]


def heldout_losses(
    model: nn.Module, items: Sequence[Item], pad_id: int, batch_size: int = 4
) -> dict[str, list[float]]:
    """Per item key, [summed loss over its email tokens, number of those tokens]."""
    device = next(model.parameters()).device
    # Similar lengths together: less padding to compute.
    ordered = sorted(items, key=lambda i: len(i.encoded.input_ids))
    out: dict[str, list[float]] = {}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for lo in range(0, len(ordered), batch_size):
            chunk = ordered[lo : lo + batch_size]
            batch = {k: v.to(device) for k, v in collate(chunk, pad_id).items()}
            sums, counts = loss_sum(model, batch)
            for item, s, n in zip(chunk, sums.tolist(), counts.tolist(), strict=True):
                out[item.key] = [float(s), int(n)]
    model.train(was_training)
    return out


def draft_scores(
    model: nn.Module,
    tokenizer: Any,
    profile: Profile,
    records: Sequence[Record],
    *,
    with_retrieved: bool,
    max_new_tokens: int = 256,
    max_prompt_tokens: int = 1024,
    batch_size: int = 4,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Greedy drafts for each record's instruction, scored against the email written."""
    bleus, rouges = [], []
    stop = tokenizer.convert_tokens_to_ids(turn_suffix(tokenizer))
    stop_ids = [stop] if isinstance(stop, int) and stop != tokenizer.unk_token_id else []
    for lo in range(0, len(records), batch_size):
        chunk = records[lo : lo + batch_size]
        prompts = [
            encode_prompt(
                tokenizer, profile, r.request(with_retrieved), max_prompt_tokens
            ).input_ids
            for r in chunk
        ]
        drafts = generate(
            model, tokenizer, prompts, max_new_tokens=max_new_tokens, stop_ids=stop_ids
        )
        for rec, draft in zip(chunk, drafts, strict=True):
            bleus.append(bleu(draft, [rec.text]))
            rouges.append(rouge_l(draft, rec.text))
        if progress is not None:
            progress({"event": "drafts", "done": lo + len(chunk), "total": len(records)})
    n = len(bleus)
    return {
        "bleu": round(sum(bleus) / n, 5) if n else None,
        "rouge_l": round(sum(rouges) / n, 5) if n else None,
        "examples": n,
    }
