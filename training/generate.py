"""Generation: batched (playback, evaluation) and streamed token by token (drafts).

Both sample as :mod:`panza.training.sampling` defines. :func:`stream` runs its own
decode loop (prefill once, then one token at a time on the model's KV cache), so a caller
gets text pieces as they become whole characters, can stop at any token, and every drafting
engine (bf16 or a quantized copy, both torch modules) goes through the same code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from panza.training.errors import Cancelled, TrainingError
from panza.training.prompt_cache import PromptCache
from panza.training.sampling import DRAFT_SAMPLING, Sampling


def generate(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    stop_ids: Sequence[int] = (),
) -> list[str]:
    """Continue each prompt (batched, left-padded); returns the new text only, specials removed."""
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
    sampling = DRAFT_SAMPLING.with_temperature(temperature)
    options: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "pad_token_id": pad,
        "eos_token_id": eos or None,
        "do_sample": not sampling.greedy,
    }
    if sampling.greedy:
        # A model's generation_config may carry sampling defaults; greedy must not warn.
        options.update(temperature=None, top_p=None, top_k=None)
    else:
        options.update(temperature=temperature, top_p=sampling.top_p, top_k=sampling.top_k)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.generate(  # type: ignore[operator]
            input_ids=ids.to(device), attention_mask=mask.to(device), **options
        )
    model.train(was_training)
    new = out[:, width:].tolist()
    return [tokenizer.decode(row, skip_special_tokens=True).strip() for row in new]


def stream(
    model: nn.Module,
    tokenizer: Any,
    prompt_ids: Sequence[int],
    *,
    max_new_tokens: int,
    sampling: Sampling = DRAFT_SAMPLING,
    stop_ids: Sequence[int] = (),
    cancel: threading.Event | None = None,
    seed: int | None = None,
    prompts: PromptCache | None = None,
) -> Iterator[str]:
    """Continue one prompt, yielding the new text piece by piece until a stop token.

    Raises :class:`Cancelled` at the next token once `cancel` is set; closing the iterator
    stops generation too. The pieces joined are the decoded new tokens, specials removed.
    With `prompts`, the part of the prompt it shares with the last one is not read again.
    """
    if not prompt_ids:
        raise TrainingError("cannot generate from an empty prompt")
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu")
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    stops = set(stop_ids)
    text = _Pieces(tokenizer)
    skip, past = prompts.start(prompt_ids) if prompts is not None else (0, None)
    ids = torch.tensor([list(prompt_ids)[skip:]], dtype=torch.long, device=device)
    for step in range(max_new_tokens):
        if cancel is not None and cancel.is_set():
            raise Cancelled("the draft was cancelled")
        token, past = _step(model, ids, past, sampling, generator)
        if step == 0 and prompts is not None:
            prompts.keep(prompt_ids, past)
        if token in stops:
            break
        piece = text.add(token)
        if piece:
            yield piece
        ids = torch.tensor([[token]], dtype=torch.long, device=device)
    tail = text.flush()
    if tail:
        yield tail


@torch.inference_mode()
def _step(
    model: nn.Module, ids: torch.Tensor, past: Any, sampling: Sampling, generator: torch.Generator
) -> tuple[int, Any]:
    # logits_to_keep=1: the prompt's other positions need no logits (at a 150k vocabulary
    # they would cost as much as a fifth of the prefill).
    out = model(input_ids=ids, cache=past, use_cache=True, logits_to_keep=1)
    return choose(out.logits[0, -1], sampling, generator), out.cache


def choose(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator | None) -> int:
    """The next token from one position's logits: argmax, or temperature/top-k/top-p sampling."""
    if sampling.greedy:
        return int(logits.argmax())
    scores = logits.float() / sampling.temperature
    top, index = scores.topk(min(sampling.top_k, scores.numel()))  # sorted, largest first
    probs, index = top.softmax(-1).cpu(), index.cpu()  # the generator lives on the CPU
    # Nucleus: keep the most likely tokens until their mass reaches top_p (at least one).
    probs = probs * ((probs.cumsum(-1) - probs) < sampling.top_p)
    picked = torch.multinomial(probs, 1, generator=generator)
    return int(index[picked])


class _Pieces:
    """Incremental detokenization: new text once it decodes to whole characters."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.sent = ""

    def add(self, token: int) -> str:
        self.ids.append(token)
        text: str = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        # A byte-level token may end inside a UTF-8 character: wait for the rest of it.
        if text.endswith("\ufffd") or not text.startswith(self.sent):
            return ""
        piece, self.sent = text[len(self.sent) :], text
        return piece

    def flush(self) -> str:
        text: str = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if not text.startswith(self.sent):
            return ""
        piece, self.sent = text[len(self.sent) :], text
        return piece
