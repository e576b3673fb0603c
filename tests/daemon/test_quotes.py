"""Quoted history and attribution lines in the formats real clients write."""

from __future__ import annotations

import pytest

from panza.daemon.mail.quotes import split_quoted

OWN = "Sounds good, I will send the slides tonight.\n\nBest,\nAda"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Jan 8, 2024 at 9:00 AM Tom Baker <tom@partner.example> wrote:",
        "On 08.01.24 09:00, Tom Baker wrote:",  # Thunderbird
        "On Jan 8, 2024, at 09:00, Tom Baker <tom@partner.example> wrote:",  # Apple Mail
        "Am 08.01.2024 um 09:00 schrieb Tom Baker <tom@partner.example>:",
        "Le lun. 8 janv. 2024 à 09:00, Tom Baker <tom@partner.example> a écrit :",
        "Tom Baker <tom@partner.example> wrote:",
    ],
)
def test_attribution_and_quote_go_to_thread(attribution: str) -> None:
    body = f"{OWN}\n\n{attribution}\n> Can you send the slides?\n>\n> Tom\n"
    result = split_quoted(body)
    assert result.text == OWN
    assert [item["text"] for item in result.thread] == ["Can you send the slides?\n\nTom"]


def test_gmail_attribution_wrapped_over_two_lines() -> None:
    body = (
        f"{OWN}\n\nOn Mon, Jan 8, 2024 at 9:00 AM Tom Baker <tom@partner.example>\n"
        "wrote:\n> Can you send the slides?\n"
    )
    result = split_quoted(body)
    assert result.text == OWN
    assert result.thread[0]["sender"] == "Tom Baker <tom@partner.example>"
    assert result.thread[0]["date"] == "Mon, Jan 8, 2024 at 9:00 AM"


def test_nested_quotes_become_thread_oldest_first() -> None:
    body = (
        f"{OWN}\n\nOn Tue, 9 Jan 2024, Tom <tom@partner.example> wrote:\n"
        "> Any news?\n>\n> On Mon, 8 Jan 2024, Ada <ada@whitfield.example> wrote:\n"
        ">> I will check and get back to you.\n"
    )
    result = split_quoted(body)
    assert result.text == OWN
    assert [t["text"] for t in result.thread] == ["I will check and get back to you.", "Any news?"]
    assert [t["sender"] for t in result.thread] == [
        "Ada <ada@whitfield.example>",
        "Tom <tom@partner.example>",
    ]


def test_outlook_original_message_separator() -> None:
    body = (
        f"{OWN}\n\n-----Original Message-----\nFrom: Tom Baker\nSent: Monday, January 8, 2024"
        " 9:00 AM\nTo: Ada\nSubject: Slides\n\nCan you send the slides?\n"
    )
    result = split_quoted(body)
    assert result.text == OWN
    assert result.thread == (
        {
            "sender": "Tom Baker",
            "date": "Monday, January 8, 2024 9:00 AM",
            "text": "Can you send the slides?",
        },
    )


@pytest.mark.parametrize(
    ("from_", "sent", "to", "subject"),
    [
        ("From", "Sent", "To", "Subject"),
        ("Von", "Gesendet", "An", "Betreff"),
        ("De", "Envoyé", "À", "Objet"),
    ],
)
def test_outlook_header_block_in_three_languages(
    from_: str, sent: str, to: str, subject: str
) -> None:
    body = (
        f"{OWN}\n\n________________________________\n{from_}: Tom Baker <tom@partner.example>\n"
        f"{sent}: 08 January 2024 09:00\n{to}: Ada\n{subject}: Slides\n\nCan you send them?"
    )
    result = split_quoted(body)
    assert result.text == OWN
    assert result.thread[0]["text"] == "Can you send them?"


def test_interleaved_reply_keeps_own_lines_only() -> None:
    body = (
        "On Mon, Jan 8, 2024 at 9:00 AM Tom <tom@partner.example> wrote:\n"
        "> Can you come on Friday?\n\nYes, Friday works.\n\n> And bring the slides?\n\n"
        "Of course, I will bring them.\n"
    )
    result = split_quoted(body)
    assert result.text == "Yes, Friday works.\n\nOf course, I will bring them."
    assert len(result.thread) == 2


def test_sentence_starting_with_on_is_not_an_attribution() -> None:
    # The reference cleaner cut everything from "On Monday" onwards.
    body = "On Monday I wrote: the plan is fine.\nOn Tuesday we meet at ten.\n\nBest,\nAda"
    result = split_quoted(body)
    assert result.text == body
    assert result.thread == ()


def test_attribution_without_quote_below_is_kept_as_text() -> None:
    body = "Here is what the committee wrote:\nthe proposal is accepted."
    assert split_quoted(body).text == body


def test_header_like_line_alone_is_not_a_header_block() -> None:
    body = "From: the desk of Ada\n\nPlease find the schedule below.\nThanks"
    assert split_quoted(body).text == body
