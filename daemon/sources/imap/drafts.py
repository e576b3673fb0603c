"""Writing replies into an IMAP account's Drafts folder, and finding them again.

The folder is found like Sent: the RFC 6154 ``\\Drafts`` attribute first, then
well-known names, with ``drafts_folder`` in the config as the override. Drafts
are APPENDed with ``\\Draft`` (never ``\\Seen``-less mail in the inbox). A draft
is found again by its Message-ID; one the user edited is a new message that
still answers the original (same ``In-Reply-To``), which tells edited from deleted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from imapclient import IMAPClient

from panza.daemon.errors import SourceError
from panza.daemon.sources.imap.folders import choose_special_folder, folder_names

KNOWN_DRAFTS_NAMES: tuple[str, ...] = (
    "Drafts",
    "Draft",
    "Entwürfe",
    "Brouillons",
    "Borradores",
    "Rascunhos",
    "Bozze",
    "Concepten",
    "Utkast",
    "Kladder",
    "Luonnokset",
    "Kopie robocze",
    "Koncepty",
    "Piszkozatok",
    "Черновики",
    "下書き",
    "草稿",
    "임시보관함",
)
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)

Fate = Literal["untouched", "edited", "gone"]


@dataclass(frozen=True)
class DraftRef:
    """Where a draft sits: ``UIDVALIDITY:UID`` in the Drafts folder."""

    uidvalidity: int
    uid: int

    def __str__(self) -> str:
        return f"{self.uidvalidity}:{self.uid}"

    @classmethod
    def parse(cls, value: str | None) -> DraftRef | None:
        try:
            validity, uid = str(value).split(":")
            return cls(int(validity), int(uid))
        except ValueError:
            return None


def drafts_folder(client: IMAPClient, override: str, account: str) -> str:
    """The configured folder, else the one the server marks ``\\Drafts``, else a known name."""
    if override:
        return override
    entries = client.list_folders()
    choice = choose_special_folder(entries, "\\Drafts", KNOWN_DRAFTS_NAMES)
    if choice is None:
        names = ", ".join(repr(n) for n in folder_names(entries)[:20])
        raise SourceError(
            f'found no Drafts folder (folders: {names}); set drafts_folder = "..." for this'
            " account in the config",
            account,
        )
    return choice.name


def append_draft(client: IMAPClient, folder: str, raw: bytes, when: datetime) -> DraftRef | None:
    """APPEND with ``\\Draft``; the new message's place when the server says (UIDPLUS)."""
    answer = client.append(folder, raw, flags=[b"\\Draft"], msg_time=when)
    found = _APPENDUID.search(answer if isinstance(answer, bytes) else str(answer).encode())
    return DraftRef(int(found.group(1)), int(found.group(2))) if found else None


def find_by_message_id(client: IMAPClient, folder: str, message_id: str) -> DraftRef | None:
    """The draft with this Message-ID in ``folder``, if there is one (after a crash)."""
    validity = _examine(client, folder)
    uids = client.search(["HEADER", "Message-ID", message_id])
    return DraftRef(validity, max(int(u) for u in uids)) if uids else None


def fates(client: IMAPClient, folder: str, drafts: Sequence[tuple[DraftRef, str]]) -> list[Fate]:
    """For each (draft, original's Message-ID): untouched, edited (replaced by the user), gone.

    One EXAMINE and one SEARCH for the whole list; a SEARCH per draft not found where
    it was put (rare: only drafts the user touched).
    """
    if not drafts:
        return []
    validity = _examine(client, folder)
    present = {int(u) for u in client.search(["UID", ",".join(str(d.uid) for d, _ in drafts)])}
    out: list[Fate] = []
    for ref, original in drafts:
        if ref.uidvalidity == validity and ref.uid in present:
            out.append("untouched")
        elif client.search(["HEADER", "In-Reply-To", original]):
            out.append("edited")
        else:
            out.append("gone")
    return out


def _examine(client: IMAPClient, folder: str) -> int:
    return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])
