"""Queries from many threads while another thread adds: no crash, no wrong answer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from panza.daemon.index import EmailIndex, IndexParams, VectorIndex, retrieve
from panza.daemon.index.embedder import document_text
from panza.daemon.store import Store
from tests.index.corpus import CORPUS, CountingEmbedder, add_emails, filler


def _run(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as exc:  # collected and asserted on in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_vector_index_add_resize_delete_while_querying(counting: CountingEmbedder) -> None:
    base = counting.inner.encode([document_text(*e) for e in CORPUS])
    # Tiny capacity: the writer resizes many times while readers query.
    index = VectorIndex("test", base.shape[1], IndexParams(initial_capacity=8))
    index.add(list(range(len(CORPUS))), base, ["h"] * len(CORPUS))
    rng = np.random.default_rng(7)
    noise = rng.standard_normal((3000, base.shape[1])).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    done = threading.Event()
    wrong: list[tuple[int, list[tuple[int, float]]]] = []

    def writer() -> None:
        try:
            for start in range(0, len(noise), 100):
                ids = list(range(1000 + start, 1100 + start))
                index.add(ids, noise[start : start + 100], ["n"] * 100)
                index.mark_deleted(ids[:10])
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set():
            for pos in range(len(CORPUS)):
                hits = index.search(base[pos], k=5, exclude=[(pos + 1) % len(CORPUS)])
                if hits[0][0] != pos or hits[0][1] < 0.99:
                    wrong.append((pos, hits))

    assert _run([writer, reader, reader, reader]) == []
    assert wrong == []
    assert len(index) == len(CORPUS) + 3000 - 300
    assert index.capacity >= len(CORPUS) + 3000


def test_update_from_the_store_while_the_writer_retrieves(
    store: Store, built: EmailIndex, corpus_ids: list[int], tmp_path: Path
) -> None:
    new_ids = add_emails(store, filler(40))
    kept = set(corpus_ids) | set(new_ids)
    wrong: list[object] = []
    done = threading.Event()

    def updater() -> None:
        try:
            assert built.update(store.conn).embedded == 40
        finally:
            done.set()

    def querier() -> None:
        conn = sqlite3.connect(tmp_path / "panza.db")  # each reader its own connection
        try:
            while not done.is_set():
                hits = retrieve(built, conn, "Send the Zoom link for the seminar", k=5)
                if not hits or hits[0].id != corpus_ids[0] or not {h.id for h in hits} <= kept:
                    wrong.append(hits)
        finally:
            conn.close()

    assert _run([updater, querier, querier]) == []
    assert wrong == []
    assert len(built) == len(CORPUS) + 40
