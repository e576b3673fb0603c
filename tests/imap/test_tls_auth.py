"""Logging in to a real Dovecot: refused passwords, TLS verification, STARTTLS, XOAUTH2."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from panza.daemon.demo.sample import generate
from panza.daemon.demo.sample.dovecot import PASSWORD, Dovecot, append
from panza.daemon.errors import SourceError
from panza.daemon.pipeline.sync import SyncOutcome, sync_accounts
from panza.daemon.secrets import get_secret, set_secret
from panza.daemon.sources.imap.conn import ImapSettings, open_session, with_retry
from panza.daemon.sources.retry import RetryPolicy
from panza.daemon.store import Store
from panza.daemon.store.state import account_status
from tests.imap.conftest import Setup

pytestmark = pytest.mark.integration


def run(store: Store, setup: Setup, **changes: Any) -> SyncOutcome:
    (outcome,) = sync_accounts(store, setup.config(**changes), only="work")
    return outcome


# Tests with refused logins use a server of their own: Dovecot slows down later logins
# from an address that failed (its auth penalty), which would slow the other tests.


def test_wrong_password_needs_reauth_and_is_not_retried(store: Store, own_setup: Setup) -> None:
    setup = own_setup
    set_secret("work", "password", "not-the-password")
    started = time.monotonic()
    outcome = run(store, setup)
    elapsed = time.monotonic() - started

    assert outcome.auth_needed and outcome.error is not None
    assert outcome.error.startswith("127.0.0.1 refused the user name or password")
    assert "not-the-password" not in outcome.error and setup.user not in outcome.error
    assert elapsed < 3.0
    time.sleep(0.3)  # Dovecot logs through its log process
    assert setup.server.failed_logins(setup.user) == 1  # one attempt, no retry loop
    status = account_status(store.conn, "work")
    assert status is not None and status["state"] == "auth_needed"


def test_missing_password_is_reauth_not_a_crash(store: Store, setup: Setup) -> None:
    outcome = run(store, setup, auth="oauth2")  # no token was ever stored
    assert (
        outcome.auth_needed and outcome.error == "no OAuth2 token for this account in the keyring"
    )


def test_self_signed_certificate_refused_by_default_accepted_with_ca_file(
    store: Store, setup: Setup
) -> None:
    append(setup.admin(), [generate(1, seed=31)[0].raw])
    started = time.monotonic()
    refused = run(store, setup, ca_file="")
    assert not refused.ok and not refused.auth_needed
    assert refused.error is not None
    assert refused.error.startswith("the TLS certificate of 127.0.0.1 is not trusted")
    assert "--ca-file" in refused.error
    assert time.monotonic() - started < 3.0  # a trust problem is not retried
    assert setup.server.failed_logins(setup.user) == 0  # the password was never sent

    accepted = run(store, setup)  # the same server with its certificate as --ca-file
    assert accepted.ok and accepted.result.new == 1


def test_host_name_is_checked_even_with_the_ca_file(store: Store, setup: Setup) -> None:
    outcome = run(store, setup, host="localhost")  # the certificate names only 127.0.0.1
    assert outcome.error is not None and "not trusted" in outcome.error
    assert "localhost" in outcome.error


def test_starttls_upgrades_the_plain_port(store: Store, setup: Setup) -> None:
    append(setup.admin(), [m.raw for m in generate(3, seed=32)])
    outcome = run(store, setup, port=setup.server.port, starttls=True)
    assert outcome.ok and outcome.result.new == 3


def test_starttls_is_mandatory(store: Store, setup: Setup, plain_server: Dovecot) -> None:
    setup.server = plain_server  # speaks IMAP without any TLS, so offers no STARTTLS
    outcome = run(store, setup, port=plain_server.port, starttls=True)
    assert outcome.error == (
        f"127.0.0.1:{plain_server.port} does not offer STARTTLS; refusing to log in without TLS"
    )
    time.sleep(0.3)
    assert "Login:" not in plain_server.read_log()  # the password never went out in clear


class TokenEndpoint:
    """An OAuth2 token endpoint on loopback that answers refresh grants with ``access``."""

    def __init__(self, access: str) -> None:
        self.access = access
        self.grants: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                outer.grants.append({k: v[0] for k, v in form.items()})
                body = json.dumps({"access_token": outer.access, "expires_in": 3600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    server = TokenEndpoint(PASSWORD)  # Dovecot's test passdb takes the password as token
    yield server
    server.close()


def stored_token(endpoint: TokenEndpoint, access: str, expiry: datetime | None) -> str:
    token: dict[str, Any] = {
        "token": access,
        "refresh_token": "1//refresh",
        "client_id": "panza-test",
        "client_secret": "shh",
        "token_uri": endpoint.url,
    }
    if expiry is not None:
        token["expiry"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(token)


def test_xoauth2_renews_an_expired_token_and_keeps_it(
    store: Store, setup: Setup, endpoint: TokenEndpoint
) -> None:
    append(setup.admin(), [m.raw for m in generate(2, seed=33)])
    past = datetime.now(UTC) - timedelta(hours=1)
    set_secret("work", "token", stored_token(endpoint, "expired", past))

    outcome = run(store, setup, auth="oauth2")
    assert outcome.ok and outcome.result.new == 2
    assert [g["grant_type"] for g in endpoint.grants] == ["refresh_token"]
    assert endpoint.grants[0]["refresh_token"] == "1//refresh"
    kept = json.loads(get_secret("work", "token") or "{}")
    assert kept["token"] == PASSWORD and kept["refresh_token"] == "1//refresh"
    assert datetime.fromisoformat(kept["expiry"]) > datetime.now(UTC)


def test_xoauth2_refused_token_is_renewed_once_then_needs_reauth(
    store: Store, own_setup: Setup, endpoint: TokenEndpoint
) -> None:
    setup = own_setup
    endpoint.access = "still-wrong"
    future = datetime.now(UTC) + timedelta(hours=1)
    set_secret("work", "token", stored_token(endpoint, "revoked", future))

    outcome = run(store, setup, auth="oauth2")
    assert outcome.auth_needed
    assert outcome.error is not None and "refused the OAuth2 token" in outcome.error
    assert len(endpoint.grants) == 1  # renewed once, then gave up: no loop
    time.sleep(0.3)
    assert setup.server.failed_logins(setup.user) == 2


def test_a_server_that_never_answers_times_out_and_is_retried_then_reported() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never says a word
        port = silent.getsockname()[1]
        settings = ImapSettings("127.0.0.1", port, "u", "p", connect_timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(SourceError) as err:
            with_retry(
                lambda: open_session(settings),
                RetryPolicy(attempts=3, base_s=0.05),
                where=settings.where,
            )
    assert str(err.value) == f"cannot reach 127.0.0.1:{port} after 3 attempts: timed out"
    assert time.monotonic() - started < 5
