"""Plain records the store reads and writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypedDict

Status = Literal["kept", "discarded"]
Split = Literal["train", "test"]


class ThreadItem(TypedDict):
    """One earlier message of the thread, as quoted in a reply (oldest first)."""

    sender: str
    date: str
    text: str


@dataclass(frozen=True)
class EmailRecord:
    """One sent message after cleaning: what the user wrote, or why it was discarded."""

    account: str
    provider_id: str
    message_id: str | None
    date: datetime | None
    subject: str
    recipients: tuple[str, ...]
    text: str
    thread: tuple[ThreadItem, ...]
    status: Status
    reason: str | None = None
    language: str | None = None
    folder: str = ""
    thread_key: str | None = None
    content_hash: str = field(default="")

    @classmethod
    def discarded(
        cls, account: str, folder: str, provider_id: str, date: datetime | None, reason: str
    ) -> EmailRecord:
        """A message kept only as a record of why it was left out (too large, unreadable)."""
        return cls(
            account=account,
            folder=folder,
            provider_id=provider_id,
            message_id=None,
            date=date,
            subject="",
            recipients=(),
            text="",
            thread=(),
            status="discarded",
            reason=reason,
        )

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.subject, self.text))


def content_hash(subject: str, text: str) -> str:
    """Hash of what gets embedded, so unchanged text is never embedded twice."""
    return hashlib.sha256(f"{subject}\x00{text}".encode()).hexdigest()[:32]


def split_for(provider_id: str, test_fraction: float) -> Split:
    """Stable train/test assignment: a hash of the provider id, unchanged as mail arrives."""
    digest = hashlib.sha256(provider_id.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    return "test" if bucket < test_fraction else "train"
