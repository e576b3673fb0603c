"""Feedback on drafts: the similarity figure, its storage, acceptance in status, and
drafts matched to sent mail found by a later sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.cli import main
from panza.daemon.config import load_config
from panza.daemon.pipeline import feedback
from panza.daemon.server.operations import Service
from panza.daemon.store import Store
from panza.daemon.store.db import now
from panza.daemon.store.drafts import add_draft
from panza.daemon.store.emails import insert_emails
from panza.daemon.store.records import EmailRecord

DRAFT = "Hi Tom, could we move the budget meeting to Friday afternoon? Thanks, David"


def test_similarity_of_literal_texts() -> None:
    assert feedback.similarity(DRAFT, DRAFT) == 1.0
    # whitespace and case do not count as edits
    assert feedback.similarity(DRAFT, "  " + DRAFT.upper().replace(" ", "\n  ")) == 1.0
    assert feedback.similarity("", "") == 1.0
    assert feedback.similarity(DRAFT, "") == 0.0
    assert feedback.similarity("one two three", "four five six") == 0.0
    # one word of thirteen changed: 2 * 12 / 26
    light = DRAFT.replace("Friday", "Monday")
    assert feedback.similarity(DRAFT, light) == round(24 / 26, 4)
    assert feedback.similarity(DRAFT, light) >= feedback.LIGHT_EDITS
    heavy = "Tom, the budget meeting is cancelled. David"
    assert 0 < feedback.similarity(DRAFT, heavy) < feedback.LIGHT_EDITS


@pytest.fixture
def service(panza_home: Path) -> Iterator[Service]:
    assert main(["init", "--name", "David", "--email", "david@example.org"]) == 0
    where = paths.resolve()
    with Store(where.db_file) as store:
        yield Service(where, load_config(where.config_file), store)


def test_feedback_stores_similarity_and_status_reports_acceptance(service: Service) -> None:
    assert service.status()["acceptance"] == {
        "drafts_with_feedback": 0,
        "mean_similarity": None,
        "light_edit_share": None,
        "light_edit_threshold": 0.8,
    }
    with service.store.write() as conn:
        for i in range(3):
            add_draft(conn, f"d{i}", "new", "ask Tom", DRAFT)
    assert service.feedback("d0", DRAFT)
    assert service.feedback("d1", DRAFT.replace("Friday", "Monday"))
    assert not service.feedback("nope", DRAFT)
    rows = service.store.conn.execute("SELECT id, sent_text, similarity FROM drafts ORDER BY id")
    got = [tuple(r) for r in rows]
    assert got == [
        ("d0", DRAFT, 1.0),
        ("d1", DRAFT.replace("Friday", "Monday"), round(24 / 26, 4)),
        ("d2", None, None),
    ]
    assert service.feedback("d2", "Completely different words here")
    acceptance = service.status()["acceptance"]
    assert acceptance["drafts_with_feedback"] == 3
    assert acceptance["light_edit_share"] == round(2 / 3, 4)
    assert acceptance["mean_similarity"] == round((1.0 + 24 / 26 + 0.0) / 3, 4)


def _email(n: int, text: str) -> EmailRecord:
    return EmailRecord(
        account="work",
        provider_id=f"p{n}",
        message_id=f"<m{n}@example.org>",
        date=datetime(2024, 1, 1, tzinfo=UTC),
        subject="Budget",
        recipients=("tom@example.org",),
        text=text,
        thread=(),
        status="kept",
    )


def test_sent_mail_from_a_sync_is_matched_to_its_draft(service: Service) -> None:
    conn = service.store.conn
    with service.store.write() as w:
        add_draft(w, "recent", "new", "ask Tom", DRAFT)
        add_draft(w, "other", "new", "lunch", "Lunch at noon tomorrow at the usual place?")
        add_draft(w, "old", "new", "ask Tom", DRAFT)
        w.execute("UPDATE drafts SET created_at = '2000-01-01T00:00:00.000Z' WHERE id = 'old'")
        add_draft(w, "answered", "new", "ask Tom", DRAFT)
    assert service.feedback("answered", "Something else entirely")
    with service.store.write() as w:
        insert_emails(w, [_email(1, DRAFT)])  # stored before this sync: not matched
    time.sleep(0.01)  # added_at has millisecond resolution
    since = now(conn)
    sent = DRAFT.replace("Friday afternoon", "Monday morning")
    with service.store.write() as w:
        insert_emails(w, [_email(2, sent), _email(3, "Unrelated note about the lab")])
    assert service.match_sent_drafts(since) == 1
    rows = {
        r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, sent_text, similarity FROM drafts")
    }
    assert rows["recent"] == (sent, feedback.similarity(DRAFT, sent))
    assert rows["recent"][1] >= feedback.MATCH_MIN
    assert rows["other"] == (None, None)
    assert rows["old"] == (None, None)  # older than 14 days
    assert rows["answered"][0] == "Something else entirely"
    assert service.match_sent_drafts(since) == 0  # a draft is matched once
