"""What Gmail's history says about sent mail: pure, JSON records in, ids out.

A message counts as sent mail while it carries the SENT label. History records
come oldest first; for each message the last record decides: added to SENT
(``messagesAdded`` with SENT, ``labelsAdded`` of SENT) or gone from it
(``messagesDeleted``, ``labelsRemoved`` of SENT). Mail that is gone leaves the
store, and with it the training set and the retrieval index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SENT = "SENT"
# history.list's historyTypes: without the deletions and label changes, mail the user
# deleted or unmarked as sent would stay in training forever.
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")


@dataclass(frozen=True)
class SentChanges:
    """Ids that became sent mail (oldest first) and ids that stopped being sent mail."""

    added: tuple[str, ...]
    removed: tuple[str, ...]


def sent_changes(records: Iterable[Mapping[str, Any]]) -> SentChanges:
    """Fold history records (oldest first) into the net change to the sent mail."""
    state: dict[str, bool] = {}  # id -> sent after the latest record naming it
    for record in records:
        for message_id, sent in _events(record):
            state.pop(message_id, None)  # re-insert: the dict keeps the latest order
            state[message_id] = sent
    return SentChanges(
        tuple(i for i, sent in state.items() if sent),
        tuple(i for i, sent in state.items() if not sent),
    )


def _events(record: Mapping[str, Any]) -> Iterable[tuple[str, bool]]:
    """(message id, is sent mail now) for each change in one record that concerns SENT."""
    for item in _items(record, "messagesAdded"):
        if SENT in _labels(item.get("message")):
            yield from _id(item, True)
    for item in _items(record, "labelsAdded"):
        if SENT in _labels(item):
            yield from _id(item, True)
    for item in _items(record, "labelsRemoved"):
        if SENT in _labels(item):
            yield from _id(item, False)
    for item in _items(record, "messagesDeleted"):
        yield from _id(item, False)


def _items(record: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = record.get(key)
    return [i for i in value if isinstance(i, Mapping)] if isinstance(value, list) else []


def _labels(item: Any) -> list[Any]:
    labels = item.get("labelIds") if isinstance(item, Mapping) else None
    return labels if isinstance(labels, list) else []


def _id(item: Mapping[str, Any], sent: bool) -> Iterable[tuple[str, bool]]:
    message = item.get("message")
    message_id = message.get("id") if isinstance(message, Mapping) else None
    if isinstance(message_id, str) and message_id:
        yield message_id, sent
