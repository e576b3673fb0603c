"""Language identification: the function-word fast path and the model behind it."""

from __future__ import annotations

import pytest

from panza.daemon.mail import language
from panza.daemon.mail.language import detect_language

SAMPLES = {
    "en": "Thank you for the invitation. I am afraid I cannot travel in June, but I would be"
    " happy to give the talk online if that works for you.",
    "de": "Vielen Dank für Ihre Nachricht. Ich melde mich nächste Woche bei Ihnen, sobald ich"
    " die Unterlagen geprüft habe.",
    "fr": "Merci beaucoup pour votre invitation. Malheureusement je ne pourrai pas être"
    " présente la semaine prochaine.",
    "es": "Gracias por tu mensaje, nos vemos el lunes para la reunión con el equipo.",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_fast_path_agrees_with_the_model(lang: str) -> None:
    text = SAMPLES[lang]
    assert detect_language(text) == (lang, 1.0)
    assert language._model().classify(text)[0] == lang


def test_short_or_unclear_text_goes_to_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = language._model()

    class Spy:
        def classify(self, text: str) -> tuple[str, float]:
            calls.append(text)
            return real.classify(text)  # type: ignore[no-any-return]

    monkeypatch.setattr(language, "_model", lambda: Spy())
    lang, confidence = detect_language("Sounds good, see you.")
    assert calls == ["Sounds good, see you."]
    assert lang == "en" and confidence < 1.0


def test_mixed_language_text_is_not_settled_by_word_counts() -> None:
    mixed = "Thanks for the note. Vielen Dank und bis bald, ich bin nicht da und wir sehen uns."
    assert language._by_function_words(language._WORD.findall(mixed.lower())) is None
