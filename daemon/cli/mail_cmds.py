"""``panza import`` and ``panza emails``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from panza.daemon.cli import context
from panza.daemon.cli.progress import Progress
from panza.daemon.errors import UserError
from panza.daemon.mail.clean import CleanRules
from panza.daemon.pipeline.ingest import MBOX_ACCOUNT, ingest, mbox_mails
from panza.daemon.store import InsertResult, iter_emails
from panza.training.atomic import atomic_write_text

# Below this size starting worker processes costs more than it saves.
PARALLEL_FROM_BYTES = 4 << 20


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="import sent mail from an mbox file")
    imp.add_argument("path", type=Path, help="an mbox file (e.g. a Sent folder export)")
    imp.set_defaults(func=cmd_import)

    em = sub.add_parser("emails", help="list stored emails")
    em.add_argument("--discarded", action="store_true", help="list discarded ones with reasons")
    em.add_argument("--json", action="store_true", help="one JSON array on stdout")
    em.add_argument("--export", type=Path, metavar="OUT.jsonl", help="write kept emails as JSONL")
    em.add_argument("--limit", type=int, help="at most this many")
    em.set_defaults(func=cmd_emails)


def cmd_import(args: argparse.Namespace) -> int:
    path: Path = args.path
    config = context.config()
    rules = CleanRules.from_config(config)
    size = path.stat().st_size if path.is_file() else None
    with context.open_store() as store, Progress(size, desc=path.name) as bar:
        result = ingest(
            store,
            mbox_mails(path, progress=bar.update_to),
            rules,
            MBOX_ACCOUNT,
            max_bytes=config.cleaning.max_message_bytes,
            test_fraction=config.training.test_fraction,
            workers=import_workers(size),
        )
    print(summary(path.name, result))
    return 0


def import_workers(size: int | None) -> int:
    """Worker processes for an import: all cores for big files, none for small ones."""
    if size is None or size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def summary(name: str, result: InsertResult) -> str:
    """Human summary of an import: kept, discarded by reason, already stored."""
    seen = result.new + result.duplicates
    discarded = sum(result.discarded.values())
    lines = [
        f"{name}: {seen} messages: {result.kept} kept, {discarded} discarded,"
        f" {result.duplicates} already stored"
    ]
    for reason, n in result.discarded.most_common():
        lines.append(f"  discarded {n:>6}  {reason}")
    return "\n".join(lines)


_FIELDS = ("id", "message_id", "date", "subject", "text", "thread", "recipients", "language")


def cmd_emails(args: argparse.Namespace) -> int:
    status = "discarded" if args.discarded else "kept"
    if args.limit is not None and args.limit < 0:
        raise UserError("--limit must be 0 or more")
    with context.open_store() as store:
        rows = iter_emails(store.conn, status=status, limit=args.limit)
        if args.export is not None:
            if args.discarded:
                raise UserError("--export writes kept emails; drop --discarded")
            lines = [json.dumps(_export(r), ensure_ascii=False) for r in rows]
            atomic_write_text(args.export, "".join(line + "\n" for line in lines), mode=0o600)
            print(f"Wrote {len(lines)} emails to {args.export}")
        elif args.json:
            json.dump([_export(r, status) for r in rows], sys.stdout, ensure_ascii=False)
            print()
        else:
            _table(rows, sys.stdout, args.discarded)
    return 0


def _export(row: dict[str, Any], status: str = "kept") -> dict[str, Any]:
    out = {k: row[k] for k in _FIELDS}
    if status == "discarded":
        out["reason"] = row["reason"]
    return out


def _table(rows: Any, out: TextIO, discarded: bool) -> None:
    n = 0
    for row in rows:
        n += 1
        date = (row["date"] or "")[:10] or "no date   "
        words = len(row["text"].split())
        extra = f"{row['reason']:<14}" if discarded else f"{words:>5} words"
        subject = (row["subject"] or "(no subject)").replace("\n", " ")[:60]
        print(f"{row['id']:>6}  {date}  {extra}  {subject}", file=out)
    print(f"{n} {'discarded' if discarded else 'kept'} emails", file=out)
