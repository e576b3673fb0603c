"""``panza draft``: a draft streamed from the running daemon, or written in-process without one.

Both paths run the same code: :class:`panza.daemon.drafting.Drafting` over a
:class:`panza.daemon.writer.Writer`; in-process it is built on the store here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from panza.daemon.cli import context
from panza.daemon.client import Client, DaemonUnavailable
from panza.daemon.errors import UserError
from panza.daemon.mail.clean import CleanRules
from panza.daemon.mail.parse import parse_message
from panza.daemon.mail.quotes import split_quoted
from panza.daemon.mail.signature import strip_signature
from panza.daemon.protocol import DraftParams, Request


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
        DraftParams.model_validate(params)  # the daemon checks again; this says why early
    except ValidationError as exc:
        raise UserError("; ".join(str(e["msg"]) for e in exc.errors())) from None

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "token" and not args.json:
            sys.stdout.write(str(event.get("text", "")))
            sys.stdout.flush()

    try:
        client = Client(context.current_paths().socket_file, timeout=None)
    except DaemonUnavailable:
        result = draft_in_process(params, on_event)
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


def draft_in_process(params: dict[str, Any], on_event: Any) -> dict[str, Any]:
    """The daemon's draft path (Service, Writer, Drafting) run here, on the local store."""
    from panza.daemon.drafting import Drafting
    from panza.daemon.jobs import Jobs
    from panza.daemon.service import Service
    from panza.daemon.writer import Writer

    where = context.current_paths()
    config = context.config()
    request = Request(id="local", method="draft", params=DraftParams.model_validate(params))

    async def emit(message: dict[str, Any]) -> None:
        on_event(message)

    async def go(drafting: Drafting) -> dict[str, Any]:
        return await drafting.draft(request, emit)

    with context.open_store() as store:
        service = Service(where, config, store)
        jobs = Jobs(workers=1)
        try:
            return asyncio.run(go(Drafting(service, Writer(service), jobs)))
        finally:
            jobs.shutdown()
