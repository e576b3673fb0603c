"""Raw messages -> parse -> clean -> store, in batches, the same for every source."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from panza.daemon.mail.clean import CleanRules, clean_message
from panza.daemon.mail.parse import parse_message
from panza.daemon.sources.mbox import read_mbox
from panza.daemon.store import EmailRecord, InsertResult, Store, insert_emails

log = logging.getLogger(__name__)

MBOX_ACCOUNT = "mbox"
BATCH = 500


@dataclass(frozen=True)
class RawMail:
    """A message as a source hands it over, before parsing."""

    raw: bytes
    provider_id: str
    fallback_date: datetime | None = None
    folder: str = ""


def raw_hash_id(raw: bytes) -> str:
    """A provider id for sources without one (mbox): the hash of the message bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:40]


def to_record(mail: RawMail, rules: CleanRules, account: str, max_bytes: int) -> EmailRecord:
    """Parse and clean one message; never raises (unreadable mail is recorded as such)."""
    if len(mail.raw) > max_bytes:
        return _discarded(mail, account, "too_large")
    try:
        parsed = parse_message(mail.raw, mail.fallback_date)
        return clean_message(parsed, rules, account, mail.provider_id, mail.folder)
    except Exception:  # malformed beyond what the parser tolerates: keep a record of it
        log.warning("unreadable message %s", mail.provider_id, exc_info=True)
        return _discarded(mail, account, "unreadable")


def _discarded(mail: RawMail, account: str, reason: str) -> EmailRecord:
    return EmailRecord(
        account=account,
        folder=mail.folder,
        provider_id=mail.provider_id,
        message_id=None,
        date=mail.fallback_date,
        subject="",
        recipients=(),
        text="",
        thread=(),
        status="discarded",
        reason=reason,
    )


def ingest(
    store: Store,
    mails: Iterable[RawMail],
    rules: CleanRules,
    account: str,
    *,
    max_bytes: int,
    test_fraction: float = 0.1,
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

    for mail in mails:
        batch.append(to_record(mail, rules, account, max_bytes))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return total


def mbox_mails(path: Path, progress: Callable[[int], None] | None = None) -> Iterable[RawMail]:
    """Messages of an mbox file as :class:`RawMail`; ``progress`` gets the byte offset."""
    for msg in read_mbox(path):
        if progress is not None:
            progress(msg.offset + len(msg.raw))
        yield RawMail(msg.raw, raw_hash_id(msg.raw), msg.envelope_date)
