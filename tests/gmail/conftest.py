"""Fixtures for the Gmail tier: a local Google (Gmail API + OAuth) over real HTTP, a keyring.

The real google-api-python-client talks to :class:`FakeGoogle` on 127.0.0.1
through ``api_endpoint``; nothing here reaches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from panza.daemon.config import Config, GmailAccount, UserConfig
from panza.daemon.config.edit import add_account
from panza.daemon.config.starter import starter_config
from panza.daemon.demo.sample import PERSONA, SampleMessage, generate
from panza.daemon.demo.sample.fake_gmail import FakeGmail
from panza.daemon.demo.sample.fake_http import LocalServer
from panza.daemon.demo.sample.fake_oauth import CLIENT_ID, CLIENT_SECRET, SCOPE, FakeOAuth
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline.sync import Progress, SyncContext
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.retry import RetryPolicy
from panza.daemon.store import Store

ACCOUNT = "personal"
INCOMING = b"From: Tom <tom@partner.example>\nSubject: Hi\n\nAn incoming message.\n"
ACCESS_TOKEN = "ya29.first-access-token"


@dataclass
class FakeGoogle:
    url: str
    gmail: FakeGmail
    oauth: FakeOAuth
    server: LocalServer

    def fill(self, count: int, tag: str = "s") -> list[str]:
        """Add ``count`` generated sent messages (and an inbox one per 10, which sync ignores)."""
        ids = []
        for i, message in enumerate(sent_mail(count, tag)):
            ids.append(self.gmail.add(message.raw))
            if i % 10 == 9:
                self.gmail.add(
                    b"From: Tom <tom@partner.example>\n\nAn incoming message.\n", ("INBOX",)
                )
        return ids


def sent_mail(count: int, tag: str = "s") -> list[SampleMessage]:
    """The sample persona's sent mail, with Message-IDs unique to ``tag``."""
    out = []
    for message in generate(count, seed=5):
        new_id = message.message_id.replace("<sample.", f"<{tag}.")
        raw = message.raw.replace(message.message_id.encode(), new_id.encode())
        out.append(replace(message, message_id=new_id, raw=raw))
    return out


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    tokens = {ACCESS_TOKEN}
    gmail, oauth = FakeGmail(tokens, address=PERSONA.address), FakeOAuth(tokens)
    routes = [("/gmail/", gmail.handle), ("/batch", gmail.handle), ("/o/oauth2/", oauth.handle)]
    with LocalServer([*routes, ("/token", oauth.handle)]) as server:
        yield FakeGoogle(server.url, gmail, oauth, server)
    assert server.errors == []


@dataclass
class Keyring:
    env: dict[str, str]
    refresh_token: str = ""

    def token(self) -> dict[str, str]:
        from panza.daemon.secrets import get_secret

        text = get_secret(ACCOUNT, auth.TOKEN_KIND)
        return dict(json.loads(text)) if text else {}


def credentials(google: FakeGoogle, refresh_token: str, *, expired: bool = False) -> Credentials:
    shift = timedelta(hours=-1 if expired else 1)
    return Credentials(  # type: ignore[no-untyped-call]
        token=ACCESS_TOKEN,
        refresh_token=refresh_token,
        token_uri=google.url + "token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=[SCOPE],
        expiry=(datetime.now(UTC) + shift).replace(tzinfo=None),
    )


@pytest.fixture
def signed_in(test_keyring: dict[str, str], google: FakeGoogle) -> Keyring:
    """The account's token in the test keyring, as `panza account add gmail` leaves it."""
    refresh = google.oauth.issue_refresh_token()
    auth.save_credentials(ACCOUNT, credentials(google, refresh))
    return Keyring(test_keyring, refresh)


@pytest.fixture
def config() -> Config:
    return Config(user=UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias]))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "panza.db") as s:
        yield s


@dataclass
class Sleeps:
    """An injected sleep: records the delays instead of waiting."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    def policy(self, attempts: int = 4) -> RetryPolicy:
        return RetryPolicy(attempts=attempts, base_s=0.5, cap_s=4.0, sleep=self)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeContext = Callable[..., SyncContext]


@pytest.fixture
def make_ctx(google: FakeGoogle, store: Store, config: Config) -> MakeContext:
    def make(max_bytes: int = 1_000_000, progress: Progress | None = None) -> SyncContext:
        account = GmailAccount(kind="gmail", api_endpoint=google.url)
        rules = CleanRules.from_config(config)
        return SyncContext(store, ACCOUNT, account, rules, max_bytes, 0.1, progress)

    return make


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, google: FakeGoogle) -> Path:
    """A PANZA_HOME with a config (no accounts yet), for CLI subprocesses."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PANZA_HOME", str(home))
    user = UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias])
    (home / "config.toml").write_text(starter_config(user), encoding="utf-8")
    return home


def add_gmail_account(home: Path, google: FakeGoogle) -> None:
    add_account(home / "config.toml", ACCOUNT, {"kind": "gmail", "api_endpoint": google.url})


@pytest.fixture
def cli_env(home: Path, test_keyring: dict[str, str]) -> dict[str, str]:
    """Environment for `panza` subprocesses: this PANZA_HOME, the test keyring, no proxies."""
    return {
        **os.environ,
        **test_keyring,
        "PANZA_HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost",
        # oauthlib insists on https for Google's endpoints; the fake ones are plain http.
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }


def panza(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def start_panza(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
