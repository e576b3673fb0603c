"""The eval job: held-out loss / perplexity and draft BLEU / ROUGE-L, for the bare base
model and each adapter version, on the test split.

The job's fields are :class:`panza.training.eval_files.EvalJob`; test records carry
retrieved emails where retrieval found some.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from panza.training.dataset import Item, encode_records
from panza.training.eval_files import EvalJob, EvalResult, EvalRow
from panza.training.evaluate import draft_scores, heldout_losses
from panza.training.job_context import JobContext
from panza.training.job_files import Record
from panza.training.model import load_base, load_tokenizer
from panza.training.rosa import load
from panza.training.rosa.methods import LoraTuned, RosaTuned
from panza.training.versions import heldout_summary


def run_eval(job: EvalJob, ctx: JobContext) -> EvalResult:
    records = list(job.test)
    max_length = job.max_length
    tokenizer = load_tokenizer(ctx.spec)
    model = load_base(ctx.spec, tokenizer).model
    items, _ = encode_records(tokenizer, ctx.profile, records, max_length, with_retrieved=False)
    targets: list[tuple[str, str | None]] = []
    if job.include_base:
        targets.append(("base", None))
    targets += [(v.name, v.path) for v in job.versions]
    rows: list[EvalRow] = []
    for name, path in targets:
        ctx.emit({"event": "stage", "stage": f"evaluating {name}"})
        if path is None:
            rows.append(_figures(name, model, tokenizer, items, records, job, ctx))
            continue
        tuned = load(model, Path(path))
        rows.append(_figures(name, tuned.model, tokenizer, items, records, job, ctx))
        if isinstance(tuned, RosaTuned):
            model = tuned.rosa.unload()
        elif isinstance(tuned, LoraTuned):
            model = tuned.model.unload()  # type: ignore[operator]
        else:  # full fine-tuning replaced the weights: read the base again
            model = load_base(ctx.spec, tokenizer).model
    return EvalResult(tuple(rows), len(records))


def _figures(
    name: str,
    model: nn.Module,
    tokenizer: Any,
    items: list[Item],
    records: list[Record],
    job: EvalJob,
    ctx: JobContext,
) -> EvalRow:
    pad = int(tokenizer.pad_token_id)
    summary = heldout_summary(heldout_losses(model, items, pad), [i.key for i in items])
    row = EvalRow(name, summary["loss"], summary["perplexity"])
    if not job.generate:
        return row
    sample = records[: job.limit] if job.limit else records

    def scores(with_retrieved: bool) -> dict[str, Any]:
        return draft_scores(
            model,
            tokenizer,
            ctx.profile,
            sample,
            with_retrieved=with_retrieved,
            max_new_tokens=job.max_new_tokens,
            max_prompt_tokens=job.max_length,
            progress=ctx.emit,
        )

    plain = scores(False)
    row = replace(row, bleu=plain["bleu"], rouge_l=plain["rouge_l"], drafts=plain["examples"])
    if any(r.retrieved for r in sample):
        rag = scores(True)
        row = replace(row, bleu_rag=rag["bleu"], rouge_l_rag=rag["rouge_l"])
    return row
