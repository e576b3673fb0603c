"""Signature stripping."""

from __future__ import annotations

import pytest

from panza.daemon.mail.signature import strip_signature

NAMES = ("ada whitfield", "ada", "whitfield")
TEXT = "Hi Tom,\n\nThe report is attached.\n\nBest regards,\nAda"


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_dash_dash_delimiter(delimiter: str) -> None:
    assert strip_signature(f"{TEXT}\n\n{delimiter}\nAda Whitfield\n+1 555 0142", NAMES) == TEXT


@pytest.mark.parametrize(
    "device",
    [
        "Sent from my iPhone",
        "Get Outlook for Android",
        "Von meinem iPad gesendet",
        "Envoyé de mon iPhone",
    ],
)
def test_device_lines(device: str) -> None:
    assert strip_signature(f"{TEXT}\n\n{device}", NAMES) == TEXT


def test_contact_block_after_sign_off_and_name() -> None:
    sig = "Ada Whitfield\nResearch Lead, Harbor Lab\n+1 555 0142\nhttps://harbor.example"
    assert strip_signature(f"{TEXT}\n\n{sig}", NAMES) == TEXT


def test_sentence_after_name_is_not_a_signature() -> None:
    text = f"{TEXT}\nP.S. The meeting moved to Friday, so we can talk about it there."
    assert strip_signature(text, NAMES) == text


def test_no_sign_off_nothing_removed() -> None:
    text = "Hi Tom,\n\nCall me at +1 555 0142 about the contract.\nHarbor Lab"
    assert strip_signature(text, NAMES) == text
