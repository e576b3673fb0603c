"""``panza daemon`` (run in the foreground) and ``panza status`` (ask the running daemon)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from panza.daemon.cli import context
from panza.daemon.client import Client


def register(sub: Any) -> None:
    daemon = sub.add_parser("daemon", help="run the daemon in the foreground")
    daemon.set_defaults(func=cmd_daemon)
    status = sub.add_parser("status", help="what the running daemon is doing")
    status.add_argument("--json", action="store_true", help="the raw status reply")
    status.set_defaults(func=cmd_status)


def cmd_daemon(args: argparse.Namespace) -> int:
    from panza.daemon.app import main

    return main(verbose=args.verbose)


def cmd_status(args: argparse.Namespace) -> int:
    with Client(context.current_paths().socket_file) as client:
        status = client.call("status")
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    emails = status["emails"]
    print(f"Emails: {emails['kept']} kept, {emails['discarded']} discarded")
    for acct in status["accounts"]:
        when = (acct.get("last_sync_at") or "never")[:16].replace("T", " ")
        extra = f" ({acct['message']})" if acct.get("message") else ""
        print(f"Account {acct['name']} ({acct['kind']}): {acct['state']}, last sync {when}{extra}")
    adapter = status.get("adapter")
    print(
        f"Adapter: v{adapter['version']:04d} ({adapter['method']})"
        if adapter
        else "Adapter: none trained yet"
    )
    if status.get("paused"):
        print("Paused: schedules are stopped (panza resume)")
    if status.get("config_error"):
        print(f"Config not applied: {status['config_error']}")
    running = status.get("running") or []
    print(f"Running: {', '.join(running) if running else 'nothing'}")
    return 0
