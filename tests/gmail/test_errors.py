"""Gmail API errors over real HTTP: what is retried, within what bound, and what surfaces."""

from __future__ import annotations

from collections import Counter

import pytest

from panza.daemon.config import Config, GmailAccount
from panza.daemon.demo.sample.fake_gmail import (
    BAD_REQUEST,
    FORBIDDEN,
    RATE_LIMITED,
    SERVER_ERROR,
    USER_RATE_LIMITED,
)
from panza.daemon.errors import SourceError
from panza.daemon.pipeline import sync
from panza.daemon.sources.gmail import sent
from panza.daemon.sources.gmail.sent import FOLDER, sync_account
from panza.daemon.store.state import account_status, get_cursor
from tests.gmail.conftest import ACCOUNT, FakeGoogle, Keyring, MakeContext, Sleeps

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("kind", ["list", "batch", "profile"])
@pytest.mark.parametrize("fault", [RATE_LIMITED, USER_RATE_LIMITED, SERVER_ERROR], ids=str)
def test_transient_errors_are_retried_then_succeed(
    google: FakeGoogle,
    signed_in: Keyring,
    make_ctx: MakeContext,
    sleeps: Sleeps,
    kind: str,
    fault: tuple[int, str],
) -> None:
    ids = google.fill(12)
    google.gmail.faults[kind] = [fault]
    ctx = make_ctx()

    result = sync_account(ctx, retry=sleeps.policy())

    assert result.new == 12
    assert len(sleeps.delays) == 1  # one failure, one pause, then success
    assert sorted(google.gmail.fetched("raw")) == sorted(ids)


def test_backoff_grows_and_stays_within_its_cap(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext, sleeps: Sleeps
) -> None:
    google.fill(3)
    google.gmail.faults["list"] = [SERVER_ERROR] * 5
    sync_account(make_ctx(), retry=sleeps.policy(attempts=6))
    steps = [0.5, 1.0, 2.0, 4.0, 4.0]  # 0.5 * 2**n, capped at 4; jitter in the upper half
    assert len(sleeps.delays) == 5
    assert all(step / 2 <= d <= step for d, step in zip(sleeps.delays, steps, strict=True))


def test_a_storm_of_500s_gives_up_cleanly_and_keeps_the_cursor(
    google: FakeGoogle,
    signed_in: Keyring,
    make_ctx: MakeContext,
    sleeps: Sleeps,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    google.fill(10)
    ctx = make_ctx()
    sync_account(ctx)
    cursor = get_cursor(ctx.store.conn, ACCOUNT, FOLDER)
    google.fill(5, tag="late")
    google.gmail.calls.clear()
    google.gmail.storms["batch"] = SERVER_ERROR
    policy = sleeps.policy(attempts=4)
    monkeypatch.setitem(sync.SYNCERS, "gmail", lambda c: sync_account(c, retry=policy))
    accounts = {ACCOUNT: GmailAccount(kind="gmail", api_endpoint=google.url)}
    config = config.model_copy(update={"accounts": accounts})

    (outcome,) = sync.sync_accounts(ctx.store, config)

    assert not outcome.ok and not outcome.auth_needed
    assert outcome.error == (
        "Gmail API still failing while fetching messages after 4 attempts"
        " (HTTP 500 (backendError): injected backendError); the next sync will try again"
    )
    assert len(sleeps.delays) == 3 and max(sleeps.delays) <= 4.0
    assert google.gmail.count("batch") == 4
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) == cursor
    status = account_status(ctx.store.conn, ACCOUNT)
    assert status is not None and status["state"] == "error"
    assert ctx.store.conn.execute("SELECT count(*) FROM emails").fetchone()[0] == 10


@pytest.mark.parametrize(
    ("kind", "fault", "message"),
    [
        ("list", FORBIDDEN, "listing sent mail: HTTP 403 (insufficientPermissions)"),
        ("profile", BAD_REQUEST, "reading the profile: HTTP 400 (invalidArgument)"),
        ("batch", BAD_REQUEST, "fetching messages: HTTP 400 (invalidArgument)"),
    ],
)
def test_other_client_errors_surface_at_once(
    google: FakeGoogle,
    signed_in: Keyring,
    make_ctx: MakeContext,
    sleeps: Sleeps,
    kind: str,
    fault: tuple[int, str],
    message: str,
) -> None:
    google.fill(5)
    google.gmail.faults[kind] = [fault]
    ctx = make_ctx()
    with pytest.raises(SourceError) as info:
        sync_account(ctx, retry=sleeps.policy())
    assert str(info.value).startswith(f"Gmail API error while {message}")
    assert sleeps.delays == []
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) is None


def test_a_partly_failed_batch_retries_only_the_failed_items(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext, sleeps: Sleeps
) -> None:
    ids = google.fill(30)
    google.gmail.item_faults[(ids[3], "raw")] = [SERVER_ERROR]
    google.gmail.item_faults[(ids[17], "raw")] = [RATE_LIMITED, SERVER_ERROR]
    ctx = make_ctx()

    result = sync_account(ctx, retry=sleeps.policy())

    assert result.new == 30
    assert google.gmail.fetched("minimal") == []  # small messages: no size query
    assert Counter(google.gmail.fetched("raw")) == Counter(
        {**dict.fromkeys(ids, 1), ids[3]: 2, ids[17]: 3}
    )
    batches = [set(c.ids) for c in google.gmail.calls if c.kind == "batch"]
    assert batches[1:] == [{ids[3], ids[17]}, {ids[17]}]  # only the failed ones, again
    assert len(sleeps.delays) == 2


def test_an_unreachable_server_is_retried_then_reported(
    signed_in: Keyring, make_ctx: MakeContext, sleeps: Sleeps, google: FakeGoogle
) -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = make_ctx()
    ctx = type(ctx)(
        ctx.store,
        ctx.name,
        GmailAccount(kind="gmail", api_endpoint=f"http://127.0.0.1:{port}/"),
        ctx.rules,
        ctx.max_bytes,
        ctx.test_fraction,
    )
    with pytest.raises(SourceError) as info:
        sync_account(ctx, retry=sleeps.policy(attempts=3))
    assert "no answer from the Gmail API (ConnectionRefusedError)" in str(info.value)
    assert len(sleeps.delays) == 2


def test_a_rejected_access_token_is_refreshed_once_and_kept(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.fill(5)
    google.gmail.tokens.clear()  # Google revoked the access token early; the refresh token works
    ctx = make_ctx()
    assert sent.sync_account(ctx).new == 5
    refreshes = [r for r in google.oauth.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    assert signed_in.token()["token"] in google.gmail.tokens
