"""Offline language identification (py3langid: a small naive-Bayes model, ~9,000 texts/s)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_identifier: Any = None
SAMPLE_CHARS = 300


def _get() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability of the most likely language of ``text``."""
    # The opening is as telling as the whole and classification cost grows with length.
    lang, prob = _get().classify(text[:SAMPLE_CHARS])
    return str(lang), float(prob)
