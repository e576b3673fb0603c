"""``panza daemon`` (run in the foreground); ``panza status``, ``retrain``, ``pause`` and
``resume`` ask the running daemon (without one they say how to start it)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from panza.daemon.cli import context
from panza.daemon.client import Client
from panza.training.progress import describe_job, duration


def register(sub: Any) -> None:
    daemon = sub.add_parser("daemon", help="run the daemon in the foreground")
    daemon.set_defaults(func=cmd_daemon)
    status = sub.add_parser("status", help="what the running daemon is doing")
    status.add_argument("--json", action="store_true", help="the raw status reply")
    status.set_defaults(func=cmd_status)
    retrain = sub.add_parser("retrain", help="have the daemon play back and train now")
    retrain.add_argument("--full", action="store_true", help="train from the base model")
    retrain.set_defaults(func=cmd_retrain)
    pause = sub.add_parser("pause", help="stop the daemon's schedules (sync, training)")
    pause.set_defaults(func=cmd_pause)
    resume = sub.add_parser("resume", help="start the daemon's schedules again")
    resume.set_defaults(func=cmd_resume)


def cmd_daemon(args: argparse.Namespace) -> int:
    from panza.daemon.server.app import main

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
    for name, why in (status.get("import_failures") or {}).items():
        print(f"Import of {name} failed: {why}")
    acceptance = status.get("acceptance") or {}
    if acceptance.get("drafts_with_feedback"):
        print(
            f"Acceptance: {acceptance['light_edit_share']:.0%} of"
            f" {acceptance['drafts_with_feedback']} drafts sent with light edits"
            f" (similarity >= {acceptance['light_edit_threshold']}),"
            f" mean similarity {acceptance['mean_similarity']:.2f}"
        )
    autodraft = status.get("autodraft") or {}
    if autodraft.get("accounts"):
        counts = autodraft["counts"]
        print(
            f"Autodraft: {counts['written']} in Drafts, {counts['pending']} waiting,"
            f" {counts['sent']} sent, {counts['edited']} edited, {counts['deleted']} deleted,"
            f" {counts['skipped']} skipped; {autodraft['last_hour']} this hour"
            f" (limit {autodraft['per_hour']})"
        )
        for name, error in (autodraft.get("errors") or {}).items():
            print(f"Autodraft {name}: {error}")
    running = status.get("running") or []
    print(f"Running: {', '.join(running) if running else 'nothing'}")
    train = (status.get("jobs") or {}).get("train") or {}
    if line := describe_job(train):
        print(f"Training ({line})")
    return 0


def cmd_retrain(args: argparse.Namespace) -> int:
    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "progress":
            total = event.get("total")
            done = f" {event.get('done')}/{total}" if total else ""
            eta = event.get("eta_s")
            left = f", about {duration(eta)} left" if eta is not None else ""
            print(f"{event.get('stage')}{done}{left}", file=sys.stderr)

    with Client(context.current_paths().socket_file, timeout=None) as client:
        result = client.call("retrain", {"full": args.full}, on_event)
    version = result.get("version")
    print(f"Training: {result.get('status')}" + (f" (v{version:04d})" if version else ""))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    with Client(context.current_paths().socket_file) as client:
        client.call("pause")
    print("Paused: schedules are stopped (panza resume starts them again)")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    with Client(context.current_paths().socket_file) as client:
        client.call("resume")
    print("Resumed: schedules are running")
    return 0
