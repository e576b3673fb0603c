"""Finding the Drafts folder from literal LIST answers, as the Sent folder is found."""

from __future__ import annotations

from panza.daemon.sources.imap.drafts import KNOWN_DRAFTS_NAMES, DraftRef
from panza.daemon.sources.imap.folders import choose_special_folder


def choose(entries: list[tuple[tuple[bytes, ...], bytes, str]]) -> tuple[str, str] | None:
    found = choose_special_folder(entries, "\\Drafts", KNOWN_DRAFTS_NAMES)
    return None if found is None else (found.name, found.reason)


def test_the_marked_folder_wins_over_names() -> None:
    gmail = [
        ((b"\\HasNoChildren",), b"/", "INBOX"),
        ((b"\\HasNoChildren",), b"/", "Drafts"),
        ((b"\\Drafts", b"\\HasNoChildren"), b"/", "[Gmail]/Entw\u00fcrfe"),
    ]
    assert choose(gmail) == ("[Gmail]/Entw\u00fcrfe", "marked \\Drafts by the server")


def test_well_known_names_top_level_first() -> None:
    courier = [
        ((b"\\HasNoChildren",), b".", "INBOX.Archive.Drafts"),
        ((b"\\HasNoChildren",), b".", "INBOX.Brouillons"),
        ((b"\\HasNoChildren",), b".", "INBOX.Drafts"),
    ]
    assert choose(courier) == ("INBOX.Drafts", "found by its name")
    assert choose([((b"\\Noselect",), b"/", "Drafts"), ((), b"/", "Notes")]) is None


def test_draft_references() -> None:
    assert DraftRef.parse("7:42") == DraftRef(7, 42) and str(DraftRef(7, 42)) == "7:42"
    assert DraftRef.parse("unknown") is None and DraftRef.parse(None) is None
