"""One sync pass: each account's outcome is recorded and one failure never stops the others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from panza.daemon.config import Config, ImapAccount, UserConfig
from panza.daemon.errors import AuthError, SourceError
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline import sync
from panza.daemon.pipeline.ingest import Cursor, RawMail, ingest_batch
from panza.daemon.store import InsertResult, Store, counts
from panza.daemon.store.state import account_status, get_cursor


def imap(host: str) -> ImapAccount:
    return ImapAccount(kind="imap", host=host, user="ada")


@pytest.fixture
def four_accounts() -> Config:
    return Config(
        user=UserConfig(name="Ada", emails=["ada@whitfield.example"]),
        accounts={n: imap(n) for n in ("good", "locked", "down", "buggy")},
    )


def fake_sync(ctx: sync.SyncContext) -> InsertResult:
    host = ctx.account.host if isinstance(ctx.account, ImapAccount) else ""
    if host == "locked":
        raise AuthError("the server refused the password", ctx.name)
    if host == "down":
        raise SourceError("server unreachable after 5 attempts", ctx.name)
    if host == "buggy":
        raise KeyError("oops")
    return InsertResult(kept=3)


def test_failures_are_isolated_and_recorded(
    store: Store, four_accounts: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sync.SYNCERS, "imap", fake_sync)
    outcomes = {o.account: o for o in sync.sync_accounts(store, four_accounts)}
    assert outcomes["good"].ok and outcomes["good"].result.kept == 3
    assert outcomes["locked"].auth_needed
    assert outcomes["down"].error == "server unreachable after 5 attempts"
    assert outcomes["buggy"].error == "unexpected error (KeyError); see the log"
    states = {n: account_status(store.conn, n) for n in outcomes}
    assert {n: s["state"] for n, s in states.items() if s} == {
        "good": "ok",
        "locked": "auth_needed",
        "down": "error",
        "buggy": "error",
    }
    assert states["good"] and states["good"]["last_sync_at"] and states["good"]["last_new"] == 3
    assert states["locked"] and states["locked"]["last_sync_at"] is None


def test_failed_sync_keeps_last_success_time(
    store: Store, four_accounts: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sync.SYNCERS, "imap", fake_sync)
    sync.sync_accounts(store, four_accounts, only="good")
    first = account_status(store.conn, "good")
    monkeypatch.setitem(
        sync.SYNCERS,
        "imap",
        lambda ctx: fake_sync(
            ctx.__class__(
                ctx.store, ctx.name, imap("down"), ctx.rules, ctx.max_bytes, ctx.test_fraction
            )
        ),
    )
    (outcome,) = sync.sync_accounts(store, four_accounts, only="good")
    after = account_status(store.conn, "good")
    assert not outcome.ok and first and after
    assert after["state"] == "error" and after["last_sync_at"] == first["last_sync_at"]


def test_unknown_kind_is_an_error_not_a_crash(
    store: Store, four_accounts: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sync.SYNCERS, "imap", raising=False)
    (outcome,) = sync.sync_accounts(store, four_accounts, only="good")
    assert outcome.error == "this Panza cannot sync imap accounts"


def test_batch_and_cursor_commit_together(store: Store, rules: CleanRules) -> None:
    mail = RawMail(
        b"From: Ada <ada@whitfield.example>\nMessage-ID: <x@y>\nSubject: s\n\n"
        b"Hello Tom, the slides are in the shared folder now.\n",
        provider_id="uid:1",
        fallback_date=datetime(2024, 1, 1, tzinfo=UTC),
    )
    result = ingest_batch(
        store,
        [mail],
        rules,
        "work",
        max_bytes=10**6,
        cursor=Cursor("Sent", {"uidvalidity": 7, "last_uid": 1}),
    )
    assert result.kept == 1
    assert get_cursor(store.conn, "work", "Sent") == {"uidvalidity": 7, "last_uid": 1}
    assert counts(store.conn)[0] == 1
