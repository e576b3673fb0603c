"""Feedback scoring never runs on the event loop or inside a write transaction (item 5).

Matching a sync's sent mail against open drafts can take many seconds; the event loop
needs the store to save drafts and record feedback meanwhile. These checks are
structural: where the similarity is computed, and what is held while it is.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from panza.daemon.pipeline import feedback
from panza.daemon.protocol import FeedbackParams, Request
from panza.daemon.server.handlers import Handlers
from panza.daemon.server.jobs import Jobs
from panza.daemon.server.operations import Service
from panza.daemon.store.db import now
from panza.daemon.store.drafts import add_draft
from panza.daemon.store.emails import insert_emails
from tests.daemon.test_feedback import DRAFT, _email, service  # noqa: F401 - the fixture

Scored = list[tuple[int, bool]]  # (thread id, a transaction was open)


def spy(
    monkeypatch: pytest.MonkeyPatch, svc: Service, also: Callable[[], None] = lambda: None
) -> Scored:
    """Record the thread and the transaction state of every similarity computed."""
    calls: Scored = []
    real = feedback.similarity

    def scored(a: str, b: str) -> float:
        calls.append((threading.get_ident(), svc.store.conn.in_transaction))
        also()
        return real(a, b)

    monkeypatch.setattr(feedback, "similarity", scored)
    return calls


def test_the_feedback_method_scores_in_a_thread_outside_any_transaction(
    service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with service.store.write() as w:
        add_draft(w, "d1", "new", "ask Tom", DRAFT)
    calls = spy(monkeypatch, service)
    handlers = Handlers(service, Jobs())
    request = Request(id="f1", method="feedback", params=FeedbackParams(draft_id="d1", text=DRAFT))

    async def call() -> dict[str, Any]:
        async def emit(_message: dict[str, Any]) -> None:
            pass

        return await handlers.feedback(request, emit)

    try:
        assert asyncio.run(call()) == {"recorded": True}
    finally:
        handlers.jobs.shutdown()
    assert calls and all(t != threading.get_ident() for t, _ in calls)  # not the loop's thread
    assert not any(open_ for _, open_ in calls)
    row = service.store.conn.execute("SELECT similarity FROM drafts WHERE id = 'd1'").fetchone()
    assert row[0] == 1.0


def test_matching_scores_in_batches_and_leaves_the_store_free_meanwhile(
    service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with service.store.write() as w:
        for i in range(4):
            add_draft(w, f"d{i}", "new", "ask Tom", f"{DRAFT} item {i} of the list")
        add_draft(w, "user", "new", "ask Tom", DRAFT + " from the user")
    since = now(service.store.conn)
    time.sleep(0.01)
    with service.store.write() as w:
        emails = [_email(n, f"{DRAFT} item {n} of the list") for n in range(4)]
        insert_emails(w, [*emails, *(_email(10 + n, f"unrelated {n}") for n in range(6))])
        insert_emails(w, [_email(20, DRAFT + " from the user")])

    # While the first email is scored, the user's own feedback for draft "user" comes in
    # from another thread: it must get the store at once, and it must win over the match.
    def user_feedback_meanwhile() -> None:
        if len(calls) == 1:
            writer = threading.Thread(target=lambda: feedback.record(service.store, "user", "mine"))
            writer.start()
            writer.join(5)
            assert not writer.is_alive(), "the store was locked while scoring"

    calls = spy(monkeypatch, service, user_feedback_meanwhile)
    writes = 0
    real_write = service.store.write

    def counted(durable: bool = False) -> Any:
        nonlocal writes
        writes += 1
        return real_write(durable)

    monkeypatch.setattr(service.store, "write", counted)
    assert feedback.match_sent(service.store, since, batch=3) == 4
    assert not any(open_ for _, open_ in calls)
    # the user's feedback, then one per batch that found a match (the last one's match,
    # draft "user", already has the user's text: the write leaves it alone)
    assert writes == 1 + 3
    rows = dict(service.store.conn.execute("SELECT id, sent_text FROM drafts").fetchall())
    assert rows["user"] == "mine"
    assert all(rows[f"d{i}"] == f"{DRAFT} item {i} of the list" for i in range(4))
