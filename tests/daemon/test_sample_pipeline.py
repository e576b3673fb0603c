"""The whole import pipeline against the generated persona's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon.demo.sample import PERSONA, generate, write_mbox
from panza.daemon.demo.sample.mailbox import KINDS
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline.ingest import ingest, mbox_mails
from panza.daemon.store import Store, iter_emails


def persona_rules() -> CleanRules:
    return CleanRules(
        addresses=frozenset({PERSONA.address, PERSONA.alias}),
        languages=frozenset({"en"}),
        names=("ada whitfield", "ada", "whitfield"),
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_every_kind_cleaned_exactly(tmp_path: Path, workers: int) -> None:
    messages = generate(150, seed=11)
    assert {m.kind for m in messages} == set(KINDS)
    path = tmp_path / "sent.mbox"
    write_mbox(path, messages)
    with Store(tmp_path / "p.db") as store:
        result = ingest(
            store, mbox_mails(path), persona_rules(), "mbox", max_bytes=10**7, workers=workers
        )
        kept = {r["message_id"]: r for r in iter_emails(store.conn)}
        discarded = {r["message_id"]: r["reason"] for r in iter_emails(store.conn, "discarded")}
    assert result.new == 150
    for m in messages:
        if m.keep:
            assert m.message_id in kept, m.kind
            assert kept[m.message_id]["text"] == m.text, m.kind
        else:
            assert discarded[m.message_id] == m.reason, m.kind


def test_oversized_and_duplicate_messages(tmp_path: Path) -> None:
    messages = generate(30, seed=5)
    path = tmp_path / "sent.mbox"
    write_mbox(path, [*messages, messages[0]])  # the same message again: a duplicate
    biggest = max(len(m.raw) for m in messages)
    with Store(tmp_path / "p.db") as store:
        result = ingest(store, mbox_mails(path), persona_rules(), "mbox", max_bytes=biggest - 1)
    assert result.duplicates == 1
    assert result.discarded["too_large"] >= 1


def test_missing_date_falls_back_to_mbox_envelope(tmp_path: Path) -> None:
    raw = (
        b"From ada@whitfield.example Tue Feb 13 10:30:00 2024\n"
        b"From: Ada <ada@whitfield.example>\nSubject: no date\nMessage-ID: <nd@x>\n\n"
        b"Hi Tom, the slides are in the shared folder now.\n"
    )
    path = tmp_path / "sent.mbox"
    path.write_bytes(raw)
    with Store(tmp_path / "p.db") as store:
        ingest(store, mbox_mails(path), persona_rules(), "mbox", max_bytes=10**7)
        (row,) = list(iter_emails(store.conn))
    assert row["date"] == "2024-02-13T10:30:00+00:00"
