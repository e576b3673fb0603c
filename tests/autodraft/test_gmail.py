"""Autodraft on the local Gmail API server: drafts in the right thread with the right headers,
once, also after a crash between creating a draft and recording it; the compose scope."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from panza.daemon import paths
from panza.daemon.autodraft.gmail_watch import GmailSink, GmailWatcher
from panza.daemon.config import load_config
from panza.daemon.demo.sample.fake_http import LocalServer
from panza.daemon.demo.sample.fake_oauth import CLIENT_ID, CLIENT_SECRET, SCOPE, FakeOAuth
from panza.daemon.errors import AuthError
from panza.daemon.protocol import DraftParams
from panza.daemon.server.operations import Service
from panza.daemon.server.writer import Draft, Writer
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.gmail.inbox import COMPOSE_SCOPE
from panza.daemon.store import Store
from panza.daemon.store.autodraft import in_state
from tests.autodraft.conftest import ADA, message, write_config
from tests.gmail.conftest import ACCESS_TOKEN
from tests.gmail.fake_gmail_drafts import FakeGmailDrafts

pytestmark = pytest.mark.integration
ACCOUNT = "personal"


class GmailHome:
    def __init__(self, root: Path, gmail: FakeGmailDrafts) -> None:
        self.root = root
        self.gmail = gmail
        self.store = Store(paths.resolve().db_file)
        self.service = Service(paths.resolve(), load_config(root / "config.toml"), self.store)
        self.writer = Writer(self.service)

    def watcher(self) -> GmailWatcher:
        def draft(params: DraftParams) -> Draft | None:
            return self.writer.write(params, lambda _t: None, threading.Event())

        return GmailWatcher(ACCOUNT, self.store, lambda: self.service.config, draft)

    def inbox(self, raw: bytes) -> str:
        message_id = self.gmail.add(raw, ("INBOX", "UNREAD"))
        self.gmail.messages[message_id].internal_date = int(time.time() * 1000) - 60_000
        return message_id


@pytest.fixture
def gmail_home(
    trained_home: Path,
    tiny_base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_keyring: dict[str, str],
) -> Iterator[GmailHome]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    tokens = {ACCESS_TOKEN}
    gmail, oauth = FakeGmailDrafts(tokens, address=ADA), FakeOAuth(tokens)
    routes = [("/gmail/", gmail.handle), ("/batch", gmail.handle), ("/o/oauth2/", oauth.handle)]
    with LocalServer([*routes, ("/token", oauth.handle)]) as server:
        root = tmp_path / "home"
        shutil.copytree(trained_home, root)
        write_config(root, tiny_base, None)
        with (root / "config.toml").open("a", encoding="utf-8") as f:
            f.write(
                f'\n[accounts.{ACCOUNT}]\nkind = "gmail"\napi_endpoint = "{server.url}"\n'
                "autodraft = true\n"
            )
        monkeypatch.setenv("PANZA_HOME", str(root))
        save_token(server.url, oauth, [SCOPE, COMPOSE_SCOPE])
        home = GmailHome(root, gmail)
        yield home
        home.store.close()
        assert server.errors == []


def save_token(url: str, oauth: FakeOAuth, scopes: list[str]) -> None:
    creds = Credentials(  # type: ignore[no-untyped-call]
        token=ACCESS_TOKEN,
        refresh_token=oauth.issue_refresh_token(),
        token_uri=url + "token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=scopes,
        expiry=(datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None),
    )
    auth.save_credentials(ACCOUNT, creds)


def created(gmail: FakeGmailDrafts) -> int:
    return sum(c.kind == "drafts.POST" for c in gmail.calls)


def test_drafts_in_the_thread_with_reply_headers_once(gmail_home: GmailHome) -> None:
    gmail = gmail_home.gmail
    priya = gmail_home.inbox(message("Priya <priya@uni.example>", ADA, "Talk", "<p1@uni.example>"))
    gmail_home.inbox(
        message(
            "news@journal.example",
            ADA,
            "News",
            "<n1@journal.example>",
            extra="List-Id: <news.journal.example>",
        )
    )

    gmail_home.watcher().run_once()

    [draft] = gmail.drafts.values()
    assert draft.thread_id == priya  # shown inside the conversation
    msg = message_from_bytes(draft.raw, policy=policy.default)
    assert msg["In-Reply-To"] == "<p1@uni.example>" and msg["References"] == "<p1@uni.example>"
    assert msg["From"] == f"Ada Whitfield <{ADA}>" and msg["To"] == "Priya <priya@uni.example>"
    assert msg["Subject"] == "Re: Talk" and msg["X-Panza-Draft"] == "v0001"
    # headers first: only the qualifying message was fetched whole
    assert gmail.fetched("raw") == [priya]
    [skipped] = in_state(gmail_home.store.conn, ("skipped",), ACCOUNT)
    assert skipped.reason == "mailing_list"

    gmail_home.watcher().run_once()
    assert created(gmail) == 1 and len(gmail.drafts) == 1


def test_a_crash_between_create_and_record_leaves_one_draft(
    gmail_home: GmailHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    gmail = gmail_home.gmail
    gmail_home.inbox(message("tom@uni.example", ADA, "Budget", "<t1@uni.example>"))
    real = GmailSink.write

    def crash_after_create(self: GmailSink, entry: object) -> str:
        real(self, entry)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process dies before the draft is recorded

    monkeypatch.setattr(GmailSink, "write", crash_after_create)
    with pytest.raises(KeyboardInterrupt):
        gmail_home.watcher().run_once()
    assert len(in_state(gmail_home.store.conn, ("intent",), ACCOUNT)) == 1
    monkeypatch.setattr(GmailSink, "write", real)

    gmail_home.watcher().run_once()

    assert len(gmail.drafts) == 1 and created(gmail) == 1
    [written] = in_state(gmail_home.store.conn, ("written",), ACCOUNT)
    assert (
        written.draft_ref
        == f"{next(iter(gmail.drafts))}:{next(iter(gmail.drafts.values())).message_id}"
    )


def test_edited_and_deleted_gmail_drafts(gmail_home: GmailHome) -> None:
    gmail = gmail_home.gmail
    gmail_home.inbox(message("a@uni.example", ADA, "One", "<a1@uni.example>"))
    gmail_home.inbox(message("b@uni.example", ADA, "Two", "<b1@uni.example>"))
    gmail_home.watcher().run_once()
    one, two = (d.id for d in gmail.drafts.values())
    gmail.edit(one, b"Subject: Re: One\r\n\r\nMy own words\r\n")
    del gmail.drafts[two]

    gmail_home.watcher().run_once()

    states = {
        e.subject: e.state for e in in_state(gmail_home.store.conn, ("edited", "deleted"), ACCOUNT)
    }
    assert states == {"One": "edited", "Two": "deleted"}
    assert gmail.drafts[one].raw == b"Subject: Re: One\r\n\r\nMy own words\r\n"
    assert created(gmail) == 2


def test_without_the_compose_scope_autodraft_is_refused(gmail_home: GmailHome) -> None:
    gmail_home.inbox(message("a@uni.example", ADA, "One", "<a1@uni.example>"))
    creds = auth.load_credentials(ACCOUNT)
    creds._scopes = [SCOPE]  # type: ignore[attr-defined]
    auth.save_credentials(ACCOUNT, creds)
    with pytest.raises(
        AuthError,
        match=r"needs permission to write drafts \(gmail.compose\).*"
        r"panza autodraft on --account personal",
    ):
        gmail_home.watcher().run_once()
    assert gmail_home.gmail.calls == []  # nothing read or written without it
