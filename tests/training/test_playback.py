"""Playback on the training side: validation, the single retry, batches as they finish,
and a real (tiny) model generating in batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from panza.training.model import ModelSpec
from panza.training.playback import (
    ModelGenerator,
    PlaybackItem,
    SubjectGenerator,
    clean,
    playback,
    subject_instruction,
    validate,
)

EMAIL = (
    "Dear Stephan,\n\nThank you so much for the invitation. Unfortunately I cannot be in"
    " Paris in December, since I am traveling to New York on December 9th. If it helps, I"
    " would be happy to give an online talk.\n\nBest regards,\nDavid"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Instruction: Decline the talk.", "Decline the talk."),
        ("  instruction:  Decline the talk.\n", "Decline the talk."),
        ("**Instruction:** Decline the talk.", "Decline the talk."),
        ("Instruction: Instruction: Decline the talk.", "Decline the talk."),
        ('"Decline the talk."', "Decline the talk."),
        ("Decline the\ntalk.", "Decline the talk."),
    ],
)
def test_clean_strips_labels_quotes_and_line_breaks(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_validation_accepts_a_summary_that_keeps_the_details() -> None:
    instruction = (
        "Decline Stephan's invitation to speak in Paris in December because of the New York"
        " trip on December 9th; offer an online talk instead."
    )
    assert validate("Instruction: " + instruction, EMAIL) == (instruction, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("Instruction:   ", "empty"),
        (" ".join(["word"] * 81), "too_long (81 words)"),
        (EMAIL, "echo"),
        (
            "Instruction: Unfortunately I cannot be in Paris in December, since I am traveling",
            "echo",
        ),
    ],
)
def test_validation_rejects_empty_overlong_and_echoed_output(raw: str, reason: str) -> None:
    assert validate(raw, EMAIL) == (None, reason)


class Scripted:
    """Answers from a script per (item id, attempt); records every call."""

    model_id = "scripted-model"

    def __init__(self, script: dict[tuple[str, bool], str]) -> None:
        self.script = script
        self.calls: list[tuple[list[str], bool]] = []

    def __call__(self, items: Sequence[PlaybackItem], retry: bool) -> list[str]:
        self.calls.append(([i.id for i in items], retry))
        return [self.script[(i.id, retry)] for i in items]


def test_failures_are_retried_once_then_recorded_with_the_reason() -> None:
    items = [PlaybackItem("a", EMAIL), PlaybackItem("b", EMAIL), PlaybackItem("c", EMAIL)]
    gen = Scripted(
        {
            ("a", False): "Instruction: Decline the Paris talk; offer an online one.",
            ("b", False): "",
            ("b", True): "Decline the Paris talk in December; offer an online talk.",
            ("c", False): EMAIL,
            ("c", True): "",
        }
    )
    [results] = list(playback(items, gen, batch_size=3))
    assert [(r.id, r.instruction, r.error) for r in results] == [
        ("a", "Decline the Paris talk; offer an online one.", None),
        ("b", "Decline the Paris talk in December; offer an online talk.", None),
        ("c", None, "empty"),
    ]
    # One call per attempt: the first for the batch, the retry only for what failed.
    assert gen.calls == [(["a", "b", "c"], False), (["b", "c"], True)]
    assert {r.model for r in results} == {"scripted-model"}


def test_batches_come_out_one_at_a_time() -> None:
    items = [PlaybackItem(str(n), EMAIL, subject=f"Re: Topic {n}") for n in range(5)]
    gen = SubjectGenerator()
    batches = playback(items, gen, batch_size=2)
    first = next(batches)
    assert [r.id for r in first] == ["0", "1"]
    assert first[0].instruction == 'Reply to the email about "Topic 0".'
    assert [len(b) for b in batches] == [2, 1]


def test_subject_stand_in_instructions() -> None:
    assert subject_instruction("Re: Fwd: Budget") == 'Reply to the email about "Budget".'
    assert subject_instruction("Budget") == 'Write an email about "Budget".'
    assert subject_instruction("Re: ") == ""


def test_a_real_model_generates_in_batches_and_is_recorded(tiny_base: Path) -> None:
    gen = ModelGenerator(ModelSpec(str(tiny_base)), max_new_tokens=6)
    items = [PlaybackItem(str(n), text) for n, text in enumerate([EMAIL, "Hi Tom, see you at 7."])]
    [results] = list(playback(items, gen, batch_size=2))
    assert [r.id for r in results] == ["0", "1"]
    assert all(r.model == str(tiny_base) for r in results)
    # Random weights write nonsense, but each result is an instruction or a failure reason.
    assert all((r.instruction is None) != (r.error is None) for r in results)
