"""Test data for the index tier: a small corpus with distinct topics, a counting embedder."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from panza.daemon.index import SentenceEmbedder
from panza.daemon.index.embedder import Vectors
from panza.daemon.store import EmailRecord, Store, insert_emails

# Twelve emails on clearly different topics, so "the most similar one" is unambiguous.
CORPUS: tuple[tuple[str, str], ...] = (
    (
        "Zoom link for Tuesday's seminar",
        "Hi all, here is the Zoom link for the seminar on"
        " Tuesday at 3pm: https://zoom.us/j/5551234. See you there, David",
    ),
    (
        "Invoice for the GPU cluster",
        "Dear Anna, please find attached the invoice for the GPU"
        " cluster we ordered in March. Payment is due within thirty days. Best, David",
    ),
    (
        "Dinner on Friday?",
        "Hi Tom, shall we have dinner at the Italian restaurant on Friday"
        " at seven? I can book a table for four. Cheers, David",
    ),
    (
        "Recommendation letter for Maria",
        "Dear committee, I am happy to recommend Maria for"
        " the PhD program; she was the strongest student in my course. Sincerely, David",
    ),
    (
        "Re: Review deadline",
        "Dear editor, I am sorry, I need one more week to finish the"
        " review of the manuscript on graph algorithms. Best regards, David",
    ),
    (
        "Flight to Paris",
        "Hi Julia, I booked the flight to Paris for December 9th, departing"
        " at 8am from Vienna, and the hotel near the conference venue. David",
    ),
    (
        "Re: Internship application",
        "Dear Lena, thank you for applying for the summer"
        " internship. We would like to invite you to an interview next week. Best, David",
    ),
    (
        "Server maintenance on Sunday",
        "Hi team, the compute servers will be down for"
        " maintenance on Sunday from 6 to 10 in the morning. Please save your jobs. David",
    ),
    (
        "Budget approval",
        "Dear Peter, could you please approve the travel budget for the"
        " three students attending the summer school in Lisbon? Thanks, David",
    ),
    (
        "Thesis defense date",
        "Dear Professor Weber, would June 14th work for Alex's thesis"
        " defense? The room is booked from 2pm. Best regards, David",
    ),
    (
        "Car repair",
        "Hello, my car needs new brakes and an oil change. Could I bring it to"
        " your garage on Monday morning? Thank you, David",
    ),
    (
        "Re: Piano lessons",
        "Hi Sophie, Emma would love to continue her piano lessons in"
        " autumn, Wednesdays after school would be best for us. David",
    ),
)

_serial = itertools.count(1)


def add_emails(store: Store, emails: Sequence[tuple[str, str]], status: str = "kept") -> list[int]:
    """Insert emails (subject, text) into the store; returns their store ids in order."""
    records = []
    for subject, text in emails:
        n = next(_serial)
        records.append(
            EmailRecord(
                account="test",
                provider_id=f"p{n}",
                message_id=f"<{n}@example.org>",
                date=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n),
                subject=subject,
                recipients=("someone@example.org",),
                text=text,
                thread=(),
                status="kept" if status == "kept" else "discarded",
                reason=None if status == "kept" else "too_short",
            )
        )
    with store.write() as conn:
        insert_emails(conn, records)
    ids = {r.provider_id: 0 for r in records}
    marks = ",".join("?" * len(ids))
    for row in store.conn.execute(
        f"SELECT id, provider_id FROM emails WHERE provider_id IN ({marks})", list(ids)
    ):
        ids[row[1]] = int(row[0])
    return [ids[r.provider_id] for r in records]


def filler(n: int, start: int = 0) -> list[tuple[str, str]]:
    """``n`` further distinct emails."""
    return [
        (f"Meeting note {i}", f"Notes from meeting number {i}: item {i * 7} was discussed.")
        for i in range(start, start + n)
    ]


@dataclass
class CountingEmbedder:
    """The real embedder, counting what it encodes; may claim another model id or be interrupted."""

    inner: SentenceEmbedder
    claimed_id: str | None = None
    interrupt_after: int | None = None
    calls: int = 0
    items: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return self.claimed_id or self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self.interrupt_after is not None and self.items >= self.interrupt_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.items += len(texts)
        self.texts.extend(texts)
        return self.inner.encode(texts)
