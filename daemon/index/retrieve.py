"""Retrieval for the writer: the user's most similar past emails above a relevance threshold.

Scores are cosine similarities of all-MiniLM-L6-v2 vectors (``embedder`` says what
is embedded). Why the threshold is 0.30, measured by ``benchmarks/bench_index.py``
on the 166 real sent emails of ../shared/data/panza-david.jsonl: each subject,
stripped of Re:/Fwd:, stands in for the instruction playback would write. The email
written for it is the relevant match; every other email is treated as unrelated,
which overstates noise (one person writes about the same things often).

    threshold   own email >= t   other emails >= t   Youden J   queries with a hit
    0.20 (*)         0.93              0.25             0.67          0.98
    0.30             0.87              0.09             0.78          0.89
    0.32             0.87              0.07             0.80          0.85
    0.40             0.75              0.03             0.72          0.69

(*) PanzaMail's setting. J = own - other peaks on the 0.30-0.32 plateau (one email
of 166 moves it by 0.006); above 0.32 relevant emails start to drop out fast. We
take the low end: with k = 5 a weak extra example costs the prompt little, a
missing one loses the detail (a link, a phone number) the draft needed. At 0.20 a
quarter of unrelated emails would pass and fill the five slots with noise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from panza.daemon.errors import UserError
from panza.daemon.index.embedder import query_text
from panza.daemon.index.refresh import EmailIndex
from panza.daemon.store.emails import KeptText, content_hashes, kept_texts

DEFAULT_K = 5
DEFAULT_THRESHOLD = 0.30
MAX_K = 100
# Candidates per wanted result, so that dropping copies and stale ids still leaves k.
_CANDIDATES = 4
_MAX_CANDIDATES = 2000  # also bounds the ids in one SQL IN (...)


@dataclass(frozen=True)
class Retrieved:
    """One past email for the prompt: store id, cosine similarity, and its stored fields."""

    id: int
    score: float
    subject: str
    date: str | None
    text: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def retrieve(
    index: EmailIndex,
    conn: sqlite3.Connection,
    instruction: str,
    *,
    last_message: str | None = None,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Collection[int] = (),
) -> list[Retrieved]:
    """Up to ``k`` distinct kept emails scoring at least ``threshold``, best first.

    Copies (same subject and text) count once: sent folders repeat mail. ``exclude``
    names store ids never to return, nor any copy of them: a training example must
    not retrieve itself.
    """
    query = query_text(instruction, last_message)
    if not query:
        raise UserError("the query is empty: say what the email should be about")
    if not 1 <= k <= MAX_K:
        raise UserError(f"k must be between 1 and {MAX_K}, not {k}")
    if not -1.0 <= threshold <= 1.0:
        raise UserError(f"the threshold is a cosine similarity in [-1, 1], not {threshold}")
    if len(index) == 0:
        return []
    skip = content_hashes(conn, exclude)
    vector = index.embedder.encode([query])[0]
    want = _CANDIDATES * k
    while True:
        hits = [(i, s) for i, s in index.search(vector, want, exclude) if s >= threshold]
        rows = {e.id: e for e in kept_texts(conn, [i for i, _ in hits])}
        out = _distinct(hits, rows, set(skip), k)
        # Short only because copies and stale ids used up the candidates: look deeper.
        if len(out) == k or len(hits) < want or want >= min(len(index), _MAX_CANDIDATES):
            return out
        want = min(4 * want, _MAX_CANDIDATES)


def _distinct(
    hits: list[tuple[int, float]], rows: dict[int, KeptText], seen: set[str], k: int
) -> list[Retrieved]:
    out: list[Retrieved] = []
    for i, score in hits:
        row = rows.get(i)
        # Missing: discarded or deleted since the last update; never serve it.
        if row is None or row.content_hash in seen:
            continue
        seen.add(row.content_hash)
        out.append(Retrieved(i, round(score, 4), row.subject, row.date, row.text))
        if len(out) == k:
            break
    return out
