"""The train job: plan (full or incremental), train, evaluate on held-out emails, decide,
and publish `adapters/vNNNN/` atomically.

The job's fields are :class:`panza.training.job_files.TrainJob`; the manifest written
beside the weights is :class:`panza.training.manifest.Manifest`. The held-out loss of
the current model (the bare base when there is no current adapter) is computed on the
same test emails, reusing the per-email figures its manifest cached and evaluating only
the emails it has not seen, so that an incremental
run costs in proportion to the new mail.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

from panza.training import versions
from panza.training.dataset import Item, encode_records
from panza.training.errors import Cancelled, JobError
from panza.training.evaluate import heldout_losses
from panza.training.job_context import JobContext
from panza.training.job_files import CurrentAdapter, TrainJob
from panza.training.job_results import NOTHING_NEW, Published, TrainResult
from panza.training.manifest import Heldout, Manifest
from panza.training.model import Loaded, ModelSpec, load_base, load_tokenizer
from panza.training.precision import plan_precision
from panza.training.rosa import Tuned, load, prepare
from panza.training.rosa.methods import LoraTuned, RosaTuned
from panza.training.rosa.peft_format import panza_version
from panza.training.trainer import train


def run_train(job: TrainJob, ctx: JobContext) -> TrainResult:
    hyper, train_recs, test_recs = job.hyper, job.train, job.test
    root, number = Path(job.adapters_dir), job.version
    if hyper.method == "full" and ctx.spec.load_in_4bit:
        raise JobError("full fine-tuning needs a full-precision base: use rosa or lora in 4-bit")
    versions.remove_stale_staging(root)
    current = job.current
    parent = versions.read_manifest(Path(current.path)) if current else None
    plan = versions.plan_run(
        [r.id for r in train_recs],
        parent,
        base_model=ctx.spec.name,
        method=hyper.method,
        full_retrain=job.full_retrain,
        replay_ratio=hyper.replay_ratio,
        seed=hyper.seed + number,
    )
    if not plan.new_ids:
        return TrainResult(why=NOTHING_NEW)
    started = time.monotonic()
    precision = plan_precision(ctx.spec, hyper)
    ctx.emit({"event": "stage", "stage": "loading model", "mode": plan.mode, "why": plan.why})
    tokenizer = load_tokenizer(ctx.spec)
    loaded = load_base(precision.load_spec, tokenizer)
    pad = int(tokenizer.pad_token_id)
    by_id = {r.id: r for r in train_recs}
    chosen = [by_id[i] for i in plan.train_ids]
    items, skipped = encode_records(tokenizer, ctx.profile, chosen, hyper.max_length)
    if not items:
        raise JobError(
            f"none of the {len(chosen)} emails fits in max_length = {hyper.max_length} tokens"
            " with its prompt; raise training.max_length"
        )
    test_items, _ = encode_records(
        tokenizer, ctx.profile, test_recs, hyper.max_length, with_retrieved=False
    )
    ctx.emit({"event": "stage", "stage": "held-out figures of the current model"})
    tuned, compared, compared_name = _current_figures(
        loaded, precision.load_spec, current, parent, plan, test_items, pad
    )
    if tuned is None:
        tuned = prepare(
            loaded.model, hyper.method_config(ctx.spec.name, hyper.steps_for(len(items)))
        )
    ctx.emit({"event": "stage", "stage": "training", "examples": len(items)})
    result = train(
        tuned,
        items,
        hyper,
        pad_id=pad,
        progress=ctx.emit,
        should_stop=ctx.should_stop,
        compute_dtype=precision.compute_dtype,
        checkpointing=precision.checkpointing,
    )
    ctx.emit({"event": "stage", "stage": "held-out figures of the new version"})
    figures = heldout_losses(tuned.model, test_items, pad)
    keys = [i.key for i in test_items]
    new_sum = versions.heldout_summary(figures, keys)
    old_sum = versions.heldout_summary(compared, keys)
    accepted, reason = versions.decide(
        new_sum["loss"], old_sum["loss"], hyper.acceptance_tolerance, compared_name
    )
    if ctx.should_stop():
        raise Cancelled("training was cancelled")
    dates = [d for d in (by_id[i].date for i in plan.seen_ids if i in by_id) if d]
    manifest = Manifest(
        version=number,
        name=versions.version_name(number),
        parent=current.version if plan.mode == "incremental" and current else None,
        compared_with=compared_name,
        base_model=ctx.spec.name,
        method=hyper.method,
        hyperparameters=hyper.to_json(),
        mode=plan.mode,
        why=plan.why,
        email_count=len(plan.seen_ids),
        cutoff_date=max(dates) if dates else None,
        seen_ids=plan.seen_ids,
        new_ids=plan.new_ids,
        replay_ids=plan.replay_ids,
        skipped_ids=skipped,
        steps=result.steps,
        train_tokens=result.tokens,
        train_seconds=round(result.seconds, 3),
        final_loss=result.losses[-1] if result.losses else None,
        heldout=Heldout(**new_sum, per_example=figures),
        compared_heldout=Heldout(**old_sum, per_example=compared),
        accepted=accepted,
        reason=reason,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        panza_version=panza_version(),
        torch_version=torch.__version__,
        job_seconds=round(time.monotonic() - started, 3),
    )
    _publish(tuned, root, number, manifest)
    return TrainResult(published=Published(str(root / versions.version_name(number)), manifest))


def _current_figures(
    loaded: Loaded,
    spec: ModelSpec,
    current: CurrentAdapter | None,
    parent: Manifest | None,
    plan: versions.RunPlan,
    test_items: list[Item],
    pad: int,
) -> tuple[Tuned | None, dict[str, list[float]], str]:
    """Per-email held-out figures of the current model; for an incremental run, also the
    current adapter loaded for training (so it is loaded once)."""
    if current is None or parent is None or parent.base_model != spec.name:
        # No current adapter, or one for another base model (which is not loaded here):
        # the new version has to beat the bare base.
        return None, heldout_losses(loaded.model, test_items, pad), "base"
    name = versions.version_name(current.version)
    cached: dict[str, list[float]] = dict(parent.heldout.per_example)
    missing = [i for i in test_items if i.key not in cached]
    if plan.mode == "incremental":
        tuned = load(loaded.model, current.path, trainable=True)
        cached.update(heldout_losses(tuned.model, missing, pad))
        return tuned, cached, name
    if missing:
        # A full retrain starts from the base: evaluate the current adapter, then take it off.
        tuned = load(loaded.model, current.path)
        cached.update(heldout_losses(tuned.model, missing, pad))
        loaded.model = _bare(tuned, loaded, spec)
    return None, cached, name


def _bare(tuned: Tuned, loaded: Loaded, spec: ModelSpec) -> torch.nn.Module:
    """The base model again, with `tuned`'s adapter removed."""
    if isinstance(tuned, RosaTuned):
        return tuned.rosa.unload()
    if isinstance(tuned, LoraTuned):
        base: torch.nn.Module = tuned.model.unload()  # type: ignore[operator]
        return base
    # Full fine-tuning overwrote the weights in place: read the base again.
    return load_base(spec, loaded.tokenizer).model


def _publish(tuned: Tuned, root: Path, number: int, manifest: Manifest) -> None:
    staging = versions.staging_dir(root, number)
    try:
        tuned.save(staging)
        versions.write_manifest(staging, manifest)
        versions.publish(staging, root / versions.version_name(number))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
