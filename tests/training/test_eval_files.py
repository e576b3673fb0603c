"""The eval job and its result, typed: the same JSON as before, clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from panza.training.errors import JobError
from panza.training.eval_files import EvalJob, EvalResult, EvalRow, VersionRef

JOB = """{"kind": "eval",
  "model": {"name": "/models/b", "device": "cpu", "dtype": "auto", "load_in_4bit": false,
            "allow_download": false},
  "profile": {"name": "Ada", "signature": "Ada", "facts": ""},
  "test": [{"id": "7", "instruction": "Say hi", "text": "Hi!", "date": null, "thread": [],
            "retrieved": []}],
  "versions": [{"name": "v0001", "path": "/data/adapters/v0001"}],
  "include_base": true, "generate": true, "limit": 4, "max_length": 512,
  "max_new_tokens": 64}"""
RESULT = """{"event": "result", "test_emails": 3, "rows": [
  {"name": "base", "loss": 3.5, "perplexity": 33.1},
  {"name": "v0001", "loss": 3.0, "perplexity": 20.1, "bleu": 0.25, "rouge_l": 0.5,
   "drafts": 3, "bleu_rag": 0.3, "rouge_l_rag": 0.55}]}"""


def test_an_eval_job_in_todays_format_reads_and_writes_back_the_same() -> None:
    job = EvalJob.from_json(json.loads(JOB))
    assert job.versions == (VersionRef("v0001", "/data/adapters/v0001"),)
    assert (job.limit, job.max_new_tokens, job.test[0].instruction) == (4, 64, "Say hi")
    assert job.to_json() == json.loads(JOB)


def test_an_eval_result_reads_and_writes_back_the_same() -> None:
    result = EvalResult.from_json(json.loads(RESULT))
    assert result.rows[0] == EvalRow("base", 3.5, 33.1)
    assert result.rows[1].bleu_rag == 0.3 and result.rows[1].drafts == 3
    assert {"event": "result", **result.to_json()} == json.loads(RESULT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"versions": [{"name": "v0001"}]}, "'versions' must be a list of {name, path}"),
        ({"limit": 0}, "'limit' must be a positive integer or null"),
        ({"max_length": "512"}, "'max_length' must be a positive integer"),
        ({"test": [{"id": "7"}]}, "malformed record: missing or wrong field 'instruction'"),
        ({"model": None}, "the job's 'model' needs a 'name'"),
    ],
)
def test_a_malformed_eval_job_says_which_field_to_fix(change: dict[str, Any], message: str) -> None:
    with pytest.raises(JobError, match=message):
        EvalJob.from_json({**json.loads(JOB), **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rows": None}, "needs a list of 'rows'"),
        ({"test_emails": "3"}, "needs an integer 'test_emails'"),
        ({"rows": [{"loss": 1.0}]}, "an eval row needs a 'name'"),
        ({"rows": [{"name": "base", "loss": "low"}]}, "eval row base: 'loss' must be a number"),
    ],
)
def test_a_malformed_eval_result_says_which_field_is_wrong(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(JobError, match=message):
        EvalResult.from_json({**json.loads(RESULT), **change})
