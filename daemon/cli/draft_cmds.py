"""``panza draft``: a draft streamed from the running daemon, or written here without one.

Both paths draft with :class:`panza.daemon.server.writer.Writer`; without a daemon it runs in this
process on the local store and index (no server, jobs or queue), and the draft is stored
as the daemon stores it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from panza.daemon.cli import context
from panza.daemon.client import Client, DaemonUnavailable
from panza.daemon.config import Config
from panza.daemon.errors import UserError
from panza.daemon.index import EmailIndex, Retrieved, load_embedder, retrieve
from panza.daemon.mail.clean import CleanRules
from panza.daemon.mail.parse import parse_message
from panza.daemon.mail.quotes import split_quoted
from panza.daemon.mail.signature import strip_signature
from panza.daemon.paths import Paths
from panza.daemon.protocol import DraftParams
from panza.daemon.store import Store


def register(sub: Any) -> None:
    draft = sub.add_parser("draft", help="write a draft in your style (streamed)")
    draft.add_argument("instruction", nargs="?", default="", help="what the email should say")
    draft.add_argument("--reply-to", metavar="FILE.eml", type=Path, help="the message to answer")
    draft.add_argument("--subject", default=None, help="the subject line")
    draft.add_argument("--json", action="store_true", help="print only the result, as JSON")
    draft.add_argument("--max-new-tokens", type=int, default=None, help=argparse.SUPPRESS)
    draft.add_argument("--temperature", type=float, default=None, help=argparse.SUPPRESS)
    draft.set_defaults(func=cmd_draft)


def reply_params(path: Path, rules: CleanRules) -> dict[str, Any]:
    """The thread of a reply to the message in ``path``: its quoted history, then itself."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    msg = parse_message(raw)
    split = split_quoted(msg.body)
    thread = [{"from": t["sender"], "date": t["date"], "text": t["text"]} for t in split.thread]
    thread.append(
        {
            "from": msg.sender_name or msg.sender,
            "date": msg.date.isoformat() if msg.date else "",
            "text": strip_signature(split.text, rules.names).strip(),
        }
    )
    subject = msg.subject.strip()
    if subject and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return {"mode": "reply", "thread": thread, "subject": subject}


def cmd_draft(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"instruction": args.instruction}
    if args.reply_to is not None:
        params.update(reply_params(args.reply_to, CleanRules.from_config(context.config())))
    if args.subject is not None:
        params["subject"] = args.subject
    if args.max_new_tokens is not None:
        params["max_new_tokens"] = args.max_new_tokens
    if args.temperature is not None:
        params["temperature"] = args.temperature
    try:
        parsed = DraftParams.model_validate(params)  # the daemon checks again; this says why early
    except ValidationError as exc:
        raise UserError("; ".join(str(e["msg"]) for e in exc.errors())) from None

    def show(text: str) -> None:
        if not args.json:
            sys.stdout.write(text)
            sys.stdout.flush()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "token":
            show(str(event.get("text", "")))

    try:
        client = Client(context.current_paths().socket_file, timeout=None)
    except DaemonUnavailable:
        result = draft_here(parsed, show)
    else:
        with client:
            result = client.call("draft", params, on_event)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print()
        if result.get("capped_to") is not None:
            print(
                f"(stopped at {result['capped_to']} tokens: the model's context holds no more)",
                file=sys.stderr,
            )
    return 0


@dataclass(frozen=True)
class _Here:
    """What the writer reads, in this process: the local store, config and index."""

    paths: Paths
    config: Config
    store: Store

    def retrieve(self, query: str, last_message: str | None = None) -> list[Retrieved]:
        models = self.config.model
        embedder = load_embedder(models.embedding, models.allow_download, models.device)
        index = EmailIndex(self.paths.index_dir, embedder)
        return retrieve(index, self.store.conn, query, last_message=last_message)


def draft_here(params: DraftParams, on_token: Callable[[str], None]) -> dict[str, Any]:
    """Draft with the writer in this process (no daemon), streaming each piece to ``on_token``."""
    from panza.daemon.server.drafting import save_draft
    from panza.daemon.server.writer import Writer

    with context.open_store() as store:
        writer = Writer(_Here(context.current_paths(), context.config(), store))
        draft = writer.write(params, on_token, threading.Event())
        return save_draft(store, params, draft)
