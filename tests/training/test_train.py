"""Training in-process on the tiny model: every method lowers the loss, incremental runs train
on new plus replayed emails only, versions record what they are, cancellation publishes
nothing, and a missing model is a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import panza.training.memory
import panza.training.train_job as train_job
from panza.training.dataset import encode_records
from panza.training.errors import Cancelled, ModelNotFoundError
from panza.training.hyper import Hyper
from panza.training.job import run
from panza.training.memory import InsufficientMemoryError
from panza.training.model import ModelSpec, load_base, load_tokenizer
from panza.training.rosa import prepare
from panza.training.rosa.methods import RosaTuned
from panza.training.trainer import train
from panza.training.versions import list_versions, read_manifest
from tests.corpus import records
from tests.model_fixtures import PROFILE

FAST = {"epochs": 4, "batch_size": 4, "micro_batch_size": 4, "max_length": 256}


@pytest.mark.parametrize(("method", "lr"), [("rosa", 1e-2), ("lora", 1e-2), ("full", 3e-3)])
def test_each_method_lowers_the_training_loss(tiny_base: Path, method: str, lr: float) -> None:
    spec = ModelSpec(str(tiny_base))
    loaded = load_base(spec)
    hyper = Hyper(method=method, learning_rate=lr, **FAST)  # type: ignore[arg-type]
    items, skipped = encode_records(loaded.tokenizer, PROFILE, records()[:8], hyper.max_length)
    assert len(items) == 8 and not skipped
    tuned = prepare(loaded.model, hyper.method_config(spec.name, hyper.steps_for(len(items))))
    events: list[dict[str, Any]] = []
    result = train(
        tuned, items, hyper, pad_id=loaded.tokenizer.pad_token_id, progress=events.append
    )
    steps = [e for e in events if e["event"] == "step"]
    assert result.steps == hyper.steps_for(8) == 8
    assert sum(result.losses[-3:]) < sum(result.losses[:3])
    assert [s["step"] for s in steps] == list(range(1, 9))
    assert {"loss", "tokens_per_s", "eta_s", "total"} <= set(steps[0]) and steps[-1]["eta_s"] == 0
    if isinstance(tuned, RosaTuned):  # the sparse part was chosen and trained too
        assert tuned.rosa.has_masks
        assert any(float(p.detach().abs().sum()) > 0 for p in tuned.rosa.sparse_parameters())


def _job(
    tiny_base: Path, root: Path, version: int, train_recs: list[Any], **kw: Any
) -> dict[str, Any]:
    return {
        "kind": "train",
        "model": {"name": str(tiny_base)},
        "profile": {"name": "David"},
        "hyper": {**FAST, "epochs": 2, "learning_rate": 1e-2, "replay_ratio": 1.0},
        "train": [r.to_json() for r in train_recs],
        "test": [r.to_json() for r in records()[12:16]],
        "adapters_dir": str(root),
        "version": version,
        "current": None,
        **kw,
    }


def test_an_incremental_run_trains_only_on_new_and_replayed_emails(
    tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained_on: list[list[str]] = []
    real_train = train_job.train

    def spy(tuned: Any, items: Any, hyper: Hyper, **kw: Any) -> Any:
        trained_on.append(sorted({i.record_id for i in items}, key=int))
        return real_train(tuned, items, hyper, **kw)

    monkeypatch.setattr(train_job, "train", spy)
    recs = records()
    first = run(_job(tiny_base, tmp_path, 1, recs[:8]), lambda e: None)
    assert first["status"] == "accepted" and first["mode"] == "full"
    assert trained_on[0] == [str(i) for i in range(1, 9)]

    second = run(
        _job(tiny_base, tmp_path, 2, recs[:11], current={"version": 1, "path": first["path"]}),
        lambda e: None,
    )
    assert second["mode"] == "incremental" and second["parent"] == 1
    assert second["new_ids"] == ["9", "10", "11"]
    replay = second["replay_ids"]
    assert len(replay) == 3 and set(replay) <= {str(i) for i in range(1, 9)}
    assert trained_on[1] == sorted(["9", "10", "11", *replay], key=int)
    assert second["steps"] == Hyper(**{**FAST, "epochs": 2}).steps_for(6)  # proportionate

    manifest = read_manifest(Path(second["path"]))
    assert manifest.email_count == 11 and sorted(manifest.seen_ids, key=int) == [
        str(i) for i in range(1, 12)
    ]
    assert manifest.cutoff_date == recs[10].date
    assert manifest.base_model == str(tiny_base) and manifest.method == "rosa"
    assert manifest.hyperparameters["r"] == 8 and manifest.compared_with == "v0001"
    assert manifest.heldout.examples == 4 and (manifest.heldout.perplexity or 0) > 1
    # Held-out figures of v0001 were reused from its manifest, not recomputed.
    assert manifest.compared_heldout.loss == first["heldout"]["loss"]

    nothing = run(
        _job(tiny_base, tmp_path, 3, recs[:11], current={"version": 2, "path": second["path"]}),
        lambda e: None,
    )
    assert nothing["status"] == "nothing_to_train" and list_versions(tmp_path) == [1, 2]


def test_a_cancelled_run_publishes_nothing(tiny_base: Path, tmp_path: Path) -> None:
    seen: list[int] = []

    def stop_after_two_steps() -> bool:
        return len(seen) >= 2

    def emit(event: dict[str, Any]) -> None:
        if event["event"] == "step":
            seen.append(event["step"])

    with pytest.raises(Cancelled):
        run(_job(tiny_base, tmp_path, 1, records()[:8]), emit, stop_after_two_steps)
    assert seen == [1, 2] and list(tmp_path.iterdir()) == []


def test_a_run_that_cannot_fit_in_memory_is_refused_before_loading(
    tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panza.training.memory, "machine_memory", lambda: 0.5e9)
    events: list[dict[str, Any]] = []
    with pytest.raises(InsufficientMemoryError) as caught:
        run(_job(tiny_base, tmp_path, 1, records()[:8]), events.append)
    message = str(caught.value)
    assert message.startswith("rosa training of this model needs about 0.")
    assert "more than the 0.5 GB this machine has; use --method lora" in message
    assert caught.value.kind == "out_of_memory"
    assert not [e for e in events if e.get("stage") == "loading model"]
    assert list_versions(tmp_path) == []


def test_the_run_estimate_from_the_first_steps_is_sane(tiny_base: Path, tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    result = run(_job(tiny_base, tmp_path, 1, records()[:12]), events.append)
    estimates = [e for e in events if e["event"] == "estimate"]
    steps = [e for e in events if e["event"] == "step"]
    assert len(estimates) == 1 and estimates[0]["steps_measured"] == 2
    assert estimates[0]["total"] == len(steps) == result["steps"] == 6
    # The first steps include warm-up, so the estimate may run long, never wildly off.
    actual = result["train_seconds"]
    assert 0.3 * actual <= estimates[0]["total_s"] <= 4 * actual
    etas = [e["eta_s"] for e in steps]
    assert etas == sorted(etas, reverse=True) and etas[-1] == 0


def test_a_model_missing_offline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not on this machine and downloads are off"):
        load_tokenizer(ModelSpec("panza-tests/no-such-model"))
    with pytest.raises(ModelNotFoundError, match="no model folder at"):
        load_tokenizer(ModelSpec(str(tmp_path / "missing")))
    with pytest.raises(ModelNotFoundError, match="no base model is set"):
        load_base(ModelSpec(""))
