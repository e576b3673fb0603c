"""Exactly one draft per qualifying message, across crashes: intent, write, record.

For each pending message: check again that the user has not replied, have the
writer draft the reply (the same prompt as interactive drafts, the message as
the thread), compose it, and record the intent (the draft's bytes and its
Message-ID) *before* writing it to the server; after the write, record where it
went. A restart finds intents and looks each draft up by its Message-ID before
writing it again, so a kill at any moment leaves exactly one draft. Written
drafts are checked later: the user's edits and deletions are recorded and
never undone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from panza.daemon.config import Config
from panza.daemon.mail.qualify import Incoming
from panza.daemon.mail.reply import Reply, compose_reply, new_message_id
from panza.daemon.protocol import DraftParams, ThreadMessage
from panza.daemon.server.writer import REPLY_INSTRUCTION, Draft
from panza.daemon.store import Store
from panza.daemon.store.autodraft import (
    Entry,
    in_state,
    replied_in_thread,
    set_intent,
    set_state,
    set_written,
)
from panza.daemon.store.drafts import add_draft

log = logging.getLogger(__name__)

Fate = str  # "untouched" | "edited" | "gone"
# The writer, behind the background scheduler: None means "not now" (paused, the hourly
# limit reached, autodraft turned off, or interactive work pre-empted it).
DraftFn = Callable[[DraftParams], Draft | None]


class DraftSink(Protocol):
    """Where an account's drafts go (an IMAP Drafts folder, Gmail drafts)."""

    def still_open(self, entry: Entry) -> bool:
        """False when the message was answered (or removed) since it was seen."""

    def find(self, entry: Entry) -> str | None:
        """The reference of the draft with ``entry.draft_message_id``, if it exists."""

    def write(self, entry: Entry) -> str:
        """Write ``entry.draft_raw`` as a draft; its reference."""

    def fates(self, entries: Sequence[Entry]) -> list[Fate]:
        """What became of written drafts: untouched, edited, gone."""


@dataclass
class Outcome:
    written: int = 0
    recovered: int = 0
    skipped: int = 0
    waiting: bool = False  # pending messages left because drafting is not allowed now


def recover(store: Store, account: str, sink: DraftSink) -> int:
    """Finish intents a crash interrupted: record a draft that exists, else write it."""
    done = 0
    for entry in in_state(store.conn, ("intent",), account):
        ref = sink.find(entry)
        if ref is None:
            ref = sink.write(entry)
            log.info("account %s: wrote a draft interrupted by a restart", account)
        with store.write(durable=True) as conn:
            set_written(conn, account, entry.provider_id, ref)
        done += 1
    return done


def write_pending(
    store: Store,
    account: str,
    sink: DraftSink,
    config: Callable[[], Config],
    draft: DraftFn,
    limit: int = 100,
) -> Outcome:
    """Draft and write pending messages, oldest first, until none is left or drafting waits."""
    outcome = Outcome(recovered=recover(store, account, sink))
    for entry in in_state(store.conn, ("pending",), account, limit):
        since = _parse(entry.received_at)
        if replied_in_thread(store.conn, entry.thread_key, since) or not sink.still_open(entry):
            with store.write() as conn:
                set_state(conn, account, entry.provider_id, "skipped", "answered")
            outcome.skipped += 1
            continue
        made = draft(reply_params(entry, config().autodraft.max_new_tokens))
        if made is None:
            outcome.waiting = True
            break
        intent = _intent(store, account, entry, made, config())
        with store.write(durable=True) as conn:
            set_written(conn, account, entry.provider_id, sink.write(intent))
        outcome.written += 1
    return outcome


def reply_params(entry: Entry, max_new_tokens: int | None = None) -> DraftParams:
    """The same request an interactive reply makes: the message as the thread."""
    text = (entry.body or "").strip() or entry.subject or "(no text)"
    return DraftParams(
        instruction="",
        mode="reply",
        subject=entry.subject[:1000],
        to=[entry.sender] if entry.sender else [],
        max_new_tokens=max_new_tokens,
        thread=[
            ThreadMessage.model_validate(
                {"from": entry.sender, "date": entry.received_at or "", "text": text}
            )
        ],
    )


def _intent(store: Store, account: str, entry: Entry, made: Draft, config: Config) -> Entry:
    alias = entry.alias or config.user.emails[0]
    message_id = new_message_id(alias)
    reply = Reply(
        made.text, alias, config.user.name, made.adapter_version, message_id, datetime.now(UTC)
    )
    raw = compose_reply(Incoming.from_headers(entry.original or b""), reply, entry.body or "")
    draft_id = uuid.uuid4().hex[:16]
    with store.write(durable=True) as conn:
        add_draft(
            conn,
            draft_id,
            "reply",
            REPLY_INSTRUCTION,
            made.text,
            subject=entry.subject,
            adapter_version=made.adapter_version,
            retrieved=made.retrieved,
            timings={k: v for k, v in made.timings.items() if v is not None},
        )
        set_intent(
            conn,
            account,
            entry.provider_id,
            message_id=message_id,
            raw=raw,
            draft_id=draft_id,
            adapter_version=made.adapter_version,
        )
    row = in_state(store.conn, ("intent",), account)
    return next(e for e in row if e.provider_id == entry.provider_id)


def check_written(store: Store, account: str, sink: DraftSink) -> dict[str, int]:
    """Record drafts the user edited, sent or deleted since the last look."""
    entries = in_state(store.conn, ("written",), account)
    changed = {"edited": 0, "sent": 0, "deleted": 0}
    for entry, fate in zip(entries, sink.fates(entries), strict=True):
        if fate == "untouched":
            continue
        if fate == "edited":
            state = "edited"
        elif replied_in_thread(store.conn, entry.thread_key, _parse(entry.received_at)):
            state = "sent"
        else:
            state = "deleted"
        with store.write() as conn:
            set_state(conn, account, entry.provider_id, state)  # type: ignore[arg-type]
        changed[state] += 1
    return changed


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
