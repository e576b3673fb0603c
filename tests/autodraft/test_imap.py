"""Autodraft against a real Dovecot over TLS, with the real writer and the tiny trained model."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient

from panza.daemon.demo.sample.dovecot import flags, uids
from panza.daemon.store import insert_emails
from panza.daemon.store.autodraft import in_state, state_counts
from panza.daemon.store.records import EmailRecord
from tests.autodraft.conftest import ADA, ALIAS, NOW, Home, message, seed

pytestmark = pytest.mark.integration


def drafts(client: IMAPClient) -> dict[int, EmailMessage]:
    found = uids(client, "Drafts")
    if not found:
        return {}
    fetched = client.fetch(found, ["BODY.PEEK[]"])
    return {
        uid: message_from_bytes(item[b"BODY[]"], policy=policy.default)  # type: ignore[misc]
        for uid, item in fetched.items()
    }


def by_reply_to(found: dict[int, EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["In-Reply-To"]): m for m in found.values()}


def test_the_right_messages_get_threaded_drafts_once(home: Home) -> None:
    admin = home.setup.admin()
    seed(admin)
    # A message the user already answered from another client: their reply is in Sent.
    admin.append("INBOX", message("priya@uni.example", ADA, "Dinner", "<d1@uni.example>"))
    with home.store.write() as conn:
        insert_emails(conn, [_sent_reply("<d1@uni.example>")], 0.0)

    home.watcher().run_once()

    made = by_reply_to(drafts(admin))
    assert set(made) == {"<p1@uni.example>", "<t1@lab.example>", "<j1@uni.example>"}
    priya, tom, julia = made["<p1@uni.example>"], made["<t1@lab.example>"], made["<j1@uni.example>"]
    assert (
        priya["From"] == f"Ada Whitfield <{ADA}>"
        and priya["To"] == "Priya Raman <priya@uni.example>"
    )
    assert tom["From"] == f"Ada Whitfield <{ALIAS}>"  # sent to the alias: answered from it
    assert julia["From"] == f"Ada Whitfield <{ADA}>" and julia["To"] == "julia@uni.example"
    assert priya["Subject"] == "Re: Invitation to speak"
    assert priya["References"] == "<p1@uni.example>"
    assert all(m["X-Panza-Draft"] == "v0001" for m in made.values())
    assert all(m["Message-ID"] != m["In-Reply-To"] for m in made.values())
    assert all(b"\\Draft" in f for f in flags(admin, "Drafts").values())
    # nothing in the inbox was marked as read by Panza
    inbox = flags(admin, "INBOX")
    assert [b"\\Seen" in f for f in inbox.values()] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        False,
        False,
    ]
    reasons = {e.subject: e.reason for e in in_state(home.store.conn, ("skipped",), "work")}
    assert reasons == {
        "This week in science": "mailing_list",
        "Seminar": "mailing_list",
        "Out of office": "automatic",
        "Group meeting": "calendar",
        "Answered already": "answered",
        "Dinner": "replied_in_thread",
    }  # the ten-day-old message is older than anything a first scan looks at
    assert state_counts(home.store.conn)["written"] == 3
    # the drafts are recorded for the acceptance figure, with the adapter that wrote them
    rows = home.store.conn.execute("SELECT mode, adapter_version FROM drafts").fetchall()
    assert [tuple(r) for r in rows] == [("reply", 1)] * 3

    drafted = home.drafted
    home.watcher().run_once()
    assert len(drafts(admin)) == 3 and home.drafted == drafted  # nothing new, nothing redrafted


def _sent_reply(in_reply_to: str) -> EmailRecord:
    return EmailRecord(
        account="work",
        provider_id="sent-1",
        message_id="<r1@whitfield.example>",
        date=NOW,
        subject="Re: Dinner",
        recipients=("priya@uni.example",),
        text="Yes, Friday works.",
        thread=(),
        status="kept",
        thread_key=in_reply_to,
    )


def test_deleted_draft_stays_deleted_and_edited_draft_is_untouched(home: Home) -> None:
    admin = home.setup.admin()
    seed(
        admin,
        (
            (message("priya@uni.example", ADA, "Talk", "<p1@uni.example>"), (), NOW - NOW),
            (message("tom@lab.example", ADA, "Budget", "<t1@lab.example>"), (), NOW - NOW),
        ),
    )
    home.watcher().run_once()
    made = by_reply_to(drafts(admin))
    assert len(made) == 2
    admin.select_folder("Drafts")
    by_id = {str(m["In-Reply-To"]): uid for uid, m in drafts(admin).items()}
    # The user deletes Priya's draft, and edits Tom's (a client saves a new message).
    admin.select_folder("Drafts")
    admin.delete_messages([by_id["<p1@uni.example>"], by_id["<t1@lab.example>"]])
    admin.expunge()
    edited = made["<t1@lab.example>"]
    edited.set_content("Dear Tom, my own words now.\n")
    admin.append("Drafts", edited.as_bytes(), flags=[b"\\Draft"])
    before = drafts(admin)

    home.watcher().run_once()

    assert drafts(admin).keys() == before.keys()  # nothing recreated, nothing touched
    assert [m.get_content().strip() for m in drafts(admin).values()] == [
        "Dear Tom, my own words now."
    ]
    states = {e.subject: e.state for e in in_state(home.store.conn, ("deleted", "edited"), "work")}
    assert states == {"Talk": "deleted", "Budget": "edited"}
    home.watcher().run_once()
    assert len(drafts(admin)) == 1
