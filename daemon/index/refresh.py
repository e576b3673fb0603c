"""Keep the index in step with the store: embed only what is new or changed.

The store is the truth: every kept email's ``content_hash`` (sha256 of subject and
text) is compared with the hash its vector was made from. New or changed emails
are embedded, emails no longer kept (discarded or deleted) are marked deleted,
and everything else is left alone, so a second run embeds nothing. The same
comparison makes a replaced database safe: a reused id with other text differs
in hash and is embedded again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from panza.daemon.index import files
from panza.daemon.index.embedder import Embedder, Vectors, document_text
from panza.daemon.index.hnsw import DEFAULT_PARAMS, IndexParams, VectorIndex
from panza.daemon.store.emails import kept_hashes, kept_texts

log = logging.getLogger(__name__)

EMBED_BATCH = 128  # also the ids per IN (...) query, well under SQLite's limit
CHECKPOINT_SECONDS = 60.0

Progress = Callable[[int], None]


@dataclass(frozen=True)
class UpdatePlan:
    """What an update will do: store ids to embed, and indexed ids no longer kept."""

    embed: list[int]
    remove: list[int]


@dataclass(frozen=True)
class UpdateReport:
    """What an update did, for the CLI and the daemon's status."""

    embedded: int
    removed: int
    indexed: int
    rebuilt: str | None
    seconds: float


class EmailIndex:
    """The retrieval index of kept emails, loaded from ``directory`` or rebuilt from the store."""

    def __init__(
        self,
        directory: Path,
        embedder: Embedder,
        params: IndexParams = DEFAULT_PARAMS,
        *,
        rebuild: bool = False,
    ) -> None:
        self.directory = directory
        self.embedder = embedder
        self.params = params
        self._update_lock = threading.Lock()
        # An embedder not loaded yet is not loaded for this: the manifest knows the width,
        # and an update with nothing to embed then never loads the model.
        dim = embedder.dim if embedder.loaded else None
        loaded = (
            files.NotLoaded("a rebuild was asked for", expected=True)
            if rebuild
            else files.load(directory, embedder.model_id, dim, params)
        )
        if isinstance(loaded, VectorIndex):
            self.vectors = loaded
            self.rebuild_reason: str | None = None
        else:
            level = logging.INFO if loaded.expected else logging.WARNING
            log.log(level, "index: building from the store: %s", loaded.reason)
            self.vectors = VectorIndex(embedder.model_id, embedder.dim, params)
            self.rebuild_reason = loaded.reason
        self._dirty = self.rebuild_reason is not None

    def __len__(self) -> int:
        return len(self.vectors)

    def plan(self, conn: sqlite3.Connection) -> UpdatePlan:
        """Compare the store's kept emails with the index; embeds nothing."""
        want = kept_hashes(conn)
        have = self.vectors.hashes()
        embed = sorted(i for i, h in want.items() if have.get(i) != h)
        remove = sorted(i for i in have if i not in want)
        return UpdatePlan(embed, remove)

    def update(self, conn: sqlite3.Connection, progress: Progress | None = None) -> UpdateReport:
        """Plan and apply in one go (``progress`` gets the number embedded so far)."""
        with self._update_lock:  # two updates at once would embed the same mail twice
            return self._apply(conn, self.plan(conn), progress)

    def apply(
        self, conn: sqlite3.Connection, plan: UpdatePlan, progress: Progress | None = None
    ) -> UpdateReport:
        """Embed and add ``plan.embed``, delete ``plan.remove``, then save if anything changed."""
        with self._update_lock:
            return self._apply(conn, plan, progress)

    def _apply(
        self, conn: sqlite3.Connection, plan: UpdatePlan, progress: Progress | None
    ) -> UpdateReport:
        start = time.monotonic()
        if plan.embed and self._width_changed():
            plan = self.plan(conn)  # everything, into the new empty index
        removed = self.vectors.mark_deleted(plan.remove)
        self._dirty |= removed > 0
        embedded = 0
        last_save = time.monotonic()
        for ids, hashes, texts in _batches(conn, plan.embed):
            vectors: Vectors = self.embedder.encode(texts)
            self.vectors.add(ids, vectors, hashes)
            embedded += len(ids)
            self._dirty = True
            if progress is not None:
                progress(embedded)
            # A first build can take an hour on a laptop: checkpoint so a crash
            # or Ctrl-C resumes from here instead of from nothing.
            if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                self._save()
                last_save = time.monotonic()
        if self._dirty:
            self._save()
        rebuilt, self.rebuild_reason = self.rebuild_reason, None
        log.info("index: embedded %d, removed %d, %d indexed", embedded, removed, len(self))
        return UpdateReport(embedded, removed, len(self), rebuilt, time.monotonic() - start)

    def _width_changed(self) -> bool:
        """Check the manifest's width against the model's (now loaded); rebuild if they differ."""
        if self.vectors.dim == self.embedder.dim:
            return False
        reason = f"the vectors changed shape ({self.vectors.dim} -> {self.embedder.dim})"
        log.warning("index: building from the store: %s", reason)
        self.vectors = VectorIndex(self.embedder.model_id, self.embedder.dim, self.params)
        self.rebuild_reason, self._dirty = reason, True
        return True

    def save(self) -> None:
        """Write the index now (updates save by themselves)."""
        with self._update_lock:
            self._save()

    def _save(self) -> None:
        files.save(self.vectors, self.directory)
        self._dirty = False

    def search(
        self, vector: Vectors, k: int, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]:
        """Nearest live store ids to ``vector`` as (id, cosine similarity); see ``retrieve``."""
        return self.vectors.search(vector, k, exclude)


def _batches(
    conn: sqlite3.Connection, ids: Sequence[int]
) -> Iterator[tuple[list[int], list[str], list[str]]]:
    """Kept emails among ``ids`` as (ids, content hashes, texts to embed), in batches.

    Hash and text come from the same row, so the recorded hash always describes
    the embedded text even if the store changes meanwhile.
    """
    for start in range(0, len(ids), EMBED_BATCH):
        found = kept_texts(conn, ids[start : start + EMBED_BATCH])
        if found:  # an email discarded since the plan is simply skipped
            yield (
                [e.id for e in found],
                [e.content_hash for e in found],
                [document_text(e.subject, e.text) for e in found],
            )
