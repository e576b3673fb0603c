"""The playback job and its batch event, typed: the same JSON as before, clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from panza.training.errors import JobError
from panza.training.model import ModelSpec
from panza.training.playback import PlaybackItem, PlaybackResult
from panza.training.playback_files import PlaybackBatch, PlaybackDone, PlaybackJob

JOB = """{"kind": "playback",
  "model": {"name": "/models/p", "device": "cpu", "dtype": "auto", "load_in_4bit": false,
            "allow_download": false},
  "items": [{"id": "7", "subject": "Lunch", "text": "See you at noon."}], "batch_size": 2}"""
BATCH = """{"event": "playback_batch", "done": 2, "total": 5, "results": [
  {"id": "7", "instruction": "Say noon.", "error": null, "model": "/models/p"},
  {"id": "8", "instruction": null, "error": "echo of the email", "model": "/models/p"}]}"""


def test_a_playback_job_in_todays_format_reads_and_writes_back_the_same() -> None:
    job = PlaybackJob.from_json(json.loads(JOB))
    assert job.items == (PlaybackItem("7", "See you at noon.", "Lunch"),) and job.batch_size == 2
    assert job.model == ModelSpec("/models/p", device="cpu", dtype="auto")
    assert job.to_json() == json.loads(JOB)


def test_a_playback_batch_reads_and_writes_back_the_same() -> None:
    batch = PlaybackBatch.from_json(json.loads(BATCH))
    assert batch.results[1] == PlaybackResult("8", None, "echo of the email", "/models/p")
    assert (batch.done, batch.total) == (2, 5) and batch.to_json() == json.loads(BATCH)
    assert PlaybackDone(2, 1, "/models/p").to_json() == {
        "done": 2,
        "failed": 1,
        "model": "/models/p",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": [{"id": "7"}]}, "malformed playback item: missing or wrong field 'text'"),
        ({"items": {"id": "7"}}, "'items' must be a list of emails"),
        ({"batch_size": "8"}, "'batch_size' must be a positive integer"),
        ({"batch_size": 0}, "'batch_size' must be a positive integer"),
        ({"model": {"device": "cpu"}}, "the job's 'model' needs a 'name'"),
    ],
)
def test_a_malformed_playback_job_says_which_field_to_fix(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(JobError, match=message):
        PlaybackJob.from_json({**json.loads(JOB), **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"done": "2"}, "needs integer 'done' and 'total'"),
        ({"results": [{"id": "7", "error": None}]}, "missing or wrong field 'instruction'"),
        (
            {"results": [{"id": "7", "instruction": 3, "error": None, "model": "m"}]},
            "'instruction'",
        ),
    ],
)
def test_a_malformed_playback_batch_says_which_field_is_wrong(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(JobError, match=message):
        PlaybackBatch.from_json({**json.loads(BATCH), **change})
