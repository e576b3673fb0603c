"""Model resolution never downloads unless allowed; vectors are unit length."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from panza.daemon.errors import IndexStoreError
from panza.daemon.index import DEFAULT_MODEL, SentenceEmbedder, query_text, resolve_model
from panza.daemon.index.embedder import packaged_model_dir

pytestmark = pytest.mark.model  # loads sentence-transformers and the embedding model


def test_the_default_model_comes_from_the_offline_package(embedder: SentenceEmbedder) -> None:
    source = resolve_model(DEFAULT_MODEL, allow_download=False)
    assert source.location == str(packaged_model_dir())
    assert (source.model_id, source.local_only) == (DEFAULT_MODEL, True)
    assert resolve_model("all-MiniLM-L6-v2", allow_download=False) == source
    vectors = embedder.encode(["Zoom link for the seminar", "Invoice for the cluster"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_local_folder_is_named_by_its_path(tmp_path: Path) -> None:
    source = resolve_model(str(tmp_path), allow_download=False)
    assert source.model_id == source.location == str(tmp_path.resolve())


def test_a_model_not_on_this_machine_is_a_clear_error_without_downloads() -> None:
    start = time.monotonic()
    with pytest.raises(IndexStoreError, match=r"downloads are off.*allow_download = true"):
        SentenceEmbedder(resolve_model("acme/not-a-real-embedder", allow_download=False)).load()
    assert time.monotonic() - start < 10  # no network round trips


def test_empty_model_name_is_rejected() -> None:
    with pytest.raises(IndexStoreError, match=r"model\.embedding is empty"):
        resolve_model("  ", allow_download=True)


def test_reply_queries_put_the_instruction_first() -> None:
    assert query_text(" Decline politely ") == "Decline politely"
    assert (
        query_text("Decline", "Can you speak in Paris?\n") == "Decline\n\nCan you speak in Paris?"
    )
    assert query_text("Decline", "   ") == "Decline"
