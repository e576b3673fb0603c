"""Evaluation, store side: the test split (with retrieved context) and the versions to
score go to an eval job; rows come back per model (the bare base, then each version)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from panza.daemon.config import Config
from panza.daemon.errors import UserError
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.daemon.store.state import adapter_versions, current_adapter
from panza.daemon.tuning import child, examples, job_fields
from panza.daemon.tuning.examples import Retriever
from panza.daemon.tuning.retriever import index_retriever
from panza.training.eval_files import EvalJob, EvalResult, VersionRef
from panza.training.job_files import Record
from panza.training.versions import version_name

OnEvent = Callable[[dict[str, Any]], None]


def run_eval(
    store: Store,
    config: Config,
    paths: Paths,
    *,
    which: Literal["all", "current", "accepted"] = "accepted",
    generate: bool = True,
    limit: int | None = None,
    max_new_tokens: int = 256,
    on_event: OnEvent | None = None,
    retriever: Retriever | Literal["index"] | None = "index",
    command: Sequence[str] = child.CHILD,
) -> list[dict[str, Any]]:
    """Figures per model on the test split; each row also says status and email count."""
    split = examples.load_split(store.conn)
    if not split.test:
        raise UserError("no test emails with an instruction: import more mail, run panza playback")
    if generate and retriever == "index":
        retriever = index_retriever(store, config, paths, config.training.rag_k)
    if generate and callable(retriever):
        # Serving conditions: anything but the email itself may be retrieved.
        # Only the emails drafts are made for (the first `limit`) need it.
        drafted = split.test[:limit] if limit else split.test
        examples.attach_retrieved(drafted, retriever, share=1.0, seed=0)
    known = adapter_versions(store.conn)
    current = current_adapter(store.conn)
    spec = job_fields.model_spec(config, paths, job_fields.base_name(config))
    chosen = [
        n
        for n, v in known.items()
        if (
            which == "all"
            or (which == "current" and n == current)
            or (which == "accepted" and v.status == "accepted")
        )
        # An adapter only fits the base model it was trained on.
        and v.metrics.get("base_model") in (None, spec.name)
    ]
    job = EvalJob(
        model=spec,
        profile=job_fields.profile(config),
        test=tuple(Record.from_json(r) for r in split.test),
        versions=tuple(VersionRef(version_name(n), str(known[n].path)) for n in chosen),
        generate=generate,
        limit=limit,
        max_length=config.training.max_length,
        max_new_tokens=max_new_tokens,
    )
    event = child.run_job(
        job.to_json(), on_event or (lambda e: None), command=command, env=job_fields.child_env()
    )
    result = EvalResult.from_json(event)
    rows: list[dict[str, Any]] = []
    for row, number in zip(result.rows, [None, *chosen], strict=True):
        if number is None:
            rows.append({**row.to_json(), "version": None, "status": "base", "email_count": None})
        else:
            status = "current" if number == current else known[number].status
            count = known[number].email_count
            rows.append(
                {**row.to_json(), "version": number, "status": status, "email_count": count}
            )
    return rows
