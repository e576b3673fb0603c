"""The cleaning pipeline's keep/discard decisions and their reasons."""

from __future__ import annotations

from panza.daemon.mail.clean import CleanRules, clean_message
from panza.daemon.mail.parse import parse_message

from .conftest import MakeMessage


def clean(raw: bytes, rules: CleanRules):  # type: ignore[no-untyped-def]
    return clean_message(parse_message(raw), rules, "test", "p1")


def test_own_message_is_kept_with_thread(make_message: MakeMessage, rules: CleanRules) -> None:
    body = (
        "Hi Tom,\n\nThe report is attached as promised.\n\nBest,\nAda\n\n"
        "On Mon, Jan 8, 2024 at 9:00 AM Tom <tom@partner.example> wrote:\n> Where is it?\n"
    )
    rec = clean(make_message(body), rules)
    assert rec.status == "kept" and rec.reason is None
    assert rec.text == "Hi Tom,\n\nThe report is attached as promised.\n\nBest,\nAda"
    assert rec.thread == (
        {
            "sender": "Tom <tom@partner.example>",
            "date": "Mon, Jan 8, 2024 at 9:00 AM",
            "text": "Where is it?",
        },
    )
    assert rec.language == "en"


def test_alias_and_case_insensitive_sender(make_message: MakeMessage, rules: CleanRules) -> None:
    rec = clean(make_message(sender="Someone Else <ADA.W@Lab.Example>"), rules)
    assert rec.status == "kept"


def test_other_sender_discarded(make_message: MakeMessage, rules: CleanRules) -> None:
    # The display name says Ada but the address is not hers.
    rec = clean(make_message(sender="Ada Whitfield <tom@partner.example>"), rules)
    assert (rec.status, rec.reason) == ("discarded", "not_from_user")


def test_inline_forward_discarded(make_message: MakeMessage, rules: CleanRules) -> None:
    body = "FYI\n\n---------- Forwarded message ---------\nFrom: tom@partner.example\n\nHello all"
    assert clean(make_message(body), rules).reason == "forward"


def test_attached_message_forward_discarded(make_message: MakeMessage, rules: CleanRules) -> None:
    body = (
        "--b\nContent-Type: text/plain\n\n\n--b\nContent-Type: message/rfc822\n\n"
        "From: tom@partner.example\nSubject: x\n\nInner text\n--b--\n"
    )
    raw = make_message(body, content_type='multipart/mixed; boundary="b"', subject="Fwd: x")
    assert clean(raw, rules).reason == "forward"


def test_fwd_subject_with_own_words_is_kept(make_message: MakeMessage, rules: CleanRules) -> None:
    assert clean(make_message(subject="Fwd: report"), rules).status == "kept"


def test_auto_reply_and_bounce(make_message: MakeMessage, rules: CleanRules) -> None:
    auto = make_message(extra="Auto-Submitted: auto-replied\n")
    assert clean(auto, rules).reason == "auto_reply"
    ooo = make_message(subject="Out of Office: back Monday")
    assert clean(ooo, rules).reason == "auto_reply"
    bounce = make_message(
        content_type='multipart/report; report-type=delivery-status; boundary="b"'
    )
    assert clean(bounce, rules).reason == "bounce"


def test_too_short_counts_words_after_cleaning(
    make_message: MakeMessage, rules: CleanRules
) -> None:
    body = "Thanks Tom!\n\nOn Mon, Jan 8, 2024, Tom <tom@partner.example> wrote:\n> " + "word " * 40
    rec = clean(make_message(body), rules)
    assert (rec.status, rec.reason) == ("discarded", "too_short")
    assert rec.text == "Thanks Tom!"  # the discarded record still shows what was left


def test_min_words_is_configurable(make_message: MakeMessage, rules: CleanRules) -> None:
    loose = CleanRules(rules.addresses, rules.languages, min_words=2, names=rules.names)
    assert clean(make_message("Thanks Tom!"), loose).status == "kept"


def test_empty_after_cleaning(make_message: MakeMessage, rules: CleanRules) -> None:
    body = "On Mon, Jan 8, 2024, Tom <tom@partner.example> wrote:\n> Hello?\n"
    assert clean(make_message(body), rules).reason == "empty"


def test_other_language_discarded(make_message: MakeMessage, rules: CleanRules) -> None:
    german = "Vielen Dank für Ihre Nachricht. Ich melde mich nächste Woche bei Ihnen."
    rec = clean(make_message(german), rules)
    assert (rec.reason, rec.language) == ("language", "de")


def test_configured_second_language_kept(make_message: MakeMessage, rules: CleanRules) -> None:
    both = CleanRules(rules.addresses, frozenset({"en", "de"}), names=rules.names)
    german = "Vielen Dank für Ihre Nachricht. Ich melde mich nächste Woche bei Ihnen."
    assert clean(make_message(german), both).status == "kept"


def test_identical_text_under_new_message_id_is_a_new_email(
    make_message: MakeMessage, rules: CleanRules
) -> None:
    a = clean(make_message(message_id="<a@x>"), rules)
    b = clean(make_message(message_id="<b@x>"), rules)
    assert a.content_hash == b.content_hash and a.message_id != b.message_id
