"""Which faults are retried, how patiently, and OAuth2 token handling (no server needed)."""

from __future__ import annotations

import imaplib
import json
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from imapclient.exceptions import LoginError

from panza.daemon.errors import AuthError, SourceError, UserError
from panza.daemon.sources.imap.conn import (
    ImapSettings,
    is_transient,
    login,
    server_text,
    with_retry,
)
from panza.daemon.sources.imap.oauth import OAuthToken
from panza.daemon.sources.retry import RetryPolicy


def test_backoff_is_exponential_capped_and_jittered() -> None:
    low = RetryPolicy(attempts=10, base_s=0.5, cap_s=8.0, rand=lambda: 0.0)
    high = RetryPolicy(attempts=10, base_s=0.5, cap_s=8.0, rand=lambda: 1.0)
    lows = [low.delay(n) for n in range(1, 8)]
    highs = [high.delay(n) for n in range(1, 8)]
    assert highs == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert lows == [h / 2 for h in highs]  # jitter never drops below half the step


@pytest.mark.parametrize(
    "exc",
    [
        imaplib.IMAP4.abort("socket error: EOF"),
        imaplib.IMAP4.abort("Server shutting down."),  # BYE
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        OSError(113, "No route to host"),
    ],
)
def test_network_faults_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        AuthError("refused"),
        SourceError("no such folder"),
        imaplib.IMAP4.error("SELECT failed: Mailbox doesn't exist"),
        ssl.SSLCertVerificationError(1, "certificate verify failed"),
        FileNotFoundError(2, "No such file"),
        ValueError("bug"),
    ],
)
def test_other_failures_are_not_retried(exc: BaseException) -> None:
    assert not is_transient(exc)


class Flaky:
    """Fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_transient_faults_are_retried_with_growing_pauses() -> None:
    pauses: list[float] = []
    flaky = Flaky(ConnectionRefusedError(), imaplib.IMAP4.abort("EOF"), TimeoutError())
    policy = RetryPolicy(sleep=pauses.append, rand=lambda: 1.0)
    result = with_retry(flaky, policy, where="h:993")
    assert result == "done" and flaky.calls == 4
    assert pauses == [0.5, 1.0, 2.0]


def test_auth_failure_is_never_retried() -> None:
    pauses: list[float] = []
    flaky = Flaky(AuthError("refused"))
    with pytest.raises(AuthError):
        with_retry(flaky, RetryPolicy(sleep=pauses.append), where="h:993")
    assert flaky.calls == 1 and pauses == []


def test_gives_up_after_the_attempts_with_a_clear_error() -> None:
    pauses: list[float] = []
    flaky = Flaky(*[ConnectionRefusedError(111, "Connection refused")] * 10)
    with pytest.raises(SourceError) as err:
        with_retry(flaky, RetryPolicy(attempts=4, sleep=pauses.append), where="h:993")
    assert flaky.calls == 4 and len(pauses) == 3
    assert str(err.value).startswith("cannot reach h:993 after 4 attempts: ConnectionRefusedError")


def test_progress_between_faults_restarts_the_count() -> None:
    done = [0]
    errors = [imaplib.IMAP4.abort("EOF")] * 6

    def attempt() -> str:
        if errors:
            errors.pop()
            done[0] += 1  # each pass commits a batch before the link drops
            raise imaplib.IMAP4.abort("EOF")
        return "done"

    pauses: list[float] = []
    policy = RetryPolicy(attempts=3, sleep=pauses.append)
    result = with_retry(attempt, policy, where="h", progress=lambda: done[0])
    assert result == "done" and len(pauses) == 6
    assert max(pauses) <= policy.base_s  # never escalated: every pass made progress


def test_server_text_and_settings_hide_secrets() -> None:
    assert server_text(imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] Authentication failed.")) == (
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    settings = ImapSettings("imap.example.com", 993, "ada@example.com", "hunter2")
    assert "hunter2" not in repr(settings) and "ada@" not in repr(settings)


def test_oauth_token_forms() -> None:
    bare = OAuthToken.parse("ya29.abc\n")
    assert bare.access_token == "ya29.abc" and not bare.can_refresh and not bare.expired()
    assert bare.to_secret() == "ya29.abc"
    stored = {
        "token": "ya29.old",
        "refresh_token": "1//r",
        "client_id": "cid",
        "client_secret": "cs",
        "token_uri": "https://oauth2.googleapis.com/token",
        "scopes": ["https://mail.google.com/"],
        "expiry": "2024-01-01T00:00:00Z",
    }
    token = OAuthToken.parse(json.dumps(stored))
    assert token.can_refresh and token.expired()
    assert not token.expired(datetime(2023, 12, 31, tzinfo=UTC))
    assert json.loads(token.to_secret()) == stored  # unknown keys (scopes) kept
    assert "ya29" not in repr(token) and "1//r" not in repr(token)
    soon = datetime.now(UTC) + timedelta(seconds=30)
    assert OAuthToken("t", expiry=soon).expired()  # renewed a little early
    with pytest.raises(UserError):
        OAuthToken.parse("{not json")


class RefusingClient:
    """Stands in for an IMAPClient whose server answers LOGIN with ``NO <text>``."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    def login(self, user: str, password: str) -> None:
        raise LoginError(self.text)


def test_refused_login_is_auth_but_unavailable_is_transient() -> None:
    settings = ImapSettings("imap.example.com", 993, "ada", "pw")
    with pytest.raises(AuthError, match=r"refused the user name or password \(\[AUTH"):
        login(RefusingClient(b"[AUTHENTICATIONFAILED] Invalid credentials (Failure)"), settings)
    with pytest.raises(ConnectionError) as busy:
        login(RefusingClient(b"[UNAVAILABLE] Temporary System Problem"), settings)
    assert is_transient(busy.value)
