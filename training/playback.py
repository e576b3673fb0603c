"""Data playback: an instruction-following model turns each email into the short instruction
it could have been written from; the output is validated and retried once.

Batches go in and results come out one batch at a time, so that the caller can store each
batch as it finishes (a kill then loses at most the batch in flight). Which emails need
playback (none yet, or made by another model) is the caller's choice: it passes only those.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from panza.training.model import ModelSpec

SUBJECT_MODEL = "subject"  # stand-in "model": the subject line becomes the instruction
SYSTEM = "You write the short instruction that an email was written from."
USER = (
    "Summarize the email below as an instruction of one to three imperative sentences that"
    " an assistant could follow to write it. Keep the concrete details: names, dates, times,"
    " places, numbers and links. Write only the instruction.\n\nEMAIL:\n{email}"
)
RETRY_NOTE = (
    "\n\nYour last answer was not usable. Answer with one short instruction in your own"
    " words; do not copy the email."
)
MAX_WORDS = 80
# An instruction whose words come mostly in runs of this many copied from the email
# is an echo, not a summary.
ECHO_RUN = 5
ECHO_SHARE = 0.7
_LABEL = re.compile(r"^\W*instruction\W*:\W*", re.IGNORECASE)
_REPLY = re.compile(r"^\s*((re|aw|sv|antw?|fwd?|wg)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class PlaybackItem:
    """One email to play back (id is the caller's, returned with the result)."""

    id: str
    text: str
    subject: str = ""


@dataclass(frozen=True)
class PlaybackResult:
    """An instruction, or why none could be made; `model` made it."""

    id: str
    instruction: str | None
    error: str | None
    model: str


class Generator(Protocol):
    """Raw instruction text per item; `retry` asks for a stricter second attempt."""

    @property
    def model_id(self) -> str: ...

    def __call__(self, items: Sequence[PlaybackItem], retry: bool) -> list[str]: ...


def clean(raw: str) -> str:
    """Drop a leading "Instruction:" label (any case, markdown), quotes and line breaks."""
    text = " ".join(raw.split())
    while True:
        stripped = _LABEL.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def validate(raw: str, email: str) -> tuple[str | None, str | None]:
    """(instruction, None) when usable, else (None, reason): empty, too_long or echo."""
    text = clean(raw)
    words = text.split()
    if not words:
        return None, "empty"
    if len(words) > MAX_WORDS:
        return None, f"too_long ({len(words)} words)"
    if _is_echo(words, email.split()):
        return None, "echo"
    return text, None


def _is_echo(words: list[str], email_words: list[str]) -> bool:
    norm = [w.lower().strip(".,;:!?\"'") for w in words]
    enorm = [w.lower().strip(".,;:!?\"'") for w in email_words]
    if norm == enorm:
        return True
    matcher = difflib.SequenceMatcher(None, norm, enorm, autojunk=False)
    copied = sum(b.size for b in matcher.get_matching_blocks() if b.size >= ECHO_RUN)
    return len(norm) >= ECHO_RUN and copied / len(norm) >= ECHO_SHARE


def playback(
    items: Iterable[PlaybackItem], generator: Generator, batch_size: int = 8
) -> Iterator[list[PlaybackResult]]:
    """Play back `items` in batches; yields each batch's results when it is complete."""
    it = iter(items)
    while batch := list(islice(it, batch_size)):
        yield _one_batch(batch, generator)


def _one_batch(batch: list[PlaybackItem], generator: Generator) -> list[PlaybackResult]:
    outcome = {
        item.id: validate(raw, item.text)
        for item, raw in zip(batch, generator(batch, False), strict=True)
    }
    again = [item for item in batch if outcome[item.id][0] is None]
    if again:
        for item, raw in zip(again, generator(again, True), strict=True):
            outcome[item.id] = validate(raw, item.text)
    return [PlaybackResult(i.id, *outcome[i.id], model=generator.model_id) for i in batch]


def subject_instruction(subject: str) -> str:
    """The stand-in instruction for an email: its subject, as a request."""
    topic = _REPLY.sub("", subject).strip()
    if not topic:
        return ""
    if _REPLY.match(subject):
        return f'Reply to the email about "{topic}".'
    return f'Write an email about "{topic}".'


class SubjectGenerator:
    """Uses the subject line as the instruction: a stand-in where no instruction-following
    model is available (the demo, benchmarks). Deterministic, so a retry changes nothing."""

    model_id = SUBJECT_MODEL

    def __call__(self, items: Sequence[PlaybackItem], retry: bool) -> list[str]:
        return [subject_instruction(item.subject) for item in items]


class ModelGenerator:
    """An instruction-following causal LM, greedy, batched."""

    def __init__(self, spec: ModelSpec, max_new_tokens: int = 96, max_email_tokens: int = 1024):
        from panza.training.model import load_base

        self.loaded = load_base(spec)
        self._model_id = spec.name
        self.max_new_tokens = max_new_tokens
        self.max_email_tokens = max_email_tokens

    @property
    def model_id(self) -> str:
        return self._model_id

    def __call__(self, items: Sequence[PlaybackItem], retry: bool) -> list[str]:
        from panza.training.generate import generate

        tok = self.loaded.tokenizer
        prompts = [self._prompt(tok, item.text, retry) for item in items]
        return generate(self.loaded.model, tok, prompts, max_new_tokens=self.max_new_tokens)

    def _prompt(self, tok: Any, email: str, retry: bool) -> list[int]:
        # Very long emails are cut: the instruction is about what the email opens with.
        ids = tok(email.strip(), add_special_tokens=False)["input_ids"][: self.max_email_tokens]
        user = USER.format(email=tok.decode(ids)) + (RETRY_NOTE if retry else "")
        convo = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        from panza.training.prompt import chat_text

        text = chat_text(tok, convo, generation=True)
        out: list[int] = tok(text, add_special_tokens=False)["input_ids"]
        return out


def make_generator(spec: ModelSpec) -> Generator:
    """The generator a playback model name stands for ("subject" or a model id / folder)."""
    if spec.name == SUBJECT_MODEL:
        return SubjectGenerator()
    return ModelGenerator(spec)
