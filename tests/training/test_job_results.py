"""The jobs' result events, typed: the same JSON the child printed before, clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from panza.training.errors import JobError
from panza.training.job_results import TrainResult

# A train job's result event exactly as the child prints it (one line, here spread out).
TRAIN_RESULT = """{
  "event": "result", "status": "accepted",
  "version": 2, "name": "v0002", "base_model": "/models/panza-demo", "method": "rosa",
  "accepted": true, "parent": 1, "compared_with": "v0001",
  "hyperparameters": {"method": "rosa", "r": 8, "seed": 41},
  "mode": "incremental", "why": "1 new emails", "email_count": 3,
  "cutoff_date": "2025-04-30T18:02:00+00:00", "new_ids": ["3"], "replay_ids": ["1"],
  "skipped_ids": [], "steps": 4, "train_tokens": 812, "train_seconds": 10.25,
  "final_loss": 2.25, "reason": "held-out loss 3.0 beats v0001's 3.5",
  "created_at": "2025-05-01T03:00:12+00:00", "panza_version": "0.1.0",
  "torch_version": "2.5.1", "job_seconds": 12.5, "path": "/data/adapters/v0002",
  "heldout": {"loss": 3.0, "perplexity": 20.0855, "tokens": 2, "examples": 2},
  "compared_heldout": {"loss": 3.5, "perplexity": 33.1155, "tokens": 2, "examples": 2}
}"""
NOTHING = '{"event": "result", "status": "nothing_to_train", "why": "no emails left"}'


def test_a_train_result_in_todays_format_reads_and_writes_back_the_same() -> None:
    result = TrainResult.from_json(json.loads(TRAIN_RESULT))
    assert result.status == "accepted" and result.published is not None
    assert result.published.path == "/data/adapters/v0002"
    manifest = result.published.manifest
    assert (manifest.name, manifest.reason, manifest.new_ids) == (
        "v0002",
        "held-out loss 3.0 beats v0001's 3.5",
        ["3"],
    )
    assert manifest.heldout.perplexity == 20.0855 and manifest.compared_heldout.loss == 3.5
    assert {"event": "result", **result.to_json()} == json.loads(TRAIN_RESULT)


def test_nothing_to_train_reads_and_writes_back_the_same() -> None:
    result = TrainResult.from_json(json.loads(NOTHING))
    assert (result.status, result.why, result.published) == (
        "nothing_to_train",
        "no emails left",
        None,
    )
    assert {"event": "result", **result.to_json()} == json.loads(NOTHING)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "done"}, "'status' must be accepted, rejected or nothing_to_train"),
        ({"status": "rejected"}, "'status' rejected contradicts its 'accepted'"),
        ({"path": None}, "'path' must name the published version's folder"),
        ({"name": None}, "the train result is malformed: wrong type for name"),
        ({"heldout": 3.0}, "held-out figures must be an object"),
        ({"why": 7}, "'why' must be a string"),
    ],
)
def test_a_malformed_train_result_says_which_field_is_wrong(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(JobError, match=message):
        TrainResult.from_json({**json.loads(TRAIN_RESULT), **change})


def test_a_train_result_without_its_identity_is_refused() -> None:
    data = {k: v for k, v in json.loads(TRAIN_RESULT).items() if k != "base_model"}
    with pytest.raises(JobError, match=r"the train result is malformed: .*'base_model'"):
        TrainResult.from_json(data)
    with pytest.raises(JobError, match="a train result must be a JSON object"):
        TrainResult.from_json(["status", "accepted"])
