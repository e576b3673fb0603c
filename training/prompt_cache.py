"""The KV cache of the last prompt a model read, so that the next prompt starts where the
two differ.

A prompt is the system message, the user's preamble, retrieved emails, the thread and the
instruction, in that order: two drafts share at least the system message and preamble,
and asking again for the same reply shares the whole prompt. On a CPU the prompt is most
of a draft's first-token time (a 1,000-token prompt is about 2.8 TFLOP at 1.5B), so the
shared part is not read again. One cache per drafting model: a new adapter version brings
a new model, and with it an empty cache.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PromptCache:
    """The token ids of the last prompt read and the model's KV cache right after it."""

    ids: tuple[int, ...] = ()
    kv: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def start(self, prompt_ids: Sequence[int]) -> tuple[int, Any]:
        """How many leading tokens of `prompt_ids` need no reading, and a KV cache holding
        them (a copy: the caller's decoding appends to it); (0, None) when none is shared.
        At least the last token is always left to read: its logits choose the first token."""
        with self.lock:
            shared = _common_prefix(self.ids, prompt_ids)
            shared = min(shared, len(prompt_ids) - 1)
            if shared <= 0 or self.kv is None:
                return 0, None
            kv = copy.deepcopy(self.kv)
        try:
            extra = kv.get_seq_length() - shared
            if extra > 0:
                kv.crop(-extra)  # transformers takes the number of tokens to drop
        except (AttributeError, ValueError, NotImplementedError):
            return 0, None  # a cache that cannot be cut back (sliding windows): read it all
        return shared, kv

    def keep(self, prompt_ids: Sequence[int], kv: Any) -> None:
        """Remember `kv`, the cache just after reading all of `prompt_ids` (copied now)."""
        snapshot = copy.deepcopy(kv)
        with self.lock:
            self.ids, self.kv = tuple(prompt_ids), snapshot

    def clear(self) -> None:
        with self.lock:
            self.ids, self.kv = (), None


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
