"""The job file and the adapter manifest, typed: same JSON as before, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from panza.training.errors import JobError, VersionError
from panza.training.hyper import Hyper
from panza.training.job_files import CurrentAdapter, Record, TrainJob
from panza.training.model import ModelSpec
from panza.training.prompt import PastEmail, Profile
from panza.training.versions import read_manifest, write_manifest

# A manifest exactly as a published version holds it on a user's disk (format 1).
ON_DISK = """{
  "accepted": true,
  "base_model": "/home/ada/.local/share/panza/models/panza-demo",
  "compared_heldout": {"examples": 2, "loss": 3.5, "per_example": {"7:ab": [7.0, 2]},
                       "perplexity": 33.1155, "tokens": 2},
  "compared_with": "v0001",
  "created_at": "2025-05-01T03:00:12+00:00",
  "cutoff_date": "2025-04-30T18:02:00+00:00",
  "email_count": 3,
  "final_loss": 2.25,
  "format": 1,
  "heldout": {"examples": 2, "loss": 3.0, "per_example": {"7:ab": [6.0, 2]},
              "perplexity": 20.0855, "tokens": 2},
  "hyperparameters": {"acceptance_tolerance": 0.02, "alpha": 16.0, "batch_size": 8,
                      "density": 0.01, "dropout": 0.05, "epochs": 5, "learning_rate": 1e-05,
                      "mask_warmup_steps": 16, "max_length": 512, "method": "rosa",
                      "micro_batch_size": 1, "r": 8, "replay_ratio": 0.5, "seed": 41,
                      "sparse_learning_rate": null, "target_modules": "all-linear",
                      "warmup_steps": 8},
  "job_seconds": 12.5,
  "method": "rosa",
  "mode": "incremental",
  "name": "v0002",
  "new_ids": ["3"],
  "panza_version": "0.1.0",
  "parent": 1,
  "reason": "held-out loss 3.0 beats v0001's 3.5",
  "replay_ids": ["1"],
  "seen_ids": ["1", "2", "3"],
  "skipped_ids": [],
  "steps": 4,
  "torch_version": "2.5.1",
  "train_seconds": 10.25,
  "train_tokens": 812,
  "version": 2,
  "why": "1 new emails"
}
"""


def test_a_manifest_in_the_on_disk_format_loads_and_writes_back_the_same(tmp_path: Path) -> None:
    (tmp_path / "v0002").mkdir()
    (tmp_path / "v0002" / "panza_version.json").write_text(ON_DISK)
    manifest = read_manifest(tmp_path / "v0002")
    assert (manifest.version, manifest.parent, manifest.accepted) == (2, 1, True)
    assert manifest.compared_with == "v0001" and manifest.seen_ids == ["1", "2", "3"]
    assert manifest.heldout.loss == 3.0 and manifest.heldout.per_example == {"7:ab": [6.0, 2]}
    assert manifest.compared_heldout.summary()["perplexity"] == 33.1155
    (tmp_path / "again").mkdir()
    write_manifest(tmp_path / "again", manifest)
    again = json.loads((tmp_path / "again" / "panza_version.json").read_text())
    assert again == json.loads(ON_DISK)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accepted": "yes"}, "wrong type for accepted"),
        ({"seen_ids": None}, "wrong type for seen_ids"),
        ({"heldout": [1, 2]}, "held-out figures must be an object"),
    ],
)
def test_a_damaged_manifest_says_what_is_wrong(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    (tmp_path / "panza_version.json").write_text(json.dumps({**json.loads(ON_DISK), **change}))
    with pytest.raises(VersionError, match=message):
        read_manifest(tmp_path)


def test_a_manifest_without_its_identity_is_refused(tmp_path: Path) -> None:
    (tmp_path / "panza_version.json").write_text('{"format": 1, "version": 2, "name": "v0002"}')
    with pytest.raises(VersionError, match=r"panza_version\.json is malformed: .*'base_model'"):
        read_manifest(tmp_path)


def job() -> TrainJob:
    record = Record("7", "Say hi", "Hi!", "2025-01-01", retrieved=(PastEmail("s", "t", None),))
    return TrainJob(
        model=ModelSpec("/models/base", device="cpu"),
        profile=Profile("Ada", "Ada"),
        hyper=Hyper(r=4, epochs=5),
        train=(record,),
        test=(),
        adapters_dir="/data/adapters",
        version=3,
        current=CurrentAdapter(2, "/data/adapters/v0002"),
    )


def test_a_train_job_survives_the_trip_through_json() -> None:
    text = json.dumps(job().to_json())
    assert TrainJob.from_json(json.loads(text)) == job()
    assert json.loads(text)["current"] == {"version": 2, "path": "/data/adapters/v0002"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": "3"}, "needs 'adapters_dir' and an integer 'version'"),
        ({"adapters_dir": None}, "needs 'adapters_dir' and an integer 'version'"),
        ({"current": {"version": 2}}, "'current' needs an integer 'version' and a 'path'"),
        ({"train": {"id": 1}}, "'train' must be a list of records"),
        ({"test": [{"id": "1"}]}, "malformed record: missing or wrong field 'instruction'"),
        ({"hyper": {"rank": 4}}, "unknown training settings: rank"),
        ({"hyper": {"r": "four"}}, "invalid training settings"),
        ({"model": {"name": "m", "gpu": 1}}, "unknown model fields: gpu"),
        ({"profile": {"name": " "}}, "the job's 'profile' needs a 'name'"),
    ],
)
def test_a_malformed_train_job_says_which_field_to_fix(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(JobError, match=message):
        TrainJob.from_json({**job().to_json(), **change})
