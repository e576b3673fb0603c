"""Cursor and UID-range decisions on literal server answers (no server needed)."""

from __future__ import annotations

from panza.daemon.sources.imap.cursor import (
    FolderCursor,
    MailboxState,
    batch_cursor,
    chunked,
    gone_from_folder,
    new_uids,
    plan_sync,
    provider_id,
)

# What imapclient returned for EXAMINE on Dovecot 2.3 with CONDSTORE enabled.
EXAMINE = {
    b"PERMANENTFLAGS": (),
    b"FLAGS": (b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Seen", b"\\Draft"),
    b"EXISTS": 3,
    b"RECENT": 3,
    b"UIDVALIDITY": 1795258139,
    b"UIDNEXT": 4,
    b"HIGHESTMODSEQ": 4,
    b"READ-ONLY": [b""],
}


def test_select_answer_parsed() -> None:
    assert MailboxState.from_select(EXAMINE) == MailboxState(1795258139, 4, 4, 3)
    bare = MailboxState.from_select({b"UIDVALIDITY": 7, b"EXISTS": 2})
    assert bare == MailboxState(7, None, None, 2)


def test_first_sync_searches_everything() -> None:
    plan = plan_sync(None, MailboxState(7, uidnext=4, exists=3))
    assert not plan.nothing_new and not plan.rescan
    assert plan.search_criteria == ["ALL"]


def test_incremental_searches_above_the_last_uid() -> None:
    plan = plan_sync(FolderCursor(7, 3), MailboxState(7, uidnext=6, exists=5))
    assert plan.search_criteria == ["UID", "4:*"] and plan.after_uid == 3


def test_uid_star_quirk_drops_the_last_known_message() -> None:
    # Dovecot answered UID SEARCH UID 4:* with [3] when 3 was the highest UID.
    assert new_uids([3], after_uid=3) == []
    assert new_uids([5, 4, 3, 4], after_uid=3) == [4, 5]


def test_nothing_new_needs_no_search() -> None:
    cursor = FolderCursor(7, 3, None)
    plan = plan_sync(cursor, MailboxState(7, uidnext=4, highestmodseq=9, exists=3))
    assert plan.nothing_new
    assert plan.settled == FolderCursor(7, 3, 9)  # modseq learned, stored once
    again = plan_sync(FolderCursor(7, 3, 9), MailboxState(7, uidnext=4, highestmodseq=9))
    assert again.nothing_new and again.settled is None  # nothing to write either


def test_unchanged_modseq_means_nothing_new_even_without_uidnext() -> None:
    plan = plan_sync(FolderCursor(7, 3, 9), MailboxState(7, None, 9, 3))
    assert plan.nothing_new


def test_empty_folder_settles_at_uidnext() -> None:
    plan = plan_sync(FolderCursor(7, 3), MailboxState(7, uidnext=12, exists=0))
    assert plan.nothing_new and plan.settled == FolderCursor(7, 11, None)


def test_uidvalidity_change_rescans_from_the_start() -> None:
    plan = plan_sync(FolderCursor(7, 500, 40), MailboxState(8, uidnext=3, highestmodseq=40))
    assert plan.rescan and not plan.nothing_new
    assert plan.after_uid == 0 and plan.search_criteria == ["ALL"]


def test_uidvalidity_change_of_an_empty_folder_resets_the_cursor() -> None:
    plan = plan_sync(FolderCursor(7, 500), MailboxState(8, uidnext=1, exists=0))
    assert plan.rescan and plan.nothing_new and plan.settled == FolderCursor(8, 0, None)


def test_batch_cursor_keeps_modseq_until_the_folder_is_done() -> None:
    state = MailboxState(7, uidnext=901, highestmodseq=55)
    # Mid-folder: no modseq, or a crash would make the rest look "unchanged".
    assert batch_cursor(state, 250, folder_done=False) == FolderCursor(7, 250, None)
    # Done: UIDs up to UIDNEXT-1 that the search did not return are gone for good.
    assert batch_cursor(state, 880, folder_done=True) == FolderCursor(7, 900, 55)


def test_cursor_round_trip_and_bad_values() -> None:
    cursor = FolderCursor(7, 3, 9)
    assert FolderCursor.from_value(cursor.to_value()) == cursor
    assert FolderCursor(7, 3).to_value() == {"uidvalidity": 7, "last_uid": 3}
    assert FolderCursor.from_value(None) is None
    assert FolderCursor.from_value({"last_uid": 3}) is None
    assert FolderCursor.from_value({"uidvalidity": "x"}) is None


def test_provider_ids() -> None:
    assert provider_id(1795258139, 42) == "1795258139:42"
    # Gmail: X-GM-MSGID (the example in Google's IMAP extension docs) in hex, as the API spells ids.
    assert provider_id(1, 42, gm_msgid=1278455344230334865) == "11bdfc5cae0c8191"


def test_explicit_uid_lists() -> None:
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked([], 2)) == []


def test_gone_from_folder_judges_only_uidvalidity_uid_ids() -> None:
    stored = ["7:1", "7:2", "7:3", "6:1", "18c0000000001", "x:1", "7:"]
    # 7:2 was expunged; 6:1 is from an earlier UIDVALIDITY and was not found again;
    # Gmail's X-GM-MSGID ids and anything malformed are not judged.
    assert gone_from_folder(stored, 7, {1, 3, 4}) == {"7:2", "6:1"}
    assert gone_from_folder([], 7, set()) == set()


def test_an_unchanged_highestmodseq_means_nothing_was_expunged_either() -> None:
    cursor = FolderCursor(7, 10, 55)
    assert plan_sync(cursor, MailboxState(7, 11, 55, 9)).unchanged
    assert not plan_sync(cursor, MailboxState(7, 11, 56, 9)).unchanged  # an expunge, say
    assert not plan_sync(cursor, MailboxState(7, 11, None, 9)).unchanged  # no CONDSTORE
    assert not plan_sync(cursor, MailboxState(8, 11, 55, 9)).unchanged  # new UIDVALIDITY
