"""Per-folder IMAP sync position and what to ask the server next; pure, no I/O.

A cursor is (UIDVALIDITY, last stored UID, HIGHESTMODSEQ). UIDs mean nothing
without their UIDVALIDITY (RFC 3501): when it changes the folder is rescanned
from UID 1 and already-stored mail is skipped by Message-ID.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FolderCursor:
    """Everything up to and including ``last_uid`` is stored (or was gone when we looked)."""

    uidvalidity: int
    last_uid: int = 0
    highestmodseq: int | None = None

    @classmethod
    def from_value(cls, value: Mapping[str, Any] | None) -> FolderCursor | None:
        """Read a stored cursor; anything unreadable counts as no cursor (a full rescan)."""
        if not value:
            return None
        try:
            modseq = value.get("highestmodseq")
            return cls(
                int(value["uidvalidity"]),
                int(value.get("last_uid", 0)),
                None if modseq is None else int(modseq),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def to_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {"uidvalidity": self.uidvalidity, "last_uid": self.last_uid}
        if self.highestmodseq is not None:
            value["highestmodseq"] = self.highestmodseq
        return value


@dataclass(frozen=True)
class MailboxState:
    """What SELECT/EXAMINE reported about the folder."""

    uidvalidity: int
    uidnext: int | None = None
    highestmodseq: int | None = None
    exists: int | None = None

    @classmethod
    def from_select(cls, response: Mapping[bytes, Any]) -> MailboxState:
        """From imapclient's ``select_folder`` dict; a server without UIDVALIDITY is refused."""
        if b"UIDVALIDITY" not in response:
            raise ValueError("the server did not report UIDVALIDITY for the folder")

        def opt(key: bytes) -> int | None:
            raw = response.get(key)
            return None if raw is None else int(raw)

        return cls(
            int(response[b"UIDVALIDITY"]),
            opt(b"UIDNEXT"),
            opt(b"HIGHESTMODSEQ"),
            opt(b"EXISTS"),
        )


@dataclass(frozen=True)
class SyncPlan:
    """What to do in one folder: search after ``after_uid``, or nothing at all."""

    after_uid: int
    rescan: bool
    nothing_new: bool
    # The cursor to store when nothing is new (None: the stored one is still right).
    settled: FolderCursor | None = None
    # HIGHESTMODSEQ as stored: nothing was added, changed or expunged since the last sync.
    unchanged: bool = False

    @property
    def search_criteria(self) -> list[str]:
        # "UID n:*" always matches the highest existing UID, even when it is below n
        # (RFC 3501 ranges are unordered), so the caller still filters with new_uids().
        return ["ALL"] if self.after_uid == 0 else ["UID", f"{self.after_uid + 1}:*"]


def plan_sync(cursor: FolderCursor | None, state: MailboxState) -> SyncPlan:
    """Decide from the stored cursor and the SELECT answer whether and where to search."""
    rescan = cursor is not None and cursor.uidvalidity != state.uidvalidity
    start = FolderCursor(state.uidvalidity, 0, None) if cursor is None or rescan else cursor
    unchanged_modseq = (
        not rescan
        and cursor is not None
        and state.highestmodseq is not None
        and cursor.highestmodseq == state.highestmodseq
    )
    no_higher_uid = state.uidnext is not None and state.uidnext <= start.last_uid + 1
    if state.exists == 0 or unchanged_modseq or no_higher_uid:
        # Nothing above last_uid exists, and UIDs are never reused: settle at UIDNEXT - 1.
        last = max(start.last_uid, (state.uidnext or 0) - 1)
        settled = FolderCursor(state.uidvalidity, last, state.highestmodseq)
        settle = None if settled == cursor else settled
        return SyncPlan(start.last_uid, rescan, True, settle, unchanged_modseq)
    return SyncPlan(start.last_uid, rescan, False)


def new_uids(found: Iterable[int], after_uid: int) -> list[int]:
    """UIDs above ``after_uid``, ascending; drops what the ``UID n:*`` quirk adds."""
    return sorted({int(uid) for uid in found if int(uid) > after_uid})


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Explicit lists of at most ``size`` (imapclient 4 cannot fetch ``1:*``)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def batch_cursor(state: MailboxState, uid: int, folder_done: bool) -> FolderCursor:
    """The cursor to commit with a batch covering every UID up to ``uid``.

    HIGHESTMODSEQ is stored only with the folder's last batch, so a crash
    mid-folder never makes the next sync skip the rest as "unchanged". Once the
    folder is done, UIDs below UIDNEXT that the search did not return are gone
    for good (UIDs are never reused), so the cursor moves up to UIDNEXT - 1 and
    the next sync needs no SEARCH.
    """
    if not folder_done:
        return FolderCursor(state.uidvalidity, uid, None)
    settled = max(uid, (state.uidnext or 0) - 1)
    return FolderCursor(state.uidvalidity, settled, state.highestmodseq)


def provider_id(uidvalidity: int, uid: int, gm_msgid: int | None = None) -> str:
    """The store's id for a message: Gmail's X-GM-MSGID (hex, as the Gmail API
    spells message ids) when offered, else ``UIDVALIDITY:UID``."""
    if gm_msgid is not None:
        return format(gm_msgid, "x")
    return f"{uidvalidity}:{uid}"


def gone_from_folder(stored: Iterable[str], uidvalidity: int, present: Collection[int]) -> set[str]:
    """Stored ``UIDVALIDITY:UID`` ids whose message the folder no longer holds: expunged,
    or left from an earlier UIDVALIDITY and not found again by the rescan. Other ids
    (Gmail's X-GM-MSGID) are not judged here."""
    gone = set()
    for pid in stored:
        validity, colon, uid = pid.partition(":")
        if not (colon and validity.isdigit() and uid.isdigit()):
            continue
        if int(validity) != uidvalidity or int(uid) not in present:
            gone.add(pid)
    return gone
