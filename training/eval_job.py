"""The eval job: held-out loss / perplexity and draft BLEU / ROUGE-L, for the bare base
model and each adapter version, on the test split.

Fields: "test" (records, retrieved emails attached where retrieval found some),
"versions" ([{"name", "path"}]), "include_base", "generate" (score drafts too),
"max_length", "max_new_tokens", "limit" (drafts for at most this many test emails;
generation is the slow part).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from panza.training.dataset import Item, encode_records
from panza.training.evaluate import draft_scores, heldout_losses
from panza.training.job_context import JobContext
from panza.training.job_files import Record
from panza.training.model import load_base, load_tokenizer
from panza.training.rosa import load
from panza.training.rosa.methods import LoraTuned, RosaTuned
from panza.training.versions import heldout_summary


def run_eval(job: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    records = [Record.from_json(r) for r in job.get("test", [])]
    max_length = int(job.get("max_length", 512))
    tokenizer = load_tokenizer(ctx.spec)
    model = load_base(ctx.spec, tokenizer).model
    items, _ = encode_records(tokenizer, ctx.profile, records, max_length, with_retrieved=False)
    targets: list[tuple[str, str | None]] = []
    if job.get("include_base", True):
        targets.append(("base", None))
    targets += [(str(v["name"]), str(v["path"])) for v in job.get("versions", [])]
    rows = []
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
    return {"rows": rows, "test_emails": len(records)}


def _figures(
    name: str,
    model: nn.Module,
    tokenizer: Any,
    items: list[Item],
    records: list[Record],
    job: dict[str, Any],
    ctx: JobContext,
) -> dict[str, Any]:
    pad = int(tokenizer.pad_token_id)
    summary = heldout_summary(heldout_losses(model, items, pad), [i.key for i in items])
    row: dict[str, Any] = {
        "name": name,
        "loss": summary["loss"],
        "perplexity": summary["perplexity"],
    }
    if not job.get("generate", True):
        return row
    sample = records[: int(job["limit"])] if job.get("limit") else records
    new_tokens = int(job.get("max_new_tokens", 256))

    def scores(with_retrieved: bool) -> dict[str, Any]:
        return draft_scores(
            model,
            tokenizer,
            ctx.profile,
            sample,
            with_retrieved=with_retrieved,
            max_new_tokens=new_tokens,
            max_prompt_tokens=int(job.get("max_length", 512)),
            progress=ctx.emit,
        )

    plain = scores(False)
    row.update(bleu=plain["bleu"], rouge_l=plain["rouge_l"], drafts=plain["examples"])
    if any(r.retrieved for r in sample):
        rag = scores(True)
        row.update(bleu_rag=rag["bleu"], rouge_l_rag=rag["rouge_l"])
    return row
