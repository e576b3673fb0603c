"""The reply composer on literal headers: subject, threading, recipients, alias, marker."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from panza.daemon.mail.qualify import Incoming
from panza.daemon.mail.reply import Reply, compose_reply, new_message_id, reply_subject

ORIGINAL = (
    b"From: =?utf-8?q?Priya_R=C3=A2man?= <priya@uni.example>\r\n"
    b"To: ada.whitfield@lab.example\r\n"
    b"Subject: Invitation to speak\r\n"
    b"Date: Sat, 05 Dec 2026 09:00:00 +0000\r\n"
    b"Message-ID: <talk-2@uni.example>\r\n"
    b"In-Reply-To: <talk-1@uni.example>\r\n"
    b"References: <talk-0@uni.example> <talk-1@uni.example>\r\n\r\n"
)
REPLY = Reply(
    text="Dear Priya,\n\nThank you, I would be glad to.\n",
    alias="ada.whitfield@lab.example",
    name="Ada Whitfield",
    adapter_version=3,
    message_id="<panza.1@lab.example>",
    date=datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
)


def test_a_threaded_reply_from_the_alias() -> None:
    raw = compose_reply(Incoming.from_headers(ORIGINAL), REPLY, quoted="Would you speak?\n")
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["From"] == "Ada Whitfield <ada.whitfield@lab.example>"
    assert msg["To"] == "Priya Râman <priya@uni.example>"
    assert msg["Subject"] == "Re: Invitation to speak"
    assert msg["In-Reply-To"] == "<talk-2@uni.example>"
    assert msg["References"] == "<talk-0@uni.example> <talk-1@uni.example> <talk-2@uni.example>"
    assert msg["Message-ID"] == "<panza.1@lab.example>"
    assert msg["X-Panza-Draft"] == "v0003"
    body = msg.get_content().replace("\r\n", "\n")
    assert body.startswith("Dear Priya,\n\nThank you, I would be glad to.\n")
    assert "Priya Râman wrote:\n> Would you speak?" in body
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends, as IMAP APPEND wants


def test_reply_to_wins_over_the_sender() -> None:
    original = ORIGINAL.replace(
        b"Subject:", b"Reply-To: Events <events@uni.example>, tom@uni.example\r\nSubject:"
    )
    msg = message_from_bytes(
        compose_reply(Incoming.from_headers(original), REPLY), policy=policy.default
    )
    assert msg["To"] == "Events <events@uni.example>, tom@uni.example"


def test_a_first_message_gets_only_its_own_id_as_reference() -> None:
    first = ORIGINAL.replace(b"In-Reply-To: <talk-1@uni.example>\r\n", b"").replace(
        b"References: <talk-0@uni.example> <talk-1@uni.example>\r\n", b""
    )
    msg = message_from_bytes(
        compose_reply(Incoming.from_headers(first), REPLY), policy=policy.default
    )
    assert msg["References"] == "<talk-2@uni.example>"


def test_subjects_and_message_ids() -> None:
    assert reply_subject("Invitation") == "Re: Invitation"
    assert reply_subject("RE: Invitation") == "RE: Invitation"
    assert reply_subject("Aw:  Einladung") == "Aw: Einladung"
    assert reply_subject("") == "Re:"
    made = {new_message_id("ada@lab.example") for _ in range(3)}
    assert len(made) == 3 and all(m.endswith("@lab.example>") for m in made)


def test_a_header_with_a_line_break_cannot_inject_headers() -> None:
    evil = ORIGINAL.replace(
        b"Subject: Invitation to speak", b"Subject: =?utf-8?q?Hi=0ABcc:_x@evil.example?="
    )
    msg = message_from_bytes(
        compose_reply(Incoming.from_headers(evil), REPLY), policy=policy.default
    )
    assert msg["Bcc"] is None and msg["Subject"] == "Re: Hi Bcc: x@evil.example"
