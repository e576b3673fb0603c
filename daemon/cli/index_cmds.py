"""``panza index`` and ``panza search``: build the retrieval index, see what it retrieves."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from panza.daemon.cli import context
from panza.daemon.cli.progress import Progress
from panza.daemon.errors import UserError
from panza.daemon.index import (
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    EmailIndex,
    Retrieved,
    load_embedder,
    retrieve,
)
from panza.daemon.index.retrieve import MAX_K
from panza.daemon.store import Store


def register(sub: Any) -> None:
    idx = sub.add_parser("index", help="bring the retrieval index up to date with stored mail")
    idx.add_argument("--rebuild", action="store_true", help="embed every kept email again")
    idx.set_defaults(func=cmd_index)

    se = sub.add_parser("search", help="show the past emails Panza would retrieve for a request")
    se.add_argument("query", help="what the email should be about, as you would ask for a draft")
    se.add_argument("--k", type=int, default=DEFAULT_K, help=f"at most this many ({DEFAULT_K})")
    se.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"minimum cosine similarity ({DEFAULT_THRESHOLD})",
    )
    se.add_argument("--json", action="store_true", help="one JSON array on stdout")
    se.set_defaults(func=cmd_search)


def cmd_index(args: argparse.Namespace) -> int:
    with context.open_store() as store:
        index = _open_index(store, rebuild=args.rebuild, quiet=False)
    print(f"Index: {len(index)} emails")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    # Checked before loading anything: a typo should not cost a model load.
    if not args.query.strip():
        raise UserError("the query is empty: say what the email should be about")
    if not 1 <= args.k <= MAX_K:
        raise UserError(f"--k must be between 1 and {MAX_K}")
    if not -1.0 <= args.threshold <= 1.0:
        raise UserError("--threshold is a cosine similarity between -1 and 1")
    with context.open_store() as store:
        index = _open_index(store, rebuild=False, quiet=True)
        hits = retrieve(index, store.conn, args.query, k=args.k, threshold=args.threshold)
    if args.json:
        json.dump([h.as_json() for h in hits], sys.stdout, ensure_ascii=False)
        print()
    else:
        _print_hits(hits, args.threshold)
    return 0


def _open_index(store: Store, *, rebuild: bool, quiet: bool) -> EmailIndex:
    """Load (or rebuild) the index and bring it up to date, with a bar while embedding."""
    models = context.config().model
    embedder = load_embedder(models.embedding, models.allow_download, models.device)
    index = EmailIndex(context.current_paths().index_dir, embedder, rebuild=rebuild)
    plan = index.plan(store.conn)
    with Progress(len(plan.embed), unit="email", desc="embedding") as bar:
        report = index.apply(store.conn, plan, progress=bar.update_to)
    if report.rebuilt and not quiet:
        print(f"Rebuilt the index: {report.rebuilt}")
    if not quiet or report.embedded or report.removed:
        print(
            f"Embedded {report.embedded}, removed {report.removed} in {report.seconds:.1f} s",
            file=sys.stdout if not quiet else sys.stderr,
        )
    return index


def _print_hits(hits: list[Retrieved], threshold: float) -> None:
    if not hits:
        print(f"No stored email scores {threshold} or more for this request.")
        return
    for hit in hits:
        date = (hit.date or "")[:10] or "no date   "
        subject = (hit.subject or "(no subject)").replace("\n", " ")[:70]
        print(f"{hit.score:5.2f}  {date}  #{hit.id:<6} {subject}")
        preview = " ".join(hit.text.split())
        print(f"       {preview[:110]}{'...' if len(preview) > 110 else ''}")
