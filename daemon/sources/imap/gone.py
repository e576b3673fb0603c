"""Mail that left the Sent folder, and mail that came back under new UIDs.

An expunged message leaves the store (and so the training set and the index) at the
next sync. When UIDVALIDITY changes, the rescan finds stored mail again under new
UIDs: rows of the old numbering take the new ids (by Message-ID, or by content for
mail without one) instead of gaining a second row, and old rows not found again are
gone. Ids of the ``UIDVALIDITY:UID`` form only; Gmail's X-GM-MSGID ids never change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from imapclient import IMAPClient

from panza.daemon.pipeline.ingest import RawMail, to_record
from panza.daemon.sources.contract import SyncContext
from panza.daemon.sources.imap.cursor import MailboxState, gone_from_folder
from panza.daemon.store.emails import delete_emails, known_ids, renumber

log = logging.getLogger(__name__)


def drop_gone(client: IMAPClient, ctx: SyncContext, folder: str, state: MailboxState) -> int:
    """Remove the rows of mail no longer in ``folder`` (one UID SEARCH ALL); how many."""
    present = {int(uid) for uid in client.search(["ALL"])}
    stored = known_ids(ctx.store.conn, ctx.name, folder)
    gone = gone_from_folder(stored, state.uidvalidity, present)
    if not gone:
        return 0
    with ctx.store.write() as conn:
        removed = delete_emails(conn, ctx.name, gone)
    log.info("account %s: %d message(s) gone from %r left the store", ctx.name, removed, folder)
    return removed


def renumber_known(
    ctx: SyncContext, folder: str, state: MailboxState, new_ids: Mapping[str, str]
) -> None:
    """Rows of an earlier numbering take the new id of mail stored by Message-ID."""
    if not new_ids:
        return
    current = f"{state.uidvalidity}:"
    with ctx.store.write() as conn:
        for message_id, new_id in new_ids.items():
            renumber(conn, ctx.name, folder, new_id, current, message_id=message_id)


def adopt_by_content(
    ctx: SyncContext,
    folder: str,
    state: MailboxState,
    mails: list[RawMail],
    anonymous: set[str],
) -> tuple[list[RawMail], int]:
    """Mail without a Message-ID already stored under an earlier numbering: that row takes
    the new id and the mail is not stored again. The rest, and how many were adopted."""
    candidates = [m for m in mails if m.provider_id in anonymous]
    if not candidates:
        return mails, 0
    current = f"{state.uidvalidity}:"
    adopted: set[str] = set()
    with ctx.store.write() as conn:
        for mail in candidates:
            content = to_record(mail, ctx.rules, ctx.name, ctx.max_bytes).content_hash
            if renumber(conn, ctx.name, folder, mail.provider_id, current, content_hash=content):
                adopted.add(mail.provider_id)
    return [m for m in mails if m.provider_id not in adopted], len(adopted)
