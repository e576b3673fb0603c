"""The in-memory vector index: hnswlib (cosine) keyed by store ids, guarded for threads.

hnswlib allows queries alongside queries but not alongside ``add_items``, and
``resize_index`` alongside nothing (its README), so every call goes through one
readers-writer lock. Embedding happens outside the lock: a query waits for an
``add_items`` of one batch, never for the model.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import hnswlib
import numpy as np

from panza.daemon.index.embedder import Vectors
from panza.daemon.index.rwlock import RWLock

SPACE = "cosine"


@dataclass(frozen=True)
class IndexParams:
    """hnswlib settings; ``benchmarks/bench_index.py`` measures what they buy."""

    M: int = 32
    ef_construction: int = 200
    ef: int = 128
    initial_capacity: int = 1024

    def __post_init__(self) -> None:
        if self.M < 2 or self.ef_construction < 1 or self.ef < 1 or self.initial_capacity < 1:
            raise ValueError(f"invalid index parameters: {self}")


DEFAULT_PARAMS = IndexParams()


@dataclass(frozen=True)
class Snapshot:
    """What a saved index file holds: live ids with their content hashes, deleted ids."""

    live: dict[int, str]
    deleted: frozenset[int]
    expected_bytes: int

    @property
    def count(self) -> int:
        return len(self.live) + len(self.deleted)


class VectorIndex:
    """hnswlib vectors for store ids, the content hash each was made from, deletions."""

    def __init__(
        self,
        model_id: str,
        dim: int,
        params: IndexParams = DEFAULT_PARAMS,
        *,
        hnsw: hnswlib.Index | None = None,
        live: dict[int, str] | None = None,
        deleted: Iterable[int] = (),
    ) -> None:
        self.model_id = model_id
        self.dim = dim
        self.params = params
        if hnsw is None:
            hnsw = hnswlib.Index(space=SPACE, dim=dim)
            hnsw.init_index(
                max_elements=params.initial_capacity,
                M=params.M,
                ef_construction=params.ef_construction,
            )
        hnsw.set_ef(params.ef)
        self._hnsw = hnsw
        self._live: dict[int, str] = dict(live or {})
        self._deleted: set[int] = set(deleted)
        self._lock = RWLock()

    def __len__(self) -> int:
        return len(self._live)

    @property
    def deleted_count(self) -> int:
        return len(self._deleted)

    @property
    def capacity(self) -> int:
        return int(self._hnsw.get_max_elements())

    def set_ef(self, ef: int) -> None:
        """Change the search breadth (recall against latency); not persisted."""
        with self._lock.write():  # hnswlib reads ef during every query
            self._hnsw.set_ef(ef)

    def hashes(self) -> dict[int, str]:
        """Live store ids and the content hash their vector was made from (a copy)."""
        with self._lock.read():
            return dict(self._live)

    def add(self, ids: Sequence[int], vectors: Vectors, hashes: Sequence[str]) -> None:
        """Add or replace the vectors of ``ids``; a deleted id comes back to life."""
        if not (len(ids) == len(hashes) == len(vectors)):
            raise ValueError("ids, vectors and hashes differ in length")
        if len(ids) == 0:
            return
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors must be (n, {self.dim}), got {vectors.shape}")
        labels = np.asarray(ids, dtype=np.uint64)
        with self._lock.write():
            new = sum(1 for i in ids if i not in self._live and i not in self._deleted)
            needed = int(self._hnsw.get_current_count()) + new
            if needed > self.capacity:
                # Doubling keeps the number of (slow, full-copy) resizes logarithmic.
                self._hnsw.resize_index(
                    max(needed, 2 * self.capacity, self.params.initial_capacity)
                )
            self._hnsw.add_items(vectors, labels)
            for i, h in zip(ids, hashes, strict=True):
                self._live[int(i)] = h
                self._deleted.discard(int(i))

    def mark_deleted(self, ids: Iterable[int]) -> int:
        """Hide ``ids`` from queries (hnswlib keeps the slot); returns how many were live."""
        n = 0
        with self._lock.write():
            for i in ids:
                if self._live.pop(i, None) is not None:
                    self._hnsw.mark_deleted(i)
                    self._deleted.add(i)
                    n += 1
        return n

    def search(
        self, vector: Vectors, k: int, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest live ids as (id, cosine similarity), best first, minus ``exclude``."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dim:
            raise ValueError(f"query vector must have {self.dim} values, got {query.shape[1]}")
        with self._lock.read():
            skip = {i for i in exclude if i in self._live}
            want = min(k + len(skip), len(self._live))
            labels, distances = self._query(query, want)
        hits = [(int(i), 1.0 - float(d)) for i, d in zip(labels, distances, strict=True)]
        return [(i, s) for i, s in hits if i not in skip][:k]

    def _query(self, query: Vectors, want: int) -> tuple[list[int], list[float]]:
        while want > 0:
            try:
                labels, distances = self._hnsw.knn_query(query, k=want, num_threads=1)
            except RuntimeError:
                # hnswlib raises when it reaches fewer than `want` live items, which
                # happens when many slots are deleted; ask for fewer.
                want //= 2
                continue
            return list(labels[0]), list(distances[0])
        return [], []

    def save_to(self, path: Path) -> Snapshot:
        """Write the hnswlib file to ``path`` and describe exactly what it holds."""
        with self._lock.read():
            self._hnsw.save_index(str(path))
            return Snapshot(
                live=dict(self._live),
                deleted=frozenset(self._deleted),
                expected_bytes=int(self._hnsw.index_file_size()),
            )

    def ids_in_file(self) -> set[int]:
        """Every label hnswlib holds, deleted ones included (for verifying a loaded file)."""
        with self._lock.read():
            return {int(i) for i in self._hnsw.get_ids_list()}

    def element_count(self) -> int:
        with self._lock.read():
            return int(self._hnsw.get_current_count())
