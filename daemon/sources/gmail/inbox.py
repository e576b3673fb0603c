"""A Gmail inbox through the API for autodraft: history filtered to INBOX, drafts.create.

New messages come from ``history.list(labelId=INBOX)`` after the stored
historyId (a first scan, or one after the history expired, lists INBOX mail of
the last few days). Headers come first (``format=metadata``, batched); only
qualifying messages are fetched whole. Drafts are created in the original's
thread (``threadId``), so Gmail shows them inside the conversation; a draft is
found again by its Message-ID (``rfc822msgid:``) after a crash, and one the
user edited has a new message id under the same draft id.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from panza.daemon.errors import SourceError
from panza.daemon.mail.qualify import Incoming, Qualifies, Rules, body_verdict, qualify
from panza.daemon.sources.gmail.api import BATCH_LIMIT, PAGE_SIZE, GmailClient, HistoryExpired
from panza.daemon.sources.gmail.sent import decode_raw, internal_date
from panza.daemon.sources.imap.inbox import ScanResult, seen_record
from panza.daemon.store import Store
from panza.daemon.store.autodraft import add_seen, cursor_folder, known, replied_in_thread
from panza.daemon.store.state import get_cursor, set_cursor

INBOX = "INBOX"
COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"
# Scopes that include writing drafts (the full-mailbox scope does too).
DRAFT_SCOPES = frozenset({COMPOSE_SCOPE, "https://mail.google.com/"})


class DraftGone(SourceError):
    """drafts.get answered 404: the user deleted (or sent) the draft."""


class InboxClient(GmailClient):
    """The Gmail calls autodraft adds to the Sent sync's client."""

    def inbox_since(self, history_id: str) -> tuple[list[str], str]:
        """Ids added to INBOX after ``history_id``, and the historyId to resume from."""
        ids: list[str] = []
        token: str | None = None
        latest: str | None = None
        while True:
            page = self._call(
                "reading the inbox history",
                self.service.users().history().list,
                gone=HistoryExpired,
                userId="me",
                startHistoryId=history_id,
                historyTypes=["messageAdded"],
                labelId=INBOX,
                maxResults=PAGE_SIZE,
                pageToken=token,
            )
            latest = latest or str(page.get("historyId") or history_id)
            for record in page.get("history", []):
                for added in record.get("messagesAdded", []):
                    message = added.get("message", {})
                    if "id" in message and INBOX in message.get("labelIds", [INBOX]):
                        ids.append(message["id"])
            token = page.get("nextPageToken")
            if not token:
                return list(dict.fromkeys(ids)), latest

    def inbox_ids(self, days: int) -> list[str]:
        """INBOX messages of the last ``days`` days, oldest first."""
        ids: list[str] = []
        token: str | None = None
        while True:
            page = self._call(
                "listing the inbox",
                self.service.users().messages().list,
                userId="me",
                labelIds=[INBOX],
                q=f"newer_than:{days}d",
                maxResults=PAGE_SIZE,
                pageToken=token,
            )
            ids += [m["id"] for m in page.get("messages", []) if "id" in m]
            token = page.get("nextPageToken")
            if not token:
                return list(reversed(dict.fromkeys(ids)))

    def create_draft(self, raw: bytes, thread_id: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode()}
        if thread_id:
            message["threadId"] = thread_id
        drafts = self.service.users().drafts()
        return self._call("writing a draft", drafts.create, userId="me", body={"message": message})

    def find_draft(self, message_id: str) -> dict[str, Any] | None:
        drafts = self.service.users().drafts()
        page = self._call(
            "looking for a draft", drafts.list, userId="me", q=f"rfc822msgid:{message_id}"
        )
        found = page.get("drafts") or []
        return cast(dict[str, Any], found[0]) if found else None

    def get_draft(self, draft_id: str) -> dict[str, Any] | None:
        drafts = self.service.users().drafts()
        try:
            return self._call(
                "reading a draft",
                drafts.get,
                gone=DraftGone,
                userId="me",
                id=draft_id,
                format="minimal",
            )
        except DraftGone:
            return None


def draft_ref(draft: dict[str, Any]) -> str:
    """``draft id:message id``: the message id changes when the user edits the draft."""
    return f"{draft.get('id', '')}:{(draft.get('message') or {}).get('id', '')}"


def scan_gmail_inbox(
    client: InboxClient, store: Store, account: str, rules: Rules, now: Callable[[], datetime]
) -> ScanResult:
    """Record every new INBOX message with its verdict; committed with the historyId."""
    key = cursor_folder(INBOX)
    start = (get_cursor(store.conn, account, key) or {}).get("history_id")
    ids: list[str] | None = None
    if start:
        try:
            ids, latest = client.inbox_since(str(start))
        except HistoryExpired:
            ids = None
    if ids is None:
        latest = str(client.profile()["historyId"])
        ids = client.inbox_ids(rules.max_age.days + 1)
    seen_before = known(store.conn, account, ids)
    todo = [i for i in ids if i not in seen_before]
    total = ScanResult()
    chunks = [todo[i : i + BATCH_LIMIT] for i in range(0, len(todo), BATCH_LIMIT)] or [[]]
    for n, chunk in enumerate(chunks):
        seen = _chunk(client, store, chunk, rules, now()) if chunk else []
        with store.write(durable=True) as conn:
            add_seen(conn, account, seen)
            if n == len(chunks) - 1:
                set_cursor(conn, account, key, {"history_id": latest})
        qualifying = sum(1 for s in seen if s.reason is None)
        total = ScanResult(total.seen + len(seen), total.qualifying + qualifying)
    return total


def _chunk(
    client: InboxClient, store: Store, chunk: list[str], rules: Rules, now: datetime
) -> list[Any]:
    meta = client.get_many(chunk, "metadata")
    verdicts = {}
    for message_id, info in meta.items():
        header = _header_block(info)
        msg = Incoming.from_headers(header, received=internal_date(info))
        replied = replied_in_thread(store.conn, msg.thread_key, msg.written)
        verdicts[message_id] = (msg, qualify(msg, rules, now, replied), header, info)
    wanted = [i for i, (_, v, _, _) in verdicts.items() if isinstance(v, Qualifies)]
    raws = client.get_many(wanted, "raw") if wanted else {}
    out = []
    for message_id in chunk:
        if message_id not in verdicts:
            continue  # deleted since it was listed
        msg, verdict, header, info = verdicts[message_id]
        body = decode_raw(raws.get(message_id, {}).get("raw")) or b""
        if isinstance(verdict, Qualifies) and body:
            verdict = body_verdict(body) or verdict
        thread = str(info.get("threadId") or "") or None
        out.append(seen_record(message_id, INBOX, msg, verdict, header, body, thread))
    return out


def _header_block(info: dict[str, Any]) -> bytes:
    headers = (info.get("payload") or {}).get("headers") or []
    lines = [f"{h.get('name', '')}: {h.get('value', '')}" for h in headers if h.get("name")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")
