"""The qualification rules on literal headers: each kind of mail and its recorded reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from panza.daemon.mail.qualify import (
    Incoming,
    Qualifies,
    Rules,
    Skip,
    body_verdict,
    qualify,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RULES = Rules(frozenset({"ada@whitfield.example", "ada.whitfield@lab.example"}), timedelta(days=3))

PERSONAL = (
    b"From: Priya Raman <priya@uni.example>\r\n"
    b"To: Ada Whitfield <ada@whitfield.example>\r\n"
    b"Subject: Invitation to speak\r\n"
    b"Date: Sat, 05 Dec 2026 09:00:00 +0000\r\n"
    b"Message-ID: <talk-1@uni.example>\r\n\r\n"
)


def verdict(
    raw: bytes, *, flags: tuple[bytes, ...] = (), replied: bool = False, rules: Rules = RULES
) -> Qualifies | Skip:
    return qualify(Incoming.from_headers(raw, flags), rules, NOW, replied)


def with_header(extra: bytes, base: bytes = PERSONAL) -> bytes:
    return base.replace(b"Subject:", extra + b"\r\nSubject:", 1)


def test_personal_mail_to_the_user_qualifies_from_that_address() -> None:
    assert verdict(PERSONAL) == Qualifies("ada@whitfield.example")


def test_mail_to_an_alias_or_cc_answers_from_that_alias() -> None:
    to_alias = PERSONAL.replace(b"ada@whitfield.example", b"ada.whitfield@lab.example")
    assert verdict(to_alias) == Qualifies("ada.whitfield@lab.example")
    cc = PERSONAL.replace(
        b"To: Ada Whitfield <ada@whitfield.example>",
        b'To: tom@uni.example\r\nCc: "Whitfield, Ada" <Ada.Whitfield@LAB.example>',
    )
    assert verdict(cc) == Qualifies("ada.whitfield@lab.example")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (b"List-Id: Lab news <news.lab.example>", "mailing_list"),
        (b"List-Unsubscribe: <mailto:leave@news.example>", "mailing_list"),
        (b"Precedence: bulk", "bulk"),
        (b"Precedence: list", "bulk"),
        (b"Auto-Submitted: auto-replied", "automatic"),
        (b"X-Autoreply: yes", "automatic"),
        (b"Content-Type: text/calendar; method=REQUEST", "calendar"),
        (b"X-Panza-Draft: v0001", "from_user"),
    ],
)
def test_mail_not_from_a_person_is_skipped_with_its_reason(extra: bytes, reason: str) -> None:
    assert verdict(with_header(extra)) == Skip(reason)


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        (b"noreply@shop.example", "noreply_sender"),
        (b"no-reply+abc@shop.example", "noreply_sender"),
        (b"MAILER-DAEMON@mx.example", "noreply_sender"),
        (b"ada@whitfield.example", "from_user"),
    ],
)
def test_software_senders_and_the_user_are_skipped(sender: bytes, reason: str) -> None:
    raw = PERSONAL.replace(b"priya@uni.example", sender)
    assert verdict(raw) == Skip(reason)


def test_calendar_subject_and_auto_reply_subject() -> None:
    invite = PERSONAL.replace(b"Subject: Invitation to speak", b"Subject: Invitation: Lab lunch")
    assert verdict(invite) == Skip("calendar")
    ooo = PERSONAL.replace(b"Subject: Invitation to speak", b"Subject: Out of office: back Monday")
    assert verdict(ooo) == Skip("automatic")


def test_not_addressed_to_the_user() -> None:
    raw = PERSONAL.replace(b"ada@whitfield.example", b"everyone@uni.example")
    assert verdict(raw) == Skip("not_addressed_to_user")


def test_answered_flag_and_a_reply_in_the_thread() -> None:
    assert verdict(PERSONAL, flags=(b"\\Seen", b"\\Answered")) == Skip("answered")
    assert verdict(PERSONAL, replied=True) == Skip("replied_in_thread")
    assert verdict(PERSONAL, flags=(b"\\Seen",)) == Qualifies("ada@whitfield.example")


def test_older_than_max_age_or_undated() -> None:
    old = PERSONAL.replace(b"Sat, 05 Dec 2026", b"Tue, 01 Dec 2026")
    assert verdict(old) == Skip("too_old")
    undated = PERSONAL.replace(b"Date: Sat, 05 Dec 2026 09:00:00 +0000\r\n", b"")
    assert verdict(undated) == Skip("too_old")
    # the server's arrival time wins over a sender's wrong clock
    msg = Incoming.from_headers(old, received=NOW - timedelta(hours=1))
    assert qualify(msg, RULES, NOW, False) == Qualifies("ada@whitfield.example")


def test_deny_and_allow_rules() -> None:
    deny = Rules(RULES.addresses, RULES.max_age, deny=("uni.example",))
    assert verdict(PERSONAL, rules=deny) == Skip("denied_sender")
    listed = with_header(b"List-Id: <team.uni.example>")
    allow = Rules(RULES.addresses, RULES.max_age, allow=("priya@uni.example",))
    assert verdict(listed, rules=allow) == Qualifies("ada@whitfield.example")
    subdomain = Rules(RULES.addresses, RULES.max_age, allow=("example",))
    assert verdict(listed, rules=subdomain) == Qualifies("ada@whitfield.example")
    # allow lets mail through the "from a person" checks, not past the user's own answer
    assert verdict(listed, rules=allow, replied=True) == Skip("replied_in_thread")


def test_no_message_id_cannot_be_threaded() -> None:
    raw = PERSONAL.replace(b"Message-ID: <talk-1@uni.example>\r\n", b"")
    assert verdict(raw) == Skip("no_message_id")


def test_an_invitation_inside_a_multipart_body() -> None:
    body = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nJoin us\r\n--b\r\n"
        b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n--b--\r\n"
    )
    assert body_verdict(PERSONAL.replace(b"\r\n\r\n", b"\r\n") + body) == Skip("calendar")
    assert body_verdict(PERSONAL + b"Hello Ada\r\n") is None
