"""Incremental, crash-safe sync of an IMAP account's Sent folder into the store.

One pass: log in, pick the folder, EXAMINE it (read-only), compare with the
stored cursor, search for UIDs above it, then per chunk of UIDs fetch sizes,
dates and Message-IDs first and ``BODY.PEEK[]`` only for messages under the
size cap that are not stored yet. Every batch is stored together with the
cursor that covers it (:func:`panza.daemon.pipeline.ingest.ingest_batch`), so a kill at
any moment loses nothing and the re-run fetches nothing twice. Network faults
restart the pass from the committed cursor (see :func:`conn.with_retry`).
"""

from __future__ import annotations

import imaplib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from imapclient import IMAPClient

from panza.daemon.config.schema import ImapAccount
from panza.daemon.errors import SourceError
from panza.daemon.pipeline.ingest import Cursor, RawMail, ingest_batch
from panza.daemon.sources.contract import SyncContext
from panza.daemon.sources.imap.conn import (
    Connector,
    close,
    drop,
    open_session,
    server_text,
    with_retry,
)
from panza.daemon.sources.imap.cursor import (
    FolderCursor,
    MailboxState,
    SyncPlan,
    batch_cursor,
    chunked,
    new_uids,
    plan_sync,
    provider_id,
)
from panza.daemon.sources.imap.folders import choose_sent_folder, folder_names
from panza.daemon.sources.imap.gone import adopt_by_content, drop_gone, renumber_known
from panza.daemon.sources.imap.items import as_int, as_utc, fetched_message_id, oversized
from panza.daemon.sources.imap.login import AccountLogin
from panza.daemon.sources.retry import RetryPolicy
from panza.daemon.store import InsertResult
from panza.daemon.store.emails import known_message_ids
from panza.daemon.store.state import get_cursor

log = logging.getLogger(__name__)

# Sizes, dates and Message-IDs are small: fetch them for many UIDs per command
# (500 explicit UIDs stay well under the ~8 KB command line servers accept).
META_CHUNK = 500
# Bodies: one FETCH and one durable commit per batch; a kill loses at most one.
BODY_BATCH = 250
BODY_BYTES = 16 * 2**20
_META = ["RFC822.SIZE", "INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]


def sync_account(
    ctx: SyncContext,
    *,
    connect: Connector = open_session,
    policy: RetryPolicy | None = None,
) -> InsertResult:
    """One sync pass over the account's Sent folder (registered in ``SYNCERS``)."""
    if not isinstance(ctx.account, ImapAccount):
        raise SourceError(f"account {ctx.name} is not an IMAP account", ctx.name)
    login = AccountLogin(ctx.name, ctx.account)
    folder_sync = FolderSync(ctx)

    def attempt() -> None:
        client = login.open(connect)
        try:
            folder_sync.run(client)
        except BaseException:
            drop(client)
            raise
        close(client)

    with_retry(
        attempt,
        policy or RetryPolicy(),
        where=f"{ctx.account.host}:{ctx.account.port}",
        progress=lambda: folder_sync.commits,
    )
    return folder_sync.total


class FolderSync:
    """The work of one account's pass; survives reconnects so totals add up."""

    def __init__(self, ctx: SyncContext) -> None:
        assert isinstance(ctx.account, ImapAccount)
        self.ctx = ctx
        self.folder = ctx.account.folder
        self.total = InsertResult()
        self.commits = 0

    def run(self, client: IMAPClient) -> None:
        try:
            self._run(client)
        except imaplib.IMAP4.abort:
            raise  # a dropped connection: retried by the caller
        except imaplib.IMAP4.error as exc:  # the server said NO or BAD: retrying won't help
            raise SourceError(
                f"the IMAP server refused: {server_text(exc)}", self.ctx.name
            ) from None

    def _run(self, client: IMAPClient) -> None:
        if not self.folder:
            self.folder = self._choose_folder(client)
        gmail = client.has_capability("X-GM-EXT-1")
        if gmail and client.has_capability("ID"):
            client.id_({"name": "Panza"})  # Google asks IMAP clients to say who they are
        if client.has_capability("CONDSTORE") and client.has_capability("ENABLE"):
            client.enable("CONDSTORE")  # so EXAMINE reports HIGHESTMODSEQ
        try:
            # EXAMINE: a read-only session, so nothing we do can set \Seen.
            state = MailboxState.from_select(client.select_folder(self.folder, readonly=True))
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise SourceError(
                f"cannot open folder {self.folder!r}: {server_text(exc)}", self.ctx.name
            ) from None
        except ValueError as exc:
            raise SourceError(str(exc), self.ctx.name) from None
        stored = FolderCursor.from_value(
            get_cursor(self.ctx.store.conn, self.ctx.name, self.folder)
        )
        plan = plan_sync(stored, state)
        if plan.rescan:
            log.warning(
                "account %s: UIDVALIDITY of %r changed; rescanning (stored mail is skipped)",
                self.ctx.name,
                self.folder,
            )
        self._fetch_new(client, state, stored, plan, gmail)
        if not plan.unchanged:  # expunges change HIGHESTMODSEQ; without it, always look
            self.total.removed += drop_gone(client, self.ctx, self.folder, state)

    def _fetch_new(
        self,
        client: IMAPClient,
        state: MailboxState,
        stored: FolderCursor | None,
        plan: SyncPlan,
        gmail: bool,
    ) -> None:
        if plan.nothing_new:
            if plan.settled is not None:
                self._commit([], plan.settled)
            self._progress(0, 0)
            return
        uids = new_uids(client.search(plan.search_criteria), plan.after_uid)
        if not uids:  # the "UID n:*" answer held only UIDs we already have
            settled = batch_cursor(state, plan.after_uid, folder_done=True)
            if settled != stored:
                self._commit([], settled)
            self._progress(0, 0)
            return
        items = [*_META, "X-GM-MSGID"] if gmail else _META
        done = 0
        for chunk in chunked(uids, META_CHUNK):
            final = chunk[-1] == uids[-1]
            for covered in self._chunk(client, chunk, items, state, final):
                done += covered
                self._progress(done, len(uids))

    def _choose_folder(self, client: IMAPClient) -> str:
        entries = client.list_folders()
        choice = choose_sent_folder(entries)
        if choice is None:
            names = ", ".join(repr(n) for n in folder_names(entries)[:20])
            raise SourceError(
                f'found no Sent folder (folders: {names}); set folder = "..." for this account'
                " in the config",
                self.ctx.name,
            )
        log.info("account %s: sent mail is in %r (%s)", self.ctx.name, choice.name, choice.reason)
        return choice.name

    def _chunk(
        self,
        client: IMAPClient,
        chunk: list[int],
        items: list[str],
        state: MailboxState,
        final: bool,
    ) -> Iterable[int]:
        """Store one chunk of UIDs in batches; yields how many UIDs each commit covered."""
        meta = client.fetch(chunk, items)
        ids = {uid: fetched_message_id(item) for uid, item in meta.items()}
        known = known_message_ids(self.ctx.store.conn, ids.values())
        pids = {
            uid: provider_id(state.uidvalidity, uid, as_int(item.get(b"X-GM-MSGID")))
            for uid, item in meta.items()
        }
        stored_again = {m: pids[u] for u, m in ids.items() if m is not None and m in known}
        renumber_known(self.ctx, self.folder, state, stored_again)
        anonymous: set[str] = set()  # no Message-ID: stored mail is recognised by content
        placeholder = oversized(self.ctx.max_bytes)
        batch: list[tuple[int, RawMail | None]] = []  # None: download the body
        wanted: dict[int, tuple[str, datetime | None]] = {}
        size, covered, skipped = 0, 0, 0
        for uid in chunk:
            covered += 1
            item = meta.get(uid)
            if item is not None:  # else: expunged since the search; nothing to store
                pid = pids[uid]
                date = as_utc(item.get(b"INTERNALDATE"))
                msg_size = as_int(item.get(b"RFC822.SIZE")) or 0
                if ids.get(uid) in known:
                    skipped += 1  # stored already (other folder, mbox import, before a rescan)
                elif msg_size > self.ctx.max_bytes:
                    # Recorded as too_large without downloading it; ingest only checks len().
                    batch.append((uid, RawMail(placeholder, pid, self.folder, date)))
                else:
                    wanted[uid] = (pid, date)
                    batch.append((uid, None))
                    size += msg_size
                    if ids.get(uid) is None:
                        anonymous.add(pid)
            if len(wanted) >= BODY_BATCH or size >= BODY_BYTES or uid == chunk[-1]:
                cursor = batch_cursor(state, uid, folder_done=final and uid == chunk[-1])
                mails = self._download(client, batch, wanted)
                mails, adopted = adopt_by_content(self.ctx, self.folder, state, mails, anonymous)
                self._commit(mails, cursor, skipped + adopted)
                yield covered
                batch, wanted, size, covered, skipped = [], {}, 0, 0, 0

    def _download(
        self,
        client: IMAPClient,
        batch: list[tuple[int, RawMail | None]],
        wanted: Mapping[int, tuple[str, datetime | None]],
    ) -> list[RawMail]:
        bodies = client.fetch(list(wanted), ["BODY.PEEK[]"]) if wanted else {}
        mails = []
        for uid, mail in batch:
            if mail is None:
                raw = bodies.get(uid, {}).get(b"BODY[]")
                if raw is None:  # expunged between the two fetches
                    continue
                pid, date = wanted[uid]
                mail = RawMail(bytes(raw), pid, self.folder, date)
            mails.append(mail)
        return mails

    def _commit(self, mails: list[RawMail], cursor: FolderCursor, skipped: int = 0) -> None:
        result = ingest_batch(
            self.ctx.store,
            mails,
            self.ctx.rules,
            self.ctx.name,
            max_bytes=self.ctx.max_bytes,
            test_fraction=self.ctx.test_fraction,
            cursor=Cursor(self.folder, cursor.to_value()),
        )
        result.duplicates += skipped
        self.total.add(result)
        self.commits += 1
        log.debug(
            "account %s: stored up to UID %d of %r (%d new, %d already stored)",
            self.ctx.name,
            cursor.last_uid,
            self.folder,
            result.new,
            result.duplicates,
        )

    def _progress(self, done: int, total: int) -> None:
        if self.ctx.progress is not None:
            self.ctx.progress(done, total)
