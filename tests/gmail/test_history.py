"""Gmail history records -> the net change to the sent mail, on literal JSON."""

from __future__ import annotations

from typing import Any

from panza.daemon.sources.gmail.history import SentChanges, sent_changes


def added(i: str, *labels: str) -> dict[str, Any]:
    return {"messagesAdded": [{"message": {"id": i, "labelIds": list(labels)}}]}


def deleted(i: str) -> dict[str, Any]:
    return {"messagesDeleted": [{"message": {"id": i}}]}


def labels(key: str, i: str, label: str) -> dict[str, Any]:
    return {key: [{"message": {"id": i, "labelIds": []}, "labelIds": [label]}]}


def test_only_sent_mail_counts_as_added() -> None:
    records = [added("a", "SENT"), added("b", "INBOX"), added("c")]
    assert sent_changes(records) == SentChanges(("a",), ())


def test_deletion_and_removal_of_sent_are_removals() -> None:
    records = [deleted("a"), labels("labelsRemoved", "b", "SENT")]
    assert sent_changes(records) == SentChanges((), ("a", "b"))


def test_other_labels_changing_is_no_change() -> None:
    records = [labels("labelsRemoved", "a", "UNREAD"), labels("labelsAdded", "b", "STARRED")]
    assert sent_changes(records) == SentChanges((), ())


def test_the_last_record_about_a_message_decides() -> None:
    records = [
        added("a", "SENT"),
        deleted("a"),  # sent, then deleted: never fetched, removed if stored
        labels("labelsRemoved", "b", "SENT"),
        labels("labelsAdded", "b", "SENT"),  # unmarked, then marked again: fetched
    ]
    assert sent_changes(records) == SentChanges(("b",), ("a",))


def test_malformed_records_are_skipped() -> None:
    records: list[dict[str, Any]] = [
        {"messagesAdded": "not a list"},
        {"messagesAdded": [{"message": {"labelIds": ["SENT"]}}]},  # no id
        {"messagesDeleted": [{"message": {"id": 7}}]},  # id not a string
        {"labelsRemoved": [{"message": {"id": "x"}, "labelIds": "SENT"}]},
        added("ok", "SENT"),
    ]
    assert sent_changes(records) == SentChanges(("ok",), ())
