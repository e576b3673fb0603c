"""One IMAP account's autodraft loop: scan the inbox, write drafts, wait for new mail.

The loop keeps one connection: scan (headers first), recover interrupted
drafts, write pending ones, check what became of written ones, then wait, in
IDLE when the server offers it (renewed every ``idle_renew_minutes``) or for the
sync interval otherwise. A new message wakes IDLE at once. Network faults
reconnect with the Sent sync's backoff; refused credentials stop the loop until
the config changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient

from panza.daemon.autodraft.engine import Fate, check_written, write_pending
from panza.daemon.autodraft.loop import LoopWatcher, now
from panza.daemon.config import ImapAccount
from panza.daemon.errors import AuthError
from panza.daemon.mail.qualify import Rules
from panza.daemon.sources.imap.conn import (
    Connector,
    close,
    drop,
    open_session,
)
from panza.daemon.sources.imap.drafts import (
    DraftRef,
    append_draft,
    drafts_folder,
    fates,
    find_by_message_id,
)
from panza.daemon.sources.imap.inbox import INBOX, scan_inbox
from panza.daemon.sources.imap.login import AccountLogin
from panza.daemon.store.autodraft import Entry

log = logging.getLogger(__name__)


class ImapSink:
    """Drafts of one IMAP account, over the watcher's connection."""

    def __init__(self, client: IMAPClient, folder: str) -> None:
        self.client = client
        self.folder = folder

    def still_open(self, entry: Entry) -> bool:
        validity, _, uid = entry.provider_id.partition(":")
        state = self.client.select_folder(entry.folder or INBOX, readonly=True)
        if str(state[b"UIDVALIDITY"]) != validity:
            return True  # the inbox was renumbered; the flag cannot be checked by UID
        flags = self.client.fetch([int(uid)], ["FLAGS"]).get(int(uid))
        if flags is None:
            return False  # gone from the inbox (deleted or moved by the user)
        return b"\\Answered" not in flags.get(b"FLAGS", ())

    def find(self, entry: Entry) -> str | None:
        ref = find_by_message_id(self.client, self.folder, entry.draft_message_id or "")
        return None if ref is None else str(ref)

    def write(self, entry: Entry) -> str:
        ref = append_draft(self.client, self.folder, entry.draft_raw or b"", datetime.now(UTC))
        if ref is None:  # no UIDPLUS: find it by the Message-ID we gave it
            ref = find_by_message_id(self.client, self.folder, entry.draft_message_id or "")
        return str(ref) if ref is not None else "unknown"

    def fates(self, entries: Sequence[Entry]) -> list[Fate]:
        pairs = [
            (DraftRef.parse(e.draft_ref) or DraftRef(0, 0), e.message_id or "") for e in entries
        ]
        return list(fates(self.client, self.folder, pairs))


class ImapWatcher(LoopWatcher):
    """The loop of one IMAP account."""

    def __init__(self, *args: Any, connect: Connector = open_session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connect = connect

    def _account(self) -> ImapAccount:
        account = self.config().accounts.get(self.name)
        if not isinstance(account, ImapAccount):
            raise AuthError("the account is no longer an IMAP account", self.name)
        return account

    def run_once(self) -> bool:
        """One round on a connection of its own (``panza`` commands, tests, benchmarks)."""
        account = self._account()
        client = AccountLogin(self.name, account).open(self.connect)
        try:
            held = self.cycle(
                client, ImapSink(client, drafts_folder(client, account.drafts_folder, self.name))
            )
        except BaseException:
            drop(client)
            raise
        close(client)
        return held

    def session(self) -> None:
        account = self._account()
        client = AccountLogin(self.name, account).open(self.connect)
        try:
            sink = ImapSink(client, drafts_folder(client, account.drafts_folder, self.name))
            while not self.stopping.is_set():
                held = False
                if not self.paused():
                    held = self.cycle(client, sink)
                self.error = None
                self._wait(client, held)
        except BaseException:
            drop(client)
            raise
        close(client)

    def cycle(self, client: IMAPClient, sink: ImapSink) -> bool:
        """One round; True when pending drafts wait for drafting to be allowed."""
        config = self.config()
        scan_inbox(client, self.store, self.name, Rules.from_config(config), now)
        outcome = write_pending(self.store, self.name, sink, self.config, self.draft)
        check_written(self.store, self.name, sink)
        return outcome.waiting

    def _wait(self, client: IMAPClient, held: bool) -> None:
        timeout = self.wait_timeout(held)
        if self.paused() or not client.has_capability("IDLE"):
            self.sleep(timeout)
            return
        renew = self.config().autodraft.idle_renew_minutes * 60.0
        self._idle(client, min(timeout, renew))

    def _idle(self, client: IMAPClient, timeout: float) -> None:
        """IDLE on the inbox until new mail, a wake-up, or ``timeout``."""
        client.select_folder(INBOX, readonly=True)
        client.idle()
        deadline = time.monotonic() + timeout
        try:
            while not self.wake.is_set() and time.monotonic() < deadline:
                left = max(0.0, deadline - time.monotonic())
                responses = client.idle_check(timeout=min(1.0, left))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
        finally:
            client.idle_done()
            self.wake.clear()
