"""Choosing the Sent folder from literal LIST answers of real servers."""

from __future__ import annotations

from panza.daemon.sources.imap.folders import ListEntry, SentChoice, choose_sent_folder

DOVECOT: list[ListEntry] = [
    ((b"\\HasNoChildren", b"\\Sent"), b".", "Sent"),
    ((b"\\HasNoChildren",), b".", "INBOX"),
]
GMAIL_EN: list[ListEntry] = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasChildren", b"\\Noselect"), b"/", "[Gmail]"),
    ((b"\\All", b"\\HasNoChildren"), b"/", "[Gmail]/All Mail"),
    ((b"\\Drafts", b"\\HasNoChildren"), b"/", "[Gmail]/Drafts"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Gmail]/Sent Mail"),
    ((b"\\HasNoChildren", b"\\Trash"), b"/", "[Gmail]/Trash"),
]
# A German Gmail account: the name is localized, the attribute is not.
GMAIL_DE: list[ListEntry] = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasChildren", b"\\Noselect"), b"/", "[Google Mail]"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Google Mail]/Gesendet"),
    ((b"\\HasNoChildren", b"\\Junk"), b"/", "[Google Mail]/Spam"),
]


def test_special_use_attribute_wins() -> None:
    assert choose_sent_folder(DOVECOT) == SentChoice("Sent", "marked \\Sent by the server")
    assert choose_sent_folder(GMAIL_EN) == SentChoice(
        "[Gmail]/Sent Mail", "marked \\Sent by the server"
    )


def test_localized_gmail_name_found_by_attribute() -> None:
    choice = choose_sent_folder(GMAIL_DE)
    assert choice is not None and choice.name == "[Google Mail]/Gesendet"


def test_attribute_beats_a_familiar_name() -> None:
    entries: list[ListEntry] = [
        ((b"\\HasNoChildren",), b"/", "Sent"),  # an old client's folder
        ((b"\\HasNoChildren", b"\\Sent"), b"/", "Sent Items"),
    ]
    choice = choose_sent_folder(entries)
    assert choice is not None and choice.name == "Sent Items"


def test_known_names_without_attributes() -> None:
    courier: list[ListEntry] = [
        ((b"\\HasNoChildren",), b".", "INBOX.Drafts"),
        ((b"\\HasNoChildren",), b".", "INBOX.Sent"),
        ((b"\\HasChildren",), b".", "INBOX"),
    ]
    assert choose_sent_folder(courier) == SentChoice("INBOX.Sent", "found by its name")
    french: list[ListEntry] = [(("\\HasNoChildren",), "/", "Éléments envoyés")]
    assert choose_sent_folder(french) == SentChoice("Éléments envoyés", "found by its name")
    exchange_de: list[ListEntry] = [((), "/", "Gesendete Elemente"), ((), "/", "Posteingang")]
    choice = choose_sent_folder(exchange_de)
    assert choice is not None and choice.name == "Gesendete Elemente"


def test_top_level_before_nested_and_case_insensitive() -> None:
    entries: list[ListEntry] = [
        ((), b"/", "Archive/2019/Sent"),
        ((), b"/", "SENT"),
    ]
    choice = choose_sent_folder(entries)
    assert choice is not None and choice.name == "SENT"


def test_unselectable_and_unknown_folders_are_not_chosen() -> None:
    entries: list[ListEntry] = [
        ((b"\\Noselect", b"\\Sent"), b"/", "Sent"),
        ((b"\\HasNoChildren",), b"/", "INBOX"),
        ((b"\\HasNoChildren",), b"/", "Sentimental"),
    ]
    assert choose_sent_folder(entries) is None
    assert choose_sent_folder([]) is None
