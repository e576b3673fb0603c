"""The retrieval index as a Retriever for training and evaluation records."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from panza.daemon.config import Config
from panza.daemon.errors import IndexStoreError
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.daemon.tuning.examples import Retriever

log = logging.getLogger(__name__)


def index_retriever(store: Store, config: Config, paths: Paths, k: int) -> Retriever | None:
    """Top-k retrieval over the (updated) index; None, with a warning, when unavailable."""
    from panza.daemon.index import EmailIndex, load_embedder, retrieve

    models = config.model
    try:
        embedder = load_embedder(models.embedding, models.allow_download, models.device)
        embedder.load()  # every record's query is embedded: load it here, where failure is handled
        index = EmailIndex(paths.index_dir, embedder)
        index.update(store.conn)
    except IndexStoreError as exc:
        log.warning("training without retrieved context: %s", exc)
        return None

    def find(instruction: str, last: str | None, exclude: Collection[int]) -> list[dict[str, Any]]:
        hits = retrieve(index, store.conn, instruction, last_message=last, k=k, exclude=exclude)
        return [h.as_json() for h in hits]

    return find
