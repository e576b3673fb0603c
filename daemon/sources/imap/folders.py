"""Which IMAP folder holds the user's sent mail, decided from LIST results alone.

Pure: takes what ``LIST`` returned (flags, delimiter, name) and returns a
choice with the reason, so the rule is tested on literal server answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# (flags, delimiter, name) as imapclient's list_folders() returns them.
ListEntry = tuple[Sequence[bytes | str], bytes | str | None, str]

# Names servers and clients use for sent mail when the server does not mark the
# folder with the RFC 6154 \Sent attribute. Compared case-insensitively with the
# last path component, so "INBOX.Sent", "INBOX/Sent Items" and
# "[Google Mail]/Gesendet" all match. Earlier names win when several exist.
KNOWN_SENT_NAMES: tuple[str, ...] = (
    "Sent",
    "Sent Mail",
    "Sent Items",
    "Sent Messages",
    "Sent Email",
    # de
    "Gesendet",
    "Gesendete Elemente",
    "Gesendete Objekte",
    "Gesendete Nachrichten",
    # fr
    "Messages envoyés",
    "Éléments envoyés",
    "Envoyés",
    # es / pt
    "Enviados",
    "Elementos enviados",
    "Mensajes enviados",
    "Itens enviados",
    "E-mails enviados",
    # it
    "Posta inviata",
    "Inviata",
    "Inviati",
    # nl / nordic
    "Verzonden",
    "Verzonden items",
    "Verzonden berichten",
    "Skickat",
    "Skickade objekt",
    "Sendt",
    "Sendte elementer",
    "Sendt post",
    "Lähetetyt",
    # central / eastern European
    "Wysłane",
    "Elementy wysłane",
    "Odeslané",
    "Odeslaná pošta",
    "Elküldött",
    "Trimise",
    "Отправленные",
    "Надіслані",
    "Изпратени",
    "Gönderilmiş Postalar",
    "Gönderilenler",
    "Απεσταλμένα",
    # asian
    "送信済みメール",
    "送信済み",
    "已发送邮件",
    "已发送",
    "寄件備份",
    "보낸편지함",
)


@dataclass(frozen=True)
class SentChoice:
    """The folder chosen and why (shown to the user by ``panza account add``)."""

    name: str
    reason: str


def _flags(entry: ListEntry) -> set[str]:
    out = set()
    for flag in entry[0]:
        text = flag.decode("ascii", "replace") if isinstance(flag, bytes) else flag
        out.add(text.casefold())
    return out


def _sep(entry: ListEntry) -> str:
    delim = entry[1]
    return (delim.decode("ascii", "replace") if isinstance(delim, bytes) else delim) or ""


def _leaf(entry: ListEntry) -> str:
    sep = _sep(entry)
    return entry[2].rsplit(sep, 1)[-1] if sep else entry[2]


def _selectable(entry: ListEntry) -> bool:
    return not _flags(entry) & {"\\noselect", "\\nonexistent"}


def choose_sent_folder(entries: Sequence[ListEntry]) -> SentChoice | None:
    """The Sent folder: the one marked ``\\Sent``, else the best-known name; None if neither."""
    return choose_special_folder(entries, "\\Sent", KNOWN_SENT_NAMES)


def choose_special_folder(
    entries: Sequence[ListEntry], attribute: str, known_names: Sequence[str]
) -> SentChoice | None:
    """The folder marked with the RFC 6154 ``attribute``, else the best of ``known_names``."""
    rank = {name.casefold(): i for i, name in enumerate(known_names)}
    usable = [e for e in entries if _selectable(e)]
    marked = [e for e in usable if attribute.casefold() in _flags(e)]
    if marked:
        # Several marked folders are rare (a migrated account); prefer a familiar name.
        best = min(marked, key=lambda e: rank.get(_leaf(e).casefold(), len(rank)))
        return SentChoice(best[2], f"marked {attribute} by the server")
    named = [e for e in usable if _leaf(e).casefold() in rank]
    if named:
        # Top-level folders before nested ones of the same name ("Sent" before "Archive/Sent").
        best = min(named, key=lambda e: (rank[_leaf(e).casefold()], _depth(e)))
        return SentChoice(best[2], "found by its name")
    return None


def _depth(entry: ListEntry) -> int:
    sep = _sep(entry)
    if not sep:
        return 0
    name = entry[2]
    # Gmail's "[Gmail]/..." and Courier's "INBOX." prefixes are where top-level folders live.
    for prefix in ("inbox", "[gmail]", "[google mail]"):
        if name.casefold().startswith(prefix + sep):
            name = name[len(prefix) + len(sep) :]
            break
    return name.count(sep)


def folder_names(entries: Sequence[ListEntry]) -> list[str]:
    """Selectable folder names, for an error message that lists what exists."""
    return [e[2] for e in entries if _selectable(e)]
