"""Streaming generation and the one sampling definition (panza.training.generate/sampling)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch
from torch import nn

from panza.training.errors import Cancelled, TrainingError
from panza.training.generate import _Pieces, choose, stream
from panza.training.sampling import DRAFT_SAMPLING, GREEDY, Sampling


class Scripted(nn.Module):
    """A stand-in LM that emits a fixed token sequence (its logits peak on the next one)."""

    def __init__(self, script: list[int], vocab: int) -> None:
        super().__init__()
        self.script, self.vocab, self.calls = script, vocab, 0
        self.anchor = nn.Parameter(torch.zeros(1))

    def forward(self, input_ids: torch.Tensor, cache: Any, **_: Any) -> Any:
        logits = torch.zeros(1, 1, self.vocab)
        logits[0, 0, self.script[min(self.calls, len(self.script) - 1)]] = 10.0
        self.calls += 1
        return type("Out", (), {"logits": logits, "cache": (cache or 0) + input_ids.shape[1]})


def test_sampling_defaults_are_defined_once_and_checked() -> None:
    assert (DRAFT_SAMPLING.temperature, DRAFT_SAMPLING.top_p, DRAFT_SAMPLING.top_k) == (
        0.7,
        0.7,
        50,
    )
    assert DRAFT_SAMPLING.with_temperature(None) is DRAFT_SAMPLING
    assert DRAFT_SAMPLING.with_temperature(0).greedy
    with pytest.raises(TrainingError, match="top_p must be in"):
        Sampling(top_p=0)
    with pytest.raises(TrainingError, match="temperature must be 0 or more"):
        Sampling(temperature=-1)


def test_choose_greedy_top_k_and_nucleus() -> None:
    logits = torch.log(torch.tensor([0.05, 0.6, 0.3, 0.05]))
    assert choose(logits, GREEDY, None) == 1
    gen = torch.Generator().manual_seed(0)
    assert {choose(logits, Sampling(1.0, 1.0, 1), gen) for _ in range(50)} == {1}
    # top_p 0.7: 0.6 alone is short of it, 0.6 + 0.3 reaches it; the 0.05s never come
    picked = {choose(logits, Sampling(1.0, 0.7, 50), gen) for _ in range(300)}
    assert picked == {1, 2}


def test_pieces_wait_for_whole_characters(tokenizer: Any) -> None:
    ids = tokenizer("Grüße aus Wien", add_special_tokens=False)["input_ids"]
    pieces = _Pieces(tokenizer)
    out = [pieces.add(i) for i in ids] + [pieces.flush()]
    assert "".join(out) == "Grüße aus Wien"
    assert not any("\ufffd" in p for p in out)


def test_stream_stops_at_a_stop_token_and_yields_text(tokenizer: Any) -> None:
    words = tokenizer(" the report", add_special_tokens=False)["input_ids"]
    model = Scripted([*words, 7, 99], vocab=len(tokenizer))
    text = list(stream(model, tokenizer, [1, 2, 3], max_new_tokens=50, stop_ids=[7]))
    assert "".join(text) == " the report"
    assert model.calls == len(words) + 1  # the stop token ends it; nothing after is asked for


def test_stream_honours_max_new_tokens_and_cancel(tokenizer: Any) -> None:
    word = tokenizer(" yes", add_special_tokens=False)["input_ids"][-1]
    model = Scripted([word], vocab=len(tokenizer))
    assert len(list(stream(model, tokenizer, [1], max_new_tokens=5, sampling=GREEDY))) == 5
    cancel = threading.Event()
    pieces = stream(model, tokenizer, [1], max_new_tokens=50, cancel=cancel)
    assert next(pieces) == tokenizer.decode([word])
    cancel.set()
    with pytest.raises(Cancelled):
        next(pieces)
    with pytest.raises(TrainingError, match="empty prompt"):
        next(stream(model, tokenizer, [], max_new_tokens=5))
