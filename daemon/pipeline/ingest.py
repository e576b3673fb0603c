"""Raw messages -> parse -> clean -> store, in batches, the same for every source.

Parsing and cleaning are CPU-bound and pure, so large imports fan them out to
worker processes (results come back in order, with a bounded number of chunks
in flight so a multi-GB mbox never piles up in memory); the one writer stays
in this process.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from panza.daemon.mail.clean import CleanRules, clean_message
from panza.daemon.mail.language import warm_up
from panza.daemon.mail.parse import parse_message
from panza.daemon.sources.mbox import envelope_date, read_mbox
from panza.daemon.store import EmailRecord, InsertResult, Store, insert_emails
from panza.daemon.store.emails import delete_emails
from panza.daemon.store.state import set_cursor

log = logging.getLogger(__name__)

MBOX_ACCOUNT = "mbox"
BATCH = 500
CHUNK = 250


@dataclass(frozen=True)
class RawMail:
    """A message as a source hands it over, before parsing."""

    raw: bytes
    provider_id: str
    folder: str = ""
    fallback_date: datetime | None = None
    # mbox separator line; its date is parsed only when the Date header is missing.
    envelope: bytes = b""

    def fallback(self) -> datetime | None:
        return self.fallback_date or (envelope_date(self.envelope) if self.envelope else None)


def raw_hash_id(raw: bytes) -> str:
    """A provider id for sources without one (mbox): the hash of the message bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:40]


def to_record(mail: RawMail, rules: CleanRules, account: str, max_bytes: int) -> EmailRecord:
    """Parse and clean one message; never raises (unreadable mail is recorded as such)."""
    if len(mail.raw) > max_bytes:
        return _discarded(mail, account, "too_large")
    try:
        parsed = parse_message(mail.raw)
        if parsed.date is None:
            parsed = replace(parsed, date=mail.fallback())
        return clean_message(parsed, rules, account, mail.provider_id, mail.folder)
    except Exception:  # malformed beyond what the parser tolerates: keep a record of it
        log.warning("unreadable message %s", mail.provider_id, exc_info=True)
        return _discarded(mail, account, "unreadable")


def _discarded(mail: RawMail, account: str, reason: str) -> EmailRecord:
    return EmailRecord.discarded(account, mail.folder, mail.provider_id, mail.fallback(), reason)


def _clean_chunk(
    mails: list[RawMail], rules: CleanRules, account: str, max_bytes: int
) -> list[EmailRecord]:
    return [to_record(m, rules, account, max_bytes) for m in mails]


def _chunks(mails: Iterable[RawMail], size: int) -> Iterator[list[RawMail]]:
    chunk: list[RawMail] = []
    for mail in mails:
        chunk.append(mail)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _records(
    mails: Iterable[RawMail], rules: CleanRules, account: str, max_bytes: int, workers: int
) -> Iterator[EmailRecord]:
    if workers <= 1:
        for mail in mails:
            yield to_record(mail, rules, account, max_bytes)
        return
    warm_up()  # load the model once; forked workers share it
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        pending: deque[Future[list[EmailRecord]]] = deque()
        for chunk in _chunks(mails, CHUNK):
            pending.append(pool.submit(_clean_chunk, chunk, rules, account, max_bytes))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def ingest(
    store: Store,
    mails: Iterable[RawMail],
    rules: CleanRules,
    account: str,
    *,
    max_bytes: int,
    test_fraction: float = 0.1,
    workers: int = 1,
    on_batch: Callable[[InsertResult], None] | None = None,
) -> InsertResult:
    """Clean and store ``mails`` in transactions of :data:`BATCH` messages."""
    total = InsertResult()
    batch: list[EmailRecord] = []

    def flush() -> None:
        with store.write() as conn:
            result = insert_emails(conn, batch, test_fraction)
        total.add(result)
        batch.clear()
        if on_batch is not None:
            on_batch(result)

    for record in _records(mails, rules, account, max_bytes, workers):
        batch.append(record)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return total


@dataclass(frozen=True)
class Cursor:
    """Where a source stands in one folder; stored with the batch it covers."""

    folder: str
    value: dict[str, Any]


def ingest_batch(
    store: Store,
    mails: Sequence[RawMail],
    rules: CleanRules,
    account: str,
    *,
    max_bytes: int,
    test_fraction: float = 0.1,
    cursor: Cursor | None = None,
    gone: Collection[str] = (),
) -> InsertResult:
    """Clean and store one batch, remove the mail ``gone`` from the source (provider ids),
    and advance ``cursor``, all in the same durable transaction.

    A kill at any moment leaves either the batch, its removals and its cursor, or none.
    """
    records = [to_record(m, rules, account, max_bytes) for m in mails]
    with store.write(durable=cursor is not None) as conn:
        result = insert_emails(conn, records, test_fraction)
        result.removed = delete_emails(conn, account, gone)
        if cursor is not None:
            set_cursor(conn, account, cursor.folder, cursor.value)
    return result


def mbox_mails(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[RawMail]:
    """Messages of an mbox file as :class:`RawMail`; ``progress`` gets the byte offset."""
    for msg in read_mbox(path):
        if progress is not None:
            progress(msg.offset + len(msg.raw))
        yield RawMail(msg.raw, raw_hash_id(msg.raw), envelope=msg.envelope)
