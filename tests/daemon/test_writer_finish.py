"""Post-processing of generated drafts."""

from __future__ import annotations

from panza.daemon.server.writer import finish


def test_echoed_labels_dropped_and_signature_added_once() -> None:
    assert finish("Instruction: thank Tom\nSubject: Re: lunch\nHi Tom,\nthanks!", "Ada") == (
        "Hi Tom,\nthanks!\n\nAda"
    )
    assert finish("Hi Tom,\nthanks!\n\nAda", "Ada") == "Hi Tom,\nthanks!\n\nAda"
    assert finish("  \n", "") == ""


def test_only_newlines_split_lines() -> None:
    # Record separators and Unicode line separators are text, not line breaks.
    assert finish("Hi\x1eTom\u2028there", "") == "Hi\x1eTom\u2028there"
