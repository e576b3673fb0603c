"""Training, store side: gather records, run the train job in a child process, and record
the new adapter version (accepted and current, or rejected with the reason).

The child publishes `adapters/vNNNN/` atomically and decides acceptance from held-out
loss; this side records that decision in one transaction. A version folder that exists
but was never recorded (this process died in between) is adopted from its manifest on
the next run. One run at a time: a lock file in the adapters folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from panza.daemon.config import Config
from panza.daemon.errors import BusyError, UserError
from panza.daemon.paths import Paths
from panza.daemon.store import Store
from panza.daemon.store.state import (
    adapter_versions,
    add_adapter_version,
    current_adapter,
    set_current_adapter,
)
from panza.daemon.tuning import child, examples, job_fields
from panza.daemon.tuning.examples import Retriever
from panza.daemon.tuning.retriever import index_retriever
from panza.training import versions
from panza.training.errors import VersionError
from panza.training.hyper import Hyper
from panza.training.job_files import CurrentAdapter, Record, TrainJob
from panza.training.job_results import NOTHING_NEW, TrainResult, TrainStatus
from panza.training.manifest import Manifest
from panza.training.settings import MethodName

log = logging.getLogger(__name__)
OnEvent = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class TrainOutcome:
    """What a run did: the result of the child, and the version recorded in the store."""

    version: int | None
    result: TrainResult

    @property
    def status(self) -> TrainStatus:
        return self.result.status


@contextlib.contextmanager
def exclusive(adapters_dir: Path) -> Iterator[None]:
    adapters_dir.mkdir(parents=True, exist_ok=True)
    with open(adapters_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError("another training run is in progress") from None
        yield


def adopt_orphans(store: Store, adapters_dir: Path) -> list[int]:
    """Record published versions the store does not know (a crash after publishing)."""
    known = adapter_versions(store.conn)
    adopted = []
    for number in versions.list_versions(adapters_dir):
        if number in known:
            continue
        folder = adapters_dir / versions.version_name(number)
        try:
            manifest = versions.read_manifest(folder)
        except VersionError as exc:
            log.warning("ignoring %s: %s", folder, exc)
            continue
        current = current_adapter(store.conn)
        compared = versions.version_name(current) if current is not None else "base"
        make_current = manifest.accepted and manifest.compared_with == compared
        _record(store, number, folder, manifest, make_current)
        adopted.append(number)
    return adopted


def run_training(
    store: Store,
    config: Config,
    paths: Paths,
    *,
    method: MethodName | None = None,
    full_retrain: bool = False,
    on_event: OnEvent | None = None,
    retriever: Retriever | Literal["index"] | None = "index",
    command: Sequence[str] = child.CHILD,
    niceness: int = 0,
) -> TrainOutcome:
    """One training run: full the first time (or when asked), incremental afterwards."""
    notify = (lambda msg: on_event({"event": "notice", "message": msg})) if on_event else None
    with exclusive(paths.adapters_dir):
        adopt_orphans(store, paths.adapters_dir)
        split = examples.load_split(store.conn)
        if not split.train:
            raise UserError(
                "no training emails with an instruction yet: import mail, then run panza playback"
            )
        current = current_adapter(store.conn)
        known = adapter_versions(store.conn)
        spec = job_fields.model_spec(config, paths, job_fields.base_name(config), notify)
        hyper = Hyper.from_settings(config.training, method)
        if current is not None and not full_retrain:
            parent = versions.read_manifest(known[current].path)
            if not _has_new(split.train, parent, spec.name, hyper.method):
                return TrainOutcome(None, TrainResult(why=NOTHING_NEW))
        if retriever == "index" and config.training.rag_share > 0:
            retriever = index_retriever(store, config, paths, config.training.rag_k)
        if callable(retriever) and config.training.rag_share > 0:
            # Test emails never appear in training prompts, not even as context.
            examples.attach_retrieved(
                split.train,
                retriever,
                share=config.training.rag_share,
                seed=config.training.seed,
                never=[int(r["id"]) for r in split.test],
            )
        number = versions.next_version(paths.adapters_dir, known)
        job = TrainJob(
            model=spec,
            profile=job_fields.profile(config),
            hyper=hyper,
            train=tuple(Record.from_json(r) for r in split.train),
            test=tuple(Record.from_json(r) for r in split.test),
            adapters_dir=str(paths.adapters_dir),
            version=number,
            current=None if current is None else CurrentAdapter(current, str(known[current].path)),
            full_retrain=full_retrain,
        )
        event = child.run_job(
            job.to_json(),
            on_event or (lambda e: None),
            command=command,
            niceness=niceness,
            env=job_fields.child_env(),
        )
        result = TrainResult.from_json(event)
        if result.published is None:
            return TrainOutcome(None, result)
        folder = Path(result.published.path)
        manifest = versions.read_manifest(folder)
        # Still current as when the run started? Then the child's comparison holds.
        make_current = manifest.accepted and current_adapter(store.conn) == current
        _record(store, number, folder, manifest, make_current)
        return TrainOutcome(number, result)


def _has_new(train: list[dict[str, Any]], parent: Manifest, base: str, method: str) -> bool:
    """Whether the child would train at all: checked here so that "nothing new" costs no
    model load in a child process."""
    plan = versions.plan_run(
        [r["id"] for r in train],
        parent,
        base_model=base,
        method=method,
        full_retrain=False,
        replay_ratio=0.0,
        seed=0,
    )
    return bool(plan.new_ids)


def _record(
    store: Store, number: int, folder: Path, manifest: Manifest, make_current: bool
) -> None:
    metrics = {
        "heldout": manifest.heldout.summary(),
        "compared_heldout": manifest.compared_heldout.summary(),
        "compared_with": manifest.compared_with,
        "mode": manifest.mode,
        "steps": manifest.steps,
        "new_emails": len(manifest.new_ids),
        "replayed_emails": len(manifest.replay_ids),
        "train_seconds": manifest.train_seconds,
        "base_model": manifest.base_model,
    }
    with store.write(durable=True) as conn:
        add_adapter_version(
            conn,
            number,
            str(folder),
            manifest.method,
            "accepted" if manifest.accepted else "rejected",
            parent=manifest.parent,
            reason=manifest.reason,
            email_count=manifest.email_count,
            cutoff_date=manifest.cutoff_date,
            metrics=metrics,
        )
        if make_current:
            set_current_adapter(conn, number)
