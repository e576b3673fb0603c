"""Jobs the child process runs, described by plain JSON: playback, train and eval.

Every job reports through `emit` (one JSON-ready dict per event: "stage", "step",
"playback_batch", "drafts", and one final "result"); `python -m panza.training` prints
them as JSON lines for the daemon. Common fields: "kind", "model" (ModelSpec fields),
"profile" (name, signature, facts). Each kind's job and result are typed:
:mod:`panza.training.job_files` (train), :mod:`~panza.training.job_results`,
:mod:`~panza.training.eval_files` and :mod:`~panza.training.playback_files`.
"""

from __future__ import annotations

from typing import Any

from panza.training.errors import JobError
from panza.training.eval_files import EvalJob
from panza.training.job_context import Emit, JobContext, ShouldStop
from panza.training.job_files import TrainJob, parse_model, parse_profile
from panza.training.playback_files import PlaybackBatch, PlaybackDone, PlaybackJob

__all__ = ["KINDS", "Emit", "JobContext", "ShouldStop", "run", "run_playback"]
KINDS = ("playback", "train", "eval")


def run(job: dict[str, Any], emit: Emit, should_stop: ShouldStop = lambda: False) -> dict[str, Any]:
    """Run one job; returns (and emits) its result event."""
    if not isinstance(job, dict) or job.get("kind") not in KINDS:
        raise JobError(f"a job needs a 'kind' of {', '.join(KINDS)}")
    ctx = JobContext(
        parse_model(job.get("model")), parse_profile(job.get("profile")), emit, should_stop
    )
    if job["kind"] == "playback":
        result = run_playback(PlaybackJob.from_json(job), ctx).to_json()
    elif job["kind"] == "train":
        from panza.training.train_job import run_train

        result = run_train(TrainJob.from_json(job), ctx).to_json()
    else:
        from panza.training.eval_job import run_eval

        result = run_eval(EvalJob.from_json(job), ctx).to_json()
    result = {"event": "result", **result}
    emit(result)
    return result


def run_playback(job: PlaybackJob, ctx: JobContext) -> PlaybackDone:
    """One "playback_batch" event per finished batch."""
    from panza.training.playback import make_generator, playback

    total = len(job.items)
    ctx.emit({"event": "stage", "stage": "loading playback model", "total": total})
    generator = make_generator(ctx.spec)
    done = failed = 0
    for results in playback(job.items, generator, job.batch_size):
        done += len(results)
        failed += sum(r.error is not None for r in results)
        ctx.emit(PlaybackBatch(tuple(results), done, total).to_json())
        if ctx.should_stop():
            break
    return PlaybackDone(done, failed, generator.model_id)
