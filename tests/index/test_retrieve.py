"""What the writer gets: the most similar kept emails, above the threshold, never itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon.errors import UserError
from panza.daemon.index import DEFAULT_THRESHOLD, EmailIndex, retrieve
from panza.daemon.index.embedder import document_text
from panza.daemon.store import Store
from tests.index.corpus import CORPUS, CountingEmbedder, add_emails


def test_the_matching_email_comes_first_with_its_stored_fields(
    store: Store, built: EmailIndex, corpus_ids: list[int]
) -> None:
    hits = retrieve(built, store.conn, "Send everyone the Zoom link for Tuesday's seminar")
    assert hits[0].id == corpus_ids[0]
    assert (hits[0].subject, hits[0].text) == CORPUS[0]
    assert hits[0].date is not None and hits[0].date.startswith("2024-")
    assert DEFAULT_THRESHOLD <= hits[0].score <= 1.0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score >= DEFAULT_THRESHOLD for h in hits)
    assert len(hits) <= 5
    assert set(hits[0].as_json()) == {"id", "score", "subject", "date", "text"}


def test_unrelated_requests_retrieve_nothing_above_the_threshold(
    store: Store, built: EmailIndex
) -> None:
    assert retrieve(built, store.conn, "Quarterly tax filing for the bakery in Ohio") == []
    # With no threshold, k bounds the answer.
    assert len(retrieve(built, store.conn, "bakery taxes", k=3, threshold=-1.0)) == 3


def test_reply_queries_use_the_message_replied_to(store: Store, built: EmailIndex) -> None:
    hits = retrieve(
        built,
        store.conn,
        "Say yes",
        last_message="Would you like to have dinner at the Italian restaurant on Friday?",
    )
    assert hits and hits[0].subject == "Dinner on Friday?"


def test_an_email_never_retrieves_itself_or_a_copy_of_itself(
    store: Store, built: EmailIndex, corpus_ids: list[int]
) -> None:
    copy_id = add_emails(store, [CORPUS[3]])[0]  # the same letter sent a second time
    built.update(store.conn)
    for pos, email_id in enumerate(corpus_ids):
        query = document_text(*CORPUS[pos])
        assert retrieve(built, store.conn, query, threshold=-1.0)[0].id in (email_id, copy_id)
        got = [h.id for h in retrieve(built, store.conn, query, exclude=[email_id], threshold=-1)]
        assert email_id not in got
        assert len(got) == 5
        if pos == 3:
            assert copy_id not in got


def test_an_email_discarded_after_indexing_is_never_served(
    store: Store, built: EmailIndex, corpus_ids: list[int]
) -> None:
    with store.write() as conn:
        conn.execute("UPDATE emails SET status = 'discarded' WHERE id = ?", (corpus_ids[0],))
    hits = retrieve(built, store.conn, "Zoom link for Tuesday's seminar", threshold=-1.0)
    assert corpus_ids[0] not in [h.id for h in hits]


def test_small_and_empty_indexes(store: Store, index_dir: Path, counting: CountingEmbedder) -> None:
    empty = EmailIndex(index_dir, counting)
    empty.update(store.conn)
    assert retrieve(empty, store.conn, "anything") == []
    add_emails(store, CORPUS[:2])
    empty.update(store.conn)
    assert len(retrieve(empty, store.conn, "anything", k=10, threshold=-1.0)) == 2


@pytest.mark.parametrize(
    ("query", "k", "message"),
    [("", 5, "query is empty"), ("   \n", 5, "query is empty"), ("zoom", 0, "k must be")],
)
def test_bad_requests_are_user_errors(
    store: Store, built: EmailIndex, query: str, k: int, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        retrieve(built, store.conn, query, k=k)


def test_copies_of_one_email_are_retrieved_once(
    store: Store, built: EmailIndex, corpus_ids: list[int]
) -> None:
    # The same announcement sent to 25 lists: more copies than the first 4 * k candidates.
    add_emails(store, [CORPUS[0]] * 25)
    built.update(store.conn)
    hits = retrieve(built, store.conn, "Send the Zoom link for the seminar", threshold=-1.0)
    assert [h.subject for h in hits].count(CORPUS[0][0]) == 1
    assert len({h.subject for h in hits}) == len(hits) == 5
