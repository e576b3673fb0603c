"""Training records (plain, JSON-ready), their encoding into token ids, batching and replay.

A record is one (instruction -> email) pair with the context the daemon attached: the
thread it replied to and, for a share of records, retrieved past emails (never itself).
Which emails are train and which test is decided by the daemon (a stable hash of the
provider id); this module only encodes what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from panza.training.job_files import Record
from panza.training.prompt import IGNORE, Encoded, Profile, encode_example


@dataclass(frozen=True)
class Item:
    """An encoded record; `key` names exactly this encoding (id and content digest)."""

    record_id: str
    key: str
    encoded: Encoded

    @property
    def target_tokens(self) -> int:
        return sum(1 for x in self.encoded.labels if x != IGNORE)


def encode_records(
    tokenizer: Any,
    profile: Profile,
    records: Sequence[Record],
    max_length: int,
    *,
    with_retrieved: bool = True,
) -> tuple[list[Item], list[str]]:
    """Encode every record; also returns the ids skipped because nothing of them fit."""
    items, skipped = [], []
    for rec in records:
        enc = encode_example(tokenizer, profile, rec.request(with_retrieved), rec.text, max_length)
        if enc is None:
            skipped.append(rec.id)
        else:
            items.append(Item(rec.id, f"{rec.id}:{enc.digest()}", enc))
    return items, skipped


def collate(items: Sequence[Item], pad_id: int) -> dict[str, Tensor]:
    """Right-padded input_ids, labels (IGNORE on padding) and attention_mask."""
    width = max(len(i.encoded.input_ids) for i in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.encoded.input_ids)
        ids[row, :n] = torch.tensor(item.encoded.input_ids)
        labels[row, :n] = torch.tensor(item.encoded.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
