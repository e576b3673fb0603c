"""Gmail sync over real HTTP: full, incremental, history expiry, bad and oversized messages."""

from __future__ import annotations

import base64
from collections import Counter

import pytest

from panza.daemon.demo.sample.fake_gmail import Call
from panza.daemon.sources.gmail.sent import FOLDER, sync_account
from panza.daemon.store import Store, counts
from panza.daemon.store.state import get_cursor
from tests.gmail.conftest import ACCOUNT, FakeGoogle, Keyring, MakeContext, sent_mail

pytestmark = pytest.mark.integration


def stored(store: Store) -> Counter[str]:
    """provider id -> number of rows (any count above 1 is a duplicate)."""
    rows = store.conn.execute(
        "SELECT provider_id FROM emails WHERE account = ?", (ACCOUNT,)
    ).fetchall()
    return Counter(r[0] for r in rows)


def test_full_sync_pages_batches_and_stores_every_sent_message(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.gmail.page_cap = 40  # Google may return fewer than maxResults: follow every page
    google.fill(130)
    sample = sent_mail(130)
    seen: list[tuple[int, int | None]] = []
    ctx = make_ctx(progress=lambda done, total: seen.append((done, total)))

    result = sync_account(ctx)

    gmail = google.gmail
    assert stored(ctx.store) == Counter({i: 1 for i in gmail.sent()})
    assert result.kept == sum(m.keep for m in sample) == counts(ctx.store.conn)[0]
    assert result.new == 130 and result.duplicates == 0
    assert gmail.calls[0].kind == "profile"  # its historyId is taken before listing
    lists = [c.params for c in gmail.calls if c.kind == "list"]
    assert all(a["labelIds"] == "SENT" for a in lists)
    assert [a.get("q") for a in lists] == [None] * 4 + ["larger:262144"]  # 130 ids, 40 a page
    batches = [c for c in gmail.calls if c.kind == "batch"]
    assert [len(b.ids) for b in batches] == [50, 50, 30]
    assert sorted(gmail.fetched("raw")) == sorted(gmail.sent())  # each fetched exactly once
    assert gmail.count("get") == 130 and all(c.in_batch for c in gmail.calls if c.kind == "get")
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) == {"history_id": str(gmail.history_id)}
    assert seen == [(0, 130), (50, 130), (100, 130), (130, 130)]


def test_stored_text_and_dates_come_through_the_cleaning_pipeline(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.fill(20)
    sample = sent_mail(20)
    ctx = make_ctx()
    sync_account(ctx)
    rows = {
        r["message_id"]: r
        for r in ctx.store.conn.execute("SELECT message_id, text, status, date, folder FROM emails")
    }
    for message in sample:
        row = rows[message.message_id]
        assert row["status"] == ("kept" if message.keep else "discarded")
        if message.keep:
            assert row["text"] == message.text
        assert row["folder"] == "SENT" and row["date"]


def test_incremental_sync_fetches_only_what_was_sent_since(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.fill(30)
    ctx = make_ctx()
    sync_account(ctx)
    before = get_cursor(ctx.store.conn, ACCOUNT, FOLDER)
    assert before is not None
    gmail = google.gmail
    gmail.calls.clear()
    new = google.fill(3, tag="late")
    gmail.add(b"From: Tom <tom@partner.example>\n\nNot sent by Ada.\n", ("INBOX",))

    result = sync_account(ctx)

    assert result.new == 3
    assert [c.kind for c in gmail.calls if not c.in_batch] == ["history", "batch", "batch"]
    (history,) = [c for c in gmail.calls if c.kind == "history"]
    assert history.params["startHistoryId"] == before["history_id"]
    assert history.params["historyTypes"] == "messageAdded,messageDeleted,labelAdded,labelRemoved"
    assert sorted(gmail.fetched("raw")) == sorted(new)
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) == {"history_id": str(gmail.history_id)}

    gmail.calls.clear()
    assert sync_account(ctx).new == 0  # nothing new: one history call, no fetches
    assert [c.kind for c in gmail.calls] == ["history"]


def test_history_pages_are_all_followed(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    ctx = make_ctx()
    sync_account(ctx)  # empty mailbox: just the cursor
    google.gmail.page_cap = 7
    new = google.fill(20, tag="late")
    assert sync_account(ctx).new == 20
    assert google.gmail.count("history") == 4  # 22 records (the inbox's too), 7 a page
    assert sorted(stored(ctx.store)) == sorted(new)


def test_expired_history_falls_back_to_a_full_sync_without_duplicates(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.fill(40)
    ctx = make_ctx()
    sync_account(ctx)
    gmail = google.gmail
    new = google.fill(5, tag="late")
    gmail.expire_history()
    gmail.calls.clear()

    result = sync_account(ctx)

    assert result.new == 5 and result.duplicates == 0
    kinds = [c.kind for c in gmail.calls if not c.in_batch]
    assert kinds[:3] == ["history", "profile", "list"]
    assert sorted(gmail.fetched("raw")) == sorted(new)  # stored ones are not fetched again
    assert set(stored(ctx.store).values()) == {1} and len(stored(ctx.store)) == 45
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) == {"history_id": str(gmail.history_id)}


def test_mail_sent_during_a_full_sync_is_picked_up_next_time(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    google.gmail.page_cap = 10
    google.fill(30)
    late: list[str] = []

    def send_while_listing(call: Call) -> None:
        if call.kind == "list" and not late:
            late.append(google.gmail.add(sent_mail(1, "late")[0].raw))

    google.gmail.on_call = send_while_listing
    ctx = make_ctx()
    sync_account(ctx)
    google.gmail.on_call = None
    sync_account(ctx)
    assert late[0] in stored(ctx.store)
    assert len(stored(ctx.store)) == 31 and set(stored(ctx.store).values()) == {1}


def test_malformed_raw_messages_are_recorded_not_fatal(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    gmail = google.gmail
    (good,) = google.fill(1)
    garbage = gmail.add(b"\xff\xfe\x00 no headers \x80\x81 at all\r\n\r\n\x00\x01")
    no_boundary = gmail.add(
        b"From: Ada <ada@whitfield.example>\nMessage-ID: <mb@x>\n"
        b"Content-Type: multipart/mixed\n\n--nothing here\n"
    )
    undecodable = gmail.add(b"placeholder")
    ctx = make_ctx()
    original = gmail._get

    def corrupt(request: object, call: Call) -> object:
        reply = original(request, call)  # type: ignore[arg-type]
        if call.ids[0] == undecodable and call.fmt == "raw":
            body = reply.body.replace(
                base64.urlsafe_b64encode(b"placeholder").decode().rstrip("=").encode(), b"abcde"
            )
            return type(reply)(reply.status, body, reply.headers)
        return reply

    gmail._get = corrupt  # type: ignore[method-assign,assignment]
    result = sync_account(ctx)

    assert result.new == 4 and result.kept == 1
    rows = {
        r[0]: (r[1], r[2])
        for r in ctx.store.conn.execute("SELECT provider_id, status, reason FROM emails")
    }
    assert rows[good] == ("kept", None)
    assert rows[undecodable] == ("discarded", "unreadable")
    assert rows[garbage][0] == "discarded" and rows[no_boundary][0] == "discarded"
    assert get_cursor(ctx.store.conn, ACCOUNT, FOLDER) is not None


def test_oversized_messages_are_recorded_without_downloading_them(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    gmail = google.gmail
    small = google.fill(3)
    big = gmail.add(sent_mail(1, "big")[0].raw, size=30_000_000)
    large = gmail.add(sent_mail(1, "large")[0].raw, size=600_000)  # under the cap: kept
    ctx = make_ctx(max_bytes=25_000_000)

    result = sync_account(ctx)

    assert result.discarded["too_large"] == 1 and result.new == 5
    assert sorted(gmail.fetched("minimal")) == sorted([big, large])  # only these are sized
    assert sorted(gmail.fetched("raw")) == sorted([*small, large])  # the big one never is
    (row,) = ctx.store.conn.execute(
        "SELECT status, reason, date FROM emails WHERE provider_id = ?", (big,)
    )
    assert tuple(row)[:2] == ("discarded", "too_large") and row["date"]


def test_a_message_deleted_between_listing_and_fetching_is_skipped(
    google: FakeGoogle, signed_in: Keyring, make_ctx: MakeContext
) -> None:
    gmail = google.gmail
    ids = google.fill(4)

    def delete_after_listing(call: Call) -> None:
        if call.kind == "batch":
            gmail.messages.pop(ids[1], None)

    gmail.on_call = delete_after_listing
    ctx = make_ctx()
    result = sync_account(ctx)
    assert result.new == 3 and ids[1] not in stored(ctx.store)
