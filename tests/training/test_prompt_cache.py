"""The prompt cache (panza.training.prompt_cache): the shared part of a prompt is not read
again, and the draft is the same token for token."""

from __future__ import annotations

from typing import Any

import torch

from panza.training.generate import stream
from panza.training.prompt_cache import PromptCache
from panza.training.sampling import GREEDY
from tests.training.conftest import VOCAB, build_tiny_llama


class Letters:
    """Each token id as one letter: enough decoding for a test that compares tokens."""

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(chr(0x4E00 + i) for i in ids)


def read_lengths(model: torch.nn.Module) -> list[int]:
    """The number of tokens each forward call of `model` reads, appended as it runs."""
    seen: list[int] = []
    model.register_forward_pre_hook(
        lambda _m, _a, kw: seen.append(kw["input_ids"].shape[1]), with_kwargs=True
    )
    return seen


def draft(model: Any, prompt: list[int], cache: PromptCache | None) -> str:
    return "".join(
        stream(model, Letters(), prompt, max_new_tokens=6, sampling=GREEDY, prompts=cache)
    )


def test_a_prompt_sharing_a_prefix_reads_only_the_rest_and_drafts_the_same() -> None:
    model = build_tiny_llama().eval()
    torch.manual_seed(1)
    first = torch.randint(0, VOCAB, (40,)).tolist()
    second = first[:25] + torch.randint(0, VOCAB, (10,)).tolist()
    want_first, want_second = draft(model, first, None), draft(model, second, None)

    cache = PromptCache()
    seen = read_lengths(model)
    assert draft(model, first, cache) == want_first
    assert seen[0] == 40  # nothing to share yet
    seen.clear()
    assert draft(model, second, cache) == want_second
    assert seen[0] == 10  # the 25 shared tokens come from the cache
    seen.clear()
    assert draft(model, second, cache) == want_second  # the same prompt again
    assert seen[0] == 1  # only its last token, whose logits choose the first new token


def test_a_prompt_with_nothing_in_common_is_read_whole() -> None:
    model = build_tiny_llama().eval()
    cache = PromptCache()
    draft(model, [5] * 20, cache)
    seen = read_lengths(model)
    other = [7] * 12
    assert draft(model, other, cache) == draft(model, other, None)
    assert seen[0] == 12
    cache.clear()
    assert cache.start(other) == (0, None)
