"""Versions on disk and the rules between them: what a run trains on, when a version may
become current, and that a version folder is complete or absent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from panza.training import versions
from panza.training.errors import VersionError
from panza.training.manifest import Manifest

PARENT = Manifest(
    version=1,
    name="v0001",
    base_model="base",
    method="rosa",
    accepted=True,
    seen_ids=["1", "2", "3", "4"],
)


def plan(ids: list[str], parent: Manifest | None, **kw: Any) -> versions.RunPlan:
    options = {
        "base_model": "base",
        "method": "rosa",
        "full_retrain": False,
        "replay_ratio": 1.0,
        "seed": 0,
        **kw,
    }
    return versions.plan_run(ids, parent, **options)


def test_first_run_trains_on_everything() -> None:
    p = plan(["1", "2", "3"], None)
    assert (p.mode, p.why, p.train_ids, p.seen_ids) == (
        "full",
        "first run",
        ["1", "2", "3"],
        ["1", "2", "3"],
    )


def test_incremental_run_trains_on_new_emails_plus_a_replay_sample() -> None:
    p = plan(["1", "2", "3", "4", "5", "6"], PARENT)
    assert p.mode == "incremental" and p.new_ids == ["5", "6"]
    assert len(p.replay_ids) == 2 and set(p.replay_ids) <= {"1", "2", "3", "4"}
    assert sorted(p.seen_ids) == ["1", "2", "3", "4", "5", "6"]
    assert len(plan(["1", "2", "3", "4", "5", "6"], PARENT, replay_ratio=0.5).replay_ids) == 1
    # The sample is reproducible for the same seed.
    assert plan(["1", "2", "3", "4", "5", "6"], PARENT).replay_ids == p.replay_ids


def test_nothing_new_means_nothing_to_train() -> None:
    assert plan(["1", "2", "3", "4"], PARENT).train_ids == []


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"full_retrain": True}, "full retrain asked for"),
        ({"base_model": "other"}, "base model changed from 'base'"),
        ({"method": "lora"}, "method changed from 'rosa'"),
    ],
)
def test_a_full_run_when_asked_or_when_base_or_method_changed(kw: dict[str, Any], why: str) -> None:
    p = plan(["1", "2", "5"], PARENT, **kw)
    assert (p.mode, p.why, p.new_ids, p.replay_ids) == ("full", why, ["1", "2", "5"], [])


def test_acceptance_allows_the_tolerance_and_no_more() -> None:
    assert versions.decide(2.0, 2.0, 0.02, "v0001")[0]
    assert versions.decide(2.039, 2.0, 0.02, "v0001")[0]
    ok, reason = versions.decide(2.1, 2.0, 0.02, "v0001")
    assert not ok and reason == (
        "held-out loss 2.1000 is 5.0% worse than v0001's 2.0000 (tolerance 2%)"
    )
    assert versions.decide(1.5, 2.0, 0.0, "base") == (
        True,
        "held-out loss 1.5000 vs 2.0000 for base (-25.0%)",
    )
    assert versions.decide(None, None, 0.02, "base")[0]


def test_a_version_appears_complete_or_not_at_all(tmp_path: Path) -> None:
    staging = versions.staging_dir(tmp_path, 1)
    (staging / "weights.bin").write_bytes(b"x" * 100)
    versions.write_manifest(staging, PARENT)
    assert versions.list_versions(tmp_path) == []  # a staging folder is not a version
    versions.publish(staging, tmp_path / "v0001")
    assert versions.list_versions(tmp_path) == [1] and not staging.exists()
    assert versions.read_manifest(tmp_path / "v0001") == PARENT
    again = versions.staging_dir(tmp_path, 1)
    with pytest.raises(VersionError, match="never overwritten"):
        versions.publish(again, tmp_path / "v0001")
    assert versions.next_version(tmp_path, known=[3]) == 4


def test_staging_left_by_a_dead_run_is_removed_and_a_live_one_kept(tmp_path: Path) -> None:
    dead = tmp_path / ".v0002.partial-999999999"
    live = tmp_path / f".v0003.partial-{os.getppid()}"
    dead.mkdir()
    live.mkdir()
    assert versions.remove_stale_staging(tmp_path) == [dead.name]
    assert live.exists() and not dead.exists()


def test_heldout_summary_is_token_weighted() -> None:
    per = {"a": [10.0, 5], "b": [2.0, 5], "c": [99.0, 1]}
    s = versions.heldout_summary(per, ["a", "b"])
    assert s["loss"] == 1.2 and s["tokens"] == 10 and s["examples"] == 2
    assert s["perplexity"] == pytest.approx(3.3201, abs=1e-4)
