"""``panza playback``, ``panza train`` and ``panza eval``: learning in the foreground."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tqdm import tqdm

from panza.daemon.cli import context
from panza.daemon.cli.progress import Progress
from panza.daemon.store import Store
from panza.daemon.tuning import PlaybackOutcome, run_eval, run_playback, run_training
from panza.training.progress import describe_estimate, duration


def register(sub: Any) -> None:
    pb = sub.add_parser("playback", help="write an instruction for each email that lacks one")
    pb.add_argument("--retry-failed", action="store_true", help="retry emails that failed before")
    pb.set_defaults(func=cmd_playback)

    tr = sub.add_parser("train", help="train a new adapter version on your sent mail")
    tr.add_argument("--method", choices=("rosa", "lora", "full"), help="default: the config's")
    tr.add_argument(
        "--full-retrain", action="store_true", help="start from the base model on every email"
    )
    tr.add_argument("--skip-playback", action="store_true", help="train on what has instructions")
    tr.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="score the base model and adapter versions on test emails")
    ev.add_argument(
        "--versions",
        choices=("accepted", "all", "current"),
        default="accepted",
        help="which adapter versions to score besides the base (those of another base are skipped)",
    )
    ev.add_argument("--limit", type=int, help="generate drafts for at most N test emails")
    ev.add_argument("--no-drafts", action="store_true", help="held-out loss only (fast)")
    ev.add_argument("--max-new-tokens", type=int, default=256)
    ev.add_argument("--json", action="store_true", help="one JSON array on stdout")
    ev.set_defaults(func=cmd_eval)


def _playback(store: Store, retry_failed: bool) -> PlaybackOutcome:
    config, paths = context.config(), context.current_paths()
    with Progress(None, unit="email", desc="playback") as bar:
        outcome = run_playback(store, config, paths, retry_failed=retry_failed, progress=bar.set)
    if outcome.pending:
        failed = ", ".join(f"{k}: {v}" for k, v in outcome.failed.most_common())
        print(
            f"Playback with {outcome.model}: {outcome.written} instructions written,"
            f" {sum(outcome.failed.values())} failed" + (f" ({failed})" if failed else "")
        )
    return outcome


def cmd_playback(args: argparse.Namespace) -> int:
    with context.open_store() as store:
        outcome = _playback(store, args.retry_failed)
    if not outcome.pending:
        print(f"Playback with {outcome.model}: every email already has an instruction")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    config, paths = context.config(), context.current_paths()
    with context.open_store() as store:
        if not args.skip_playback:
            _playback(store, retry_failed=False)
        with _TrainBar() as bar:
            outcome = run_training(
                store,
                config,
                paths,
                method=args.method,
                full_retrain=args.full_retrain,
                on_event=bar.event,
            )
    published = outcome.result.published
    if published is None:
        print(
            "Nothing to train: the current adapter has seen every email"
            " (use --full-retrain to start over)"
        )
        return 0
    m = published.manifest
    new, old = m.heldout, m.compared_heldout
    verdict = "accepted and now current" if m.accepted else "rejected"
    print(f"{m.name} {verdict}: {m.reason}")
    if not m.accepted:
        print(f"  {m.compared_with} stays current; {m.name} is kept for inspection")
    ppl = f"perplexity {new.perplexity} (was {old.perplexity}), " if new.loss else ""
    print(
        f"  {m.method} {m.mode} run ({m.why}): {len(m.new_ids)} new"
        f" + {len(m.replay_ids)} replayed emails, {m.steps} steps in"
        f" {m.train_seconds:.1f} s; {ppl}adapter at {published.path}"
    )
    return 0


class _TrainBar:
    """Steps as a bar with the loss on a terminal; stage notices as lines."""

    def __init__(self) -> None:
        self._bar: tqdm[Any] | None = None

    def event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "notice":
            print(event["message"], file=sys.stderr)
        elif kind == "stage" and event.get("stage") == "training":
            print(f"Training on {event['examples']} emails", file=sys.stderr)
        elif kind == "estimate":
            line = describe_estimate(event)
            if self._bar is not None:
                self._bar.write(line, file=sys.stderr)
            else:
                print(line, file=sys.stderr)
        elif kind == "step":
            if self._bar is None and sys.stderr.isatty():
                self._bar = tqdm(
                    total=event["total"],
                    unit="step",
                    desc="training",
                    file=sys.stderr,
                    leave=False,
                    dynamic_ncols=True,
                )
            if self._bar is not None:
                self._bar.update(event["step"] - self._bar.n)
                self._bar.set_postfix(loss=f"{event['loss']:.3f}", left=duration(event["eta_s"]))

    def __enter__(self) -> _TrainBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def cmd_eval(args: argparse.Namespace) -> int:
    config, paths = context.config(), context.current_paths()
    with context.open_store() as store, Progress(None, unit="draft", desc="drafts") as bar:

        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "drafts":
                bar.set(event["done"], event["total"])

        rows = run_eval(
            store,
            config,
            paths,
            which=args.versions,
            generate=not args.no_drafts,
            limit=args.limit,
            max_new_tokens=args.max_new_tokens,
            on_event=on_event,
        )
    if args.json:
        json.dump(rows, sys.stdout)
        print()
    else:
        _table(rows)
    return 0


def _table(rows: list[dict[str, Any]]) -> None:
    cols = [
        ("model", 7),
        ("status", 9),
        ("emails", 6),
        ("loss", 7),
        ("ppl", 8),
        ("BLEU", 6),
        ("ROUGE-L", 7),
        ("BLEU+RAG", 8),
        ("ROUGE-L+RAG", 11),
    ]
    print("  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(cols)))
    for r in rows:
        cells = [
            "base" if r["version"] is None else f"v{r['version']:04d}",
            r["status"],
            "" if r["email_count"] is None else str(r["email_count"]),
            _num(r.get("loss"), 4),
            _num(r.get("perplexity"), 2),
            _num(r.get("bleu"), 4),
            _num(r.get("rouge_l"), 4),
            _num(r.get("bleu_rag"), 4),
            _num(r.get("rouge_l_rag"), 4),
        ]
        print(
            "  ".join(
                f"{c:<{w}}" if i < 2 else f"{c:>{w}}"
                for i, (c, (_, w)) in enumerate(zip(cells, cols, strict=True))
            )
        )


def _num(value: Any, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
