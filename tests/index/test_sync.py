"""Incremental updates: only new or changed emails are embedded; dropped ones disappear."""

from __future__ import annotations

import json
from pathlib import Path

from panza.daemon.index import EmailIndex, IndexParams
from panza.daemon.index.embedder import document_text
from panza.daemon.store import Store
from panza.daemon.store.records import content_hash
from tests.index.corpus import CORPUS, CountingEmbedder, add_emails, filler


def _search_ids(index: EmailIndex, counting: CountingEmbedder, text: str) -> list[int]:
    vector = counting.inner.encode([text])[0]
    return [i for i, _ in index.search(vector, k=len(index) or 1)]


def test_first_update_embeds_every_kept_email_then_nothing(
    store: Store, corpus_ids: list[int], index_dir: Path, counting: CountingEmbedder
) -> None:
    add_emails(store, filler(2), status="discarded")
    index = EmailIndex(index_dir, counting)
    first = index.update(store.conn)
    assert (first.embedded, counting.items, len(index)) == (len(CORPUS), len(CORPUS), 12)
    assert first.rebuilt == "there is no index yet"
    # What is embedded is the subject, a blank line, then the text.
    assert counting.texts[0] == document_text(*CORPUS[0]) == f"{CORPUS[0][0]}\n\n{CORPUS[0][1]}"

    second = index.update(store.conn)
    assert (second.embedded, second.removed, counting.items) == (0, 0, len(CORPUS))

    # A fresh process: loaded from disk, nothing rebuilt, nothing embedded.
    again = CountingEmbedder(counting.inner)
    reopened = EmailIndex(index_dir, again)
    assert reopened.rebuild_reason is None
    assert reopened.update(store.conn).embedded == 0
    assert again.calls == 0
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert (manifest["count"], manifest["live"], manifest["space"]) == (12, 12, "cosine")


def test_three_new_emails_embed_exactly_three(
    store: Store, built: EmailIndex, counting: CountingEmbedder
) -> None:
    before = counting.items
    new_ids = add_emails(store, filler(3))
    report = built.update(store.conn)
    assert report.embedded == 3
    assert counting.items - before == 3
    assert len(built) == len(CORPUS) + 3
    assert set(new_ids) <= set(built.vectors.hashes())


def test_edited_email_is_embedded_again(
    store: Store, built: EmailIndex, corpus_ids: list[int], counting: CountingEmbedder
) -> None:
    subject, text = "Zoom link for Tuesday's seminar", "The seminar moves to Thursday at 4pm."
    with store.write() as conn:
        conn.execute(
            "UPDATE emails SET text = ?, content_hash = ? WHERE id = ?",
            (text, content_hash(subject, text), corpus_ids[0]),
        )
    before = counting.items
    assert built.update(store.conn).embedded == 1
    assert counting.texts[before:] == [document_text(subject, text)]


def test_discarded_and_deleted_emails_are_marked_deleted(
    store: Store,
    built: EmailIndex,
    corpus_ids: list[int],
    counting: CountingEmbedder,
    index_dir: Path,
) -> None:
    dinner, invoice = corpus_ids[2], corpus_ids[1]
    with store.write() as conn:
        conn.execute(
            "UPDATE emails SET status = 'discarded', reason = 'manual' WHERE id = ?", (dinner,)
        )
        conn.execute("DELETE FROM emails WHERE id = ?", (invoice,))
    report = built.update(store.conn)
    assert (report.embedded, report.removed, len(built)) == (0, 2, len(CORPUS) - 2)
    assert dinner not in _search_ids(built, counting, document_text(*CORPUS[2]))
    assert invoice not in _search_ids(built, counting, document_text(*CORPUS[1]))

    reopened = EmailIndex(index_dir, counting)
    assert reopened.rebuild_reason is None
    assert (len(reopened), reopened.vectors.deleted_count) == (len(CORPUS) - 2, 2)

    # Kept again: embedded again and found again.
    with store.write() as conn:
        conn.execute("UPDATE emails SET status = 'kept', reason = NULL WHERE id = ?", (dinner,))
    assert reopened.update(store.conn).embedded == 1
    assert _search_ids(reopened, counting, document_text(*CORPUS[2]))[0] == dinner


def test_capacity_grows_as_mail_arrives(
    store: Store, corpus_ids: list[int], index_dir: Path, counting: CountingEmbedder
) -> None:
    index = EmailIndex(index_dir, counting, IndexParams(initial_capacity=4))
    index.update(store.conn)
    assert len(index) == len(CORPUS)
    assert index.vectors.capacity >= len(CORPUS)
    for pos, email_id in enumerate(corpus_ids):
        assert _search_ids(index, counting, document_text(*CORPUS[pos]))[0] == email_id
