"""One Gmail account's autodraft loop: poll the INBOX history on the sync schedule.

Writing drafts needs the ``gmail.compose`` scope; a token without it stops the
loop with a message that says how to grant it (``panza autodraft on``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from panza.daemon.autodraft.engine import Fate, check_written, write_pending
from panza.daemon.autodraft.loop import LoopWatcher, now
from panza.daemon.config import GmailAccount
from panza.daemon.errors import AuthError
from panza.daemon.mail.qualify import Rules
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.gmail.api import build_client
from panza.daemon.sources.gmail.inbox import (
    DRAFT_SCOPES,
    InboxClient,
    draft_ref,
    scan_gmail_inbox,
)
from panza.daemon.store.autodraft import Entry

log = logging.getLogger(__name__)


class GmailSink:
    """Drafts of one Gmail account, created inside the original's thread."""

    def __init__(self, client: InboxClient) -> None:
        self.client = client

    def still_open(self, entry: Entry) -> bool:
        return True  # Gmail has no \\Answered flag; a reply shows up in the Sent sync

    def find(self, entry: Entry) -> str | None:
        found = self.client.find_draft(entry.draft_message_id or "")
        return None if found is None else draft_ref(found)

    def write(self, entry: Entry) -> str:
        return draft_ref(self.client.create_draft(entry.draft_raw or b"", entry.thread_id))

    def fates(self, entries: Sequence[Entry]) -> list[Fate]:
        out: list[Fate] = []
        for entry in entries:
            draft_id = (entry.draft_ref or "").partition(":")[0]
            found = self.client.get_draft(draft_id) if draft_id else None
            if found is None:
                out.append("gone")
            else:
                out.append("untouched" if draft_ref(found) == entry.draft_ref else "edited")
        return out


def has_draft_scope(scopes: Sequence[str] | None) -> bool:
    return bool(set(scopes or ()) & DRAFT_SCOPES)


class GmailWatcher(LoopWatcher):
    """The loop of one Gmail account (polling: the API has no push without Cloud Pub/Sub)."""

    def run_once(self) -> bool:
        account = self.config().accounts.get(self.name)
        if not isinstance(account, GmailAccount):
            raise AuthError("the account is no longer a Gmail account", self.name)
        creds = auth.load_credentials(self.name)
        if not has_draft_scope(creds.scopes):
            raise AuthError(
                "autodraft needs permission to write drafts (gmail.compose), which this"
                f" sign-in lacks; grant it with: panza autodraft on --account {self.name}",
                self.name,
            )
        token = creds.token
        auth.refresh_if_expired(creds, self.name)
        if creds.token != token:
            auth.save_credentials(self.name, creds)
        base = build_client(creds, account.api_endpoint, None, self.name)
        client = InboxClient(base.service, base.http, base.batch_uri, base.retry, base.account)
        try:
            config = self.config()
            scan_gmail_inbox(client, self.store, self.name, Rules.from_config(config), now)
            sink = GmailSink(client)
            outcome = write_pending(self.store, self.name, sink, self.config, self.draft)
            check_written(self.store, self.name, sink)
            return outcome.waiting
        finally:
            client.close()

    def session(self) -> None:
        while not self.stopping.is_set():
            held = False if self.paused() else self.run_once()
            self.error = None
            self.sleep(self.wait_timeout(held))
