"""``panza autodraft on|off`` (per account, in the config) and ``panza drafts``.

Both work without a daemon: the config edit is picked up by a running daemon when
the file is saved, and ``panza drafts`` reads the store.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from panza.daemon.autodraft.part import summary
from panza.daemon.cli import context
from panza.daemon.config import Config, GmailAccount
from panza.daemon.config.edit import set_account_value
from panza.daemon.errors import UserError
from panza.daemon.store.autodraft import Entry, recent

STATE_WORDS = {
    "pending": "waiting to be drafted",
    "intent": "being written",
    "written": "in Drafts",
    "edited": "edited by you",
    "sent": "sent",
    "deleted": "deleted by you",
    "skipped": "skipped",
}


def register(sub: Any) -> None:
    auto = sub.add_parser(
        "autodraft",
        help="pre-write replies to incoming mail into Drafts (per account, off by default)",
        description="Panza reads the inbox (headers, and the text of mail that deserves a"
        " reply) and writes replies into the Drafts folder. It never sends mail.",
    )
    auto.add_argument("switch", choices=["on", "off"])
    auto.add_argument("--account", metavar="NAME", help="only this account (default: all)")
    auto.set_defaults(func=cmd_autodraft)
    drafts = sub.add_parser("drafts", help="recent background drafts and what became of them")
    drafts.add_argument("--limit", type=int, default=30, help="at most this many (default 30)")
    drafts.add_argument("--no-skipped", action="store_true", help="leave out skipped messages")
    drafts.add_argument("--json", action="store_true", help="one JSON array on stdout")
    drafts.set_defaults(func=cmd_drafts)


def cmd_autodraft(args: argparse.Namespace) -> int:
    path = context.current_paths().config_file
    config = context.config()
    names = [args.account] if args.account else list(config.accounts)
    if not names:
        raise UserError("no accounts yet; add one first: panza account add imap|gmail NAME")
    on = args.switch == "on"
    for name in names:
        account = config.accounts.get(name)
        if account is None:
            raise UserError(f"no account named {name!r} (see: panza account list)")
        if on and isinstance(account, GmailAccount):
            from panza.daemon.cli.autodraft_gmail import ensure_compose_scope

            ensure_compose_scope(name, account, path)
        config = set_account_value(path, name, "autodraft", on)
        print(f"Autodraft {'on' if on else 'off'} for {name}")
    if on:
        print(_what_it_does(config))
    return 0


def _what_it_does(config: Config) -> str:
    section = config.autodraft
    return (
        f"Panza reads new inbox mail (headers; the text only of mail that deserves a reply),"
        f" writes at most {section.per_hour} replies an hour into Drafts for mail from people"
        f" to you from the last {section.max_age_days} days, and never sends anything."
    )


def cmd_drafts(args: argparse.Namespace) -> int:
    with context.open_store() as store:
        entries = recent(store.conn, args.limit, skipped=not args.no_skipped)
        counts = summary(store, context.config())
    if args.json:
        print(json.dumps([_as_json(e) for e in entries], indent=2))
        return 0
    if not entries:
        print("No background drafts yet (turn them on with: panza autodraft on)")
        return 0
    for e in entries:
        when = (e.received_at or e.seen_at)[:16].replace("T", " ")
        state = STATE_WORDS[e.state] + (f" ({e.reason})" if e.reason else "")
        print(f"{when}  {e.account:<10} {state:<32} {e.sender}: {e.subject}")
    shown = ", ".join(f"{n} {s}" for s, n in counts["counts"].items() if n)
    print(
        f"All: {shown}; {counts['last_hour']} written in the last hour (limit {counts['per_hour']})"
    )
    return 0


def _as_json(e: Entry) -> dict[str, Any]:
    return {
        "account": e.account,
        "date": e.received_at,
        "sender": e.sender,
        "subject": e.subject,
        "state": e.state,
        "reason": e.reason,
        "draft_message_id": e.draft_message_id,
        "adapter_version": e.adapter_version,
    }
