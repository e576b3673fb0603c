"""Watching an IMAP inbox for mail that deserves a reply: headers first, bodies only if so.

One scan: EXAMINE the inbox (read-only, so nothing can set ``\\Seen``), compare
with the stored cursor as the Sent sync does (UIDVALIDITY, UIDNEXT), and for
new UIDs fetch FLAGS, INTERNALDATE and a few header fields. Only messages that
qualify get a second FETCH of ``BODY.PEEK[]``. Verdicts are stored together
with the cursor that covers them, in one durable transaction per chunk. The
first scan (and one after a UIDVALIDITY change) looks only at mail younger
than ``max_age_days``: older mail would never qualify.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from imapclient import IMAPClient

from panza.daemon.mail.parse import parse_message
from panza.daemon.mail.qualify import (
    HEADER_FIELDS,
    Incoming,
    Qualifies,
    Rules,
    Skip,
    body_verdict,
    qualify,
)
from panza.daemon.mail.quotes import split_quoted
from panza.daemon.sources.imap.cursor import (
    FolderCursor,
    MailboxState,
    batch_cursor,
    chunked,
    new_uids,
    plan_sync,
)
from panza.daemon.sources.imap.items import as_int, as_utc
from panza.daemon.store import Store
from panza.daemon.store.autodraft import Seen, add_seen, cursor_folder, replied_in_thread
from panza.daemon.store.state import get_cursor, set_cursor

log = logging.getLogger(__name__)

INBOX = "INBOX"
HEADERS_CHUNK = 250
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"
_ITEMS = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", HEADER_ITEM]
MAX_BODY_BYTES = 2 << 20  # a qualifying message larger than this is answered from its headers
MAX_TEXT = 20_000


@dataclass(frozen=True)
class ScanResult:
    seen: int = 0
    qualifying: int = 0


def scan_inbox(
    client: IMAPClient,
    store: Store,
    account: str,
    rules: Rules,
    now: Callable[[], datetime],
    folder: str = INBOX,
) -> ScanResult:
    """Record every new message of ``folder`` with its verdict; how many, how many qualify."""
    state = MailboxState.from_select(client.select_folder(folder, readonly=True))
    key = cursor_folder(folder)
    stored = FolderCursor.from_value(get_cursor(store.conn, account, key))
    plan = plan_sync(stored, state)
    if plan.nothing_new:
        if plan.settled is not None:
            with store.write(durable=True) as conn:
                set_cursor(conn, account, key, plan.settled.to_value())
        return ScanResult()
    if plan.after_uid == 0:  # first scan, or a new UIDVALIDITY: only what could qualify
        since = (now() - rules.max_age - timedelta(days=1)).date()
        uids = new_uids(client.search(["SINCE", since]), 0)
    else:
        uids = new_uids(client.search(plan.search_criteria), plan.after_uid)
    total = ScanResult()
    if not uids:
        with store.write(durable=True) as conn:
            set_cursor(conn, account, key, batch_cursor(state, plan.after_uid, True).to_value())
        return total
    for chunk in chunked(uids, HEADERS_CHUNK):
        final = chunk[-1] == uids[-1]
        seen = _chunk(client, store, state, chunk, rules, now(), folder)
        with store.write(durable=True) as conn:
            add_seen(conn, account, seen)
            set_cursor(conn, account, key, batch_cursor(state, chunk[-1], final).to_value())
        qualifying = sum(1 for s in seen if s.reason is None)
        total = ScanResult(total.seen + len(seen), total.qualifying + qualifying)
    log.info("account %s: %d new inbox message(s), %d to answer", account, *vars(total).values())
    return total


def _chunk(
    client: IMAPClient,
    store: Store,
    state: MailboxState,
    chunk: list[int],
    rules: Rules,
    now: datetime,
    folder: str,
) -> list[Seen]:
    meta = client.fetch(chunk, _ITEMS)
    verdicts: dict[int, tuple[Incoming, Qualifies | Skip, bytes]] = {}
    for uid in chunk:
        item = meta.get(uid)
        if item is None:  # expunged since the search
            continue
        header = bytes(next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b""))
        msg = Incoming.from_headers(
            header, item.get(b"FLAGS", ()), as_utc(item.get(b"INTERNALDATE"))
        )
        replied = replied_in_thread(store.conn, msg.thread_key, msg.written)
        verdicts[uid] = (msg, qualify(msg, rules, now, replied), header)
    wanted = [
        uid
        for uid, (_, verdict, _) in verdicts.items()
        if isinstance(verdict, Qualifies)
        and (as_int(meta[uid].get(b"RFC822.SIZE")) or 0) <= MAX_BODY_BYTES
    ]
    bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
    out = []
    for uid, (msg, verdict, header) in verdicts.items():
        raw = bodies.get(uid, {}).get(b"BODY[]")
        body = b"" if raw is None else bytes(raw)
        if isinstance(verdict, Qualifies) and body:
            verdict = body_verdict(body) or verdict
        out.append(seen_record(f"{state.uidvalidity}:{uid}", folder, msg, verdict, header, body))
    return out


def seen_record(
    pid: str,
    folder: str,
    msg: Incoming,
    verdict: Qualifies | Skip,
    header: bytes,
    body: bytes,
    thread_id: str | None = None,
) -> Seen:
    """The store's record of a message; a qualifying one keeps its headers and text."""
    qualifies = isinstance(verdict, Qualifies)
    return Seen(
        provider_id=pid,
        folder=folder,
        message_id=msg.message_id,
        thread_key=msg.thread_key,
        sender=msg.parsed.sender,
        subject=msg.parsed.subject,
        received_at=msg.written,
        reason=None if isinstance(verdict, Qualifies) else verdict.reason,
        alias=verdict.alias if isinstance(verdict, Qualifies) else None,
        thread_id=thread_id,
        original=header if qualifies else None,
        body=message_text(body) if qualifies and body else None,
    )


def message_text(raw: bytes) -> str:
    """The sender's own words (quoted history cut), for the prompt and the quote."""
    body = parse_message(raw).body
    own = split_quoted(body).text.strip()
    return (own or body.strip())[:MAX_TEXT]
