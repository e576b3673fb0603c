"""Syncing a real Dovecot Sent folder: first, incremental, nothing new, and the hard cases."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from imapclient import IMAPClient

from panza.daemon.demo.sample import generate
from panza.daemon.demo.sample.dovecot import CommandLog, append, flags, uids
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline.sync import Progress, SyncContext, SyncOutcome, sync_accounts
from panza.daemon.sources.imap import sent
from panza.daemon.sources.imap.conn import ImapSettings, open_session
from panza.daemon.store import Store, iter_emails
from panza.daemon.store.state import account_status, get_cursor
from tests.imap.conftest import Setup

pytestmark = pytest.mark.integration


def sync(store: Store, setup: Setup, **progress: Any) -> SyncOutcome:
    (outcome,) = sync_accounts(store, setup.config(), only="work", **progress)
    assert outcome.ok, outcome.error
    return outcome


def rows(store: Store) -> list[dict[str, Any]]:
    cur = store.conn.execute(
        "SELECT provider_id, message_id, status, reason, text FROM emails WHERE account = 'work'"
    )
    return [dict(r) for r in cur]


def assert_no_duplicates(store: Store) -> None:
    found = rows(store)
    assert len({r["provider_id"] for r in found}) == len(found)
    ids = [r["message_id"] for r in found if r["message_id"]]
    assert len(set(ids)) == len(ids)


def assert_nothing_seen(admin: IMAPClient) -> None:
    assert all(b"\\Seen" not in f for f in flags(admin).values())


def expunge(admin: IMAPClient, doomed: list[int]) -> None:
    admin.select_folder("Sent")
    admin.delete_messages(doomed)
    admin.expunge()
    admin.unselect_folder()


def test_first_sync_stores_every_message_as_cleaned_and_marks_nothing_seen(
    store: Store, setup: Setup
) -> None:
    messages = generate(120, seed=21)
    admin = setup.admin()
    append(admin, [m.raw for m in messages])
    seen: list[tuple[int, int | None]] = []
    outcome = sync(store, setup, progress=lambda _: lambda done, total: seen.append((done, total)))

    assert outcome.result.new == 120 and outcome.result.duplicates == 0
    kept = {r["message_id"]: r for r in iter_emails(store.conn)}
    discarded = {r["message_id"]: r["reason"] for r in iter_emails(store.conn, "discarded")}
    for m in messages:  # the sample's ground truth holds after the IMAP round trip
        if m.keep:
            assert kept[m.message_id]["text"] == m.text, m.kind
        else:
            assert discarded[m.message_id] == m.reason, m.kind
    server_uids = uids(admin)
    state = admin.select_folder("Sent", readonly=True)
    cursor = get_cursor(store.conn, "work", "Sent")
    assert cursor == {
        "uidvalidity": state[b"UIDVALIDITY"],
        "last_uid": max(server_uids),
        "highestmodseq": state[b"HIGHESTMODSEQ"],  # Dovecot offers CONDSTORE
    }
    assert {r["provider_id"] for r in rows(store)} == {
        f"{state[b'UIDVALIDITY']}:{u}" for u in server_uids
    }
    assert seen[-1] == (120, 120)
    status = account_status(store.conn, "work")
    assert status is not None and status["state"] == "ok" and status["last_new"] == 120
    assert_nothing_seen(admin)


def test_incremental_sync_downloads_only_new_mail(store: Store, setup: Setup) -> None:
    messages = generate(150, seed=22)
    admin = setup.admin()
    append(admin, [m.raw for m in messages[:100]])
    sync(store, setup)
    before = setup.server.logout_stats(setup.user, sessions=1)["body_count"]
    append(admin, [m.raw for m in messages[100:]])

    outcome = sync(store, setup)
    assert outcome.result.new == 50 and outcome.result.duplicates == 0
    assert setup.server.logout_stats(setup.user, sessions=2)["body_count"] - before == 50
    assert len(rows(store)) == 150
    assert_no_duplicates(store)
    assert_nothing_seen(admin)


def context(store: Store, setup: Setup) -> SyncContext:
    config = setup.config()
    return SyncContext(
        store,
        "work",
        config.accounts["work"],
        CleanRules.from_config(config),
        config.cleaning.max_message_bytes,
        config.training.test_fraction,
    )


def logged_sync(store: Store, setup: Setup) -> CommandLog:
    log = CommandLog()

    def connect(settings: ImapSettings) -> IMAPClient:
        return log.attach(open_session(settings))

    sent.sync_account(context(store, setup), connect=connect)
    return log


def test_no_new_mail_and_the_uid_star_quirk(store: Store, setup: Setup) -> None:
    messages = generate(4, seed=23)
    admin = setup.admin()
    append(admin, [m.raw for m in messages[:3]])
    sync(store, setup)

    started = time.monotonic()
    quiet = logged_sync(store, setup)
    assert time.monotonic() - started < 1.0
    assert not quiet.starting("UID SEARCH") and not quiet.starting("UID FETCH")

    # A message that came and went: UIDNEXT moved past our cursor, yet nothing is new.
    append(admin, [messages[3].raw])
    expunge(admin, [4])
    admin.select_folder("Sent", readonly=True)
    assert admin.search(["UID", "4:*"]) == [3]  # the quirk: "n:*" matches the last UID
    quirk = logged_sync(store, setup)
    assert quirk.starting("UID SEARCH UID 4:*"), quirk.commands
    assert not quirk.starting("UID FETCH")  # UID 3 was not fetched again
    assert get_cursor(store.conn, "work", "Sent")["last_uid"] == 4  # type: ignore[index]
    assert len(rows(store)) == 3

    settled = logged_sync(store, setup)  # the cursor settled: back to no search at all
    assert not settled.starting("UID SEARCH") and not settled.starting("UID FETCH")


def test_uidvalidity_change_rescans_without_duplicates(store: Store, setup: Setup) -> None:
    messages = generate(50, seed=24)
    admin = setup.admin()
    append(admin, [m.raw for m in messages[:40]])
    sync(store, setup)
    old = get_cursor(store.conn, "work", "Sent")
    before = setup.server.logout_stats(setup.user, sessions=1)["body_count"]

    admin.delete_folder("Sent")  # recreating the mailbox gives it a new UIDVALIDITY
    admin.create_folder("Sent")
    append(admin, [m.raw for m in messages])  # the old 40 again, and 10 new
    outcome = sync(store, setup)

    new = get_cursor(store.conn, "work", "Sent")
    assert old and new and new["uidvalidity"] != old["uidvalidity"]
    assert outcome.result.new == 10 and outcome.result.duplicates == 40
    after = setup.server.logout_stats(setup.user, sessions=2)["body_count"]
    assert after - before == 10  # the 40 already stored were not downloaded again
    assert len(rows(store)) == 50
    assert_no_duplicates(store)
    assert sync(store, setup).result.new == 0


def test_expunged_mail_leaves_the_store(store: Store, setup: Setup) -> None:
    messages = generate(23, seed=25)
    admin = setup.admin()
    append(admin, [m.raw for m in messages[:20]])
    sync(store, setup)
    uidvalidity = get_cursor(store.conn, "work", "Sent")["uidvalidity"]  # type: ignore[index]
    expunge(admin, [5, 20])  # one in the middle and the newest one

    result = sync(store, setup).result
    assert (result.new, result.removed) == (0, 2)
    assert len(rows(store)) == 18  # mail the user deleted leaves training and the index
    assert {f"{uidvalidity}:5", f"{uidvalidity}:20"}.isdisjoint(
        r["provider_id"] for r in rows(store)
    )
    append(admin, [m.raw for m in messages[20:]])
    assert sync(store, setup).result.new == 3
    assert len(rows(store)) == 21
    assert_no_duplicates(store)
    assert sync(store, setup).result.removed == 0


def without_message_id(raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    kept = [line for line in lines if not line.lower().startswith(b"message-id:")]
    assert len(kept) == len(lines) - 1
    return b"\n".join(kept)


def test_uidvalidity_change_finds_mail_without_message_id_by_content(
    store: Store, setup: Setup
) -> None:
    messages = [without_message_id(m.raw) for m in generate(12, seed=27)]
    admin = setup.admin()
    append(admin, messages[:10])
    sync(store, setup)
    assert len(rows(store)) == 10

    admin.delete_folder("Sent")  # a new UIDVALIDITY: every UID is new
    admin.create_folder("Sent")
    append(admin, messages)  # the 10 again, and 2 new
    outcome = sync(store, setup)

    assert outcome.result.new == 2 and outcome.result.duplicates == 10
    found = rows(store)
    assert len(found) == 12  # no second row for the 10 stored before
    validity = get_cursor(store.conn, "work", "Sent")["uidvalidity"]  # type: ignore[index]
    assert all(r["provider_id"].startswith(f"{validity}:") for r in found)  # renumbered
    assert outcome.result.removed == 0


def test_a_renumbered_folder_without_some_mail_removes_it(store: Store, setup: Setup) -> None:
    """After a UIDVALIDITY change, stored mail the rescan does not find again is gone."""
    messages = generate(20, seed=28)
    admin = setup.admin()
    append(admin, [m.raw for m in messages])
    sync(store, setup)

    admin.delete_folder("Sent")
    admin.create_folder("Sent")
    append(admin, [m.raw for m in messages[5:]])  # the first 5 did not come back
    outcome = sync(store, setup)

    assert outcome.result.removed == 5 and outcome.result.new == 0
    assert sorted(r["message_id"] for r in rows(store)) == sorted(
        m.message_id for m in messages[5:]
    )
    assert_no_duplicates(store)


def huge_message() -> bytes:
    blob = b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n" * 22_000
    return (
        b"From: Ada Whitfield <ada@whitfield.example>\r\nTo: Tom <tom@partner.example>\r\n"
        b"Subject: the scans\r\nMessage-ID: <huge@whitfield.example>\r\n"
        b"Date: Mon, 08 Jan 2024 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain\r\n\r\nHi Tom, here are all the scans from the archive.\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + blob
        + b"--b1--\r\n"
    )


def test_huge_message_is_recorded_too_large_without_downloading_it(
    store: Store, setup: Setup
) -> None:
    messages = generate(3, seed=26)
    huge = huge_message()
    assert len(huge) > 1_500_000 > setup.max_bytes
    admin = setup.admin()
    append(admin, [messages[0].raw, huge, messages[1].raw, messages[2].raw])

    outcome = sync(store, setup)
    assert outcome.result.new == 4 and outcome.result.discarded["too_large"] == 1
    (row,) = [r for r in rows(store) if r["reason"] == "too_large"]
    assert row["status"] == "discarded" and row["text"] == ""
    stats = setup.server.logout_stats(setup.user, sessions=1)
    assert stats["body_count"] == 3  # only the three small ones
    assert stats["out"] < 200_000  # the 1.5 MB never left the server
    assert sync(store, setup).result.new == 0


MALFORMED = [
    b"this is not an email at all\r\n",
    b"From: \xff\xfe <ada@whitfield.example>\r\nSubject: \x80\x81\r\n"
    b"Message-ID: <bad1@whitfield.example>\r\n\r\nbody \xff\xfe\r\n",
    b"From: Ada <ada@whitfield.example>\r\nMessage-ID: <bad2@whitfield.example>\r\n"
    b'Content-Type: multipart/mixed; boundary="never-used"\r\n\r\nno parts here\r\n',
    b"From: Ada <ada@whitfield.example>\r\nMessage-ID: <bad3@whitfield.example>\r\n"
    b'Content-Type: text/plain; charset="x-unknown-42"\r\n\r\nHello Tom, see you then.\r\n',
    b"From: Ada <ada@whitfield.example>\r\nMessage-ID: <bad4@whitfield.example>\r\n"
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64***\r\n",
    b"Message-ID: <bad5@whitfield.example>\r\nDate: yesterday-ish\r\n: no name\r\n\r\n\r\n",
]


def test_malformed_messages_are_recorded_and_the_sync_goes_on(store: Store, setup: Setup) -> None:
    messages = generate(4, seed=27)
    admin = setup.admin()
    append(admin, [messages[0].raw, *MALFORMED, *(m.raw for m in messages[1:])])

    outcome = sync(store, setup)
    total = len(MALFORMED) + 4
    assert outcome.result.new == total
    assert len(rows(store)) == total
    assert get_cursor(store.conn, "work", "Sent")["last_uid"] == total  # type: ignore[index]
    kept = {r["message_id"] for r in iter_emails(store.conn)}
    assert {m.message_id for m in messages if m.keep} <= kept
    assert sync(store, setup).result.new == 0


def test_server_stopped_mid_sync_backs_off_then_finishes(
    store: Store, own_setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup = own_setup
    server = setup.server
    messages = generate(1200, seed=28)
    append(setup.admin(), [m.raw for m in messages])
    setup.close()
    setup.clients.clear()
    restarter: list[threading.Timer] = []

    def progress(_: str) -> Progress:
        def on_progress(done: int, total: int | None) -> None:
            if done and not restarter:  # after the first committed batch
                server.stop()
                timer = threading.Timer(1.5, server.start)
                restarter.append(timer)
                timer.start()

        return on_progress

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "panza.daemon.sources.imap.conn"):
        outcome = sync(store, setup, progress=progress)
    restarter[0].join()
    assert outcome.result.new == 1200
    assert len(rows(store)) == 1200
    assert_no_duplicates(store)
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    pauses = [float(m.rsplit("retrying in ", 1)[1].rstrip("s")) for m in retries]
    assert len(pauses) >= 2 and pauses == sorted(pauses)  # backed off, then got through
    assert time.monotonic() - started < 30
    assert all(setup.user not in m and "secret" not in m for m in retries)
    assert_nothing_seen(setup.admin())
