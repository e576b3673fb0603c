"""``panza account add|list|remove`` and ``panza sync``.

Each source contributes its ``account add KIND`` sub-command through
:data:`ADD_KINDS` (a module with ``register_add(subparsers)``).
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import Any

from panza.daemon.cli import account_gmail, account_imap, context
from panza.daemon.cli.progress import Progress
from panza.daemon.client import Client, DaemonUnavailable
from panza.daemon.config.edit import remove_account
from panza.daemon.errors import SecretsError
from panza.daemon.pipeline import feedback
from panza.daemon.pipeline.sync import SyncOutcome, sync_accounts
from panza.daemon.secrets import delete_secret
from panza.daemon.store.db import now
from panza.daemon.store.state import account_status, forget_account

ADD_KINDS: tuple[ModuleType, ...] = (account_imap, account_gmail)
SECRET_KINDS = ("password", "token")


def register(sub: Any) -> None:
    account = sub.add_parser("account", help="add, list or remove mail accounts")
    acc_sub = account.add_subparsers(dest="account_command", metavar="ACTION")
    acc_sub.required = True
    add = acc_sub.add_parser("add", help="add an account (its secret goes to the OS keyring)")
    add_sub = add.add_subparsers(dest="kind", metavar="KIND")
    add_sub.required = True
    for kind in ADD_KINDS:
        kind.register_add(add_sub)
    lst = acc_sub.add_parser("list", help="accounts with their sync state")
    lst.set_defaults(func=cmd_list)
    rm = acc_sub.add_parser("remove", help="forget an account (its stored emails stay)")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_remove)

    sync = sub.add_parser("sync", help="pull new sent mail from every account now")
    sync.add_argument("--account", metavar="NAME", help="only this account")
    sync.set_defaults(func=cmd_sync)


def cmd_list(args: argparse.Namespace) -> int:
    config = context.config()
    if not config.accounts:
        print("No accounts yet. Add one with: panza account add imap|gmail NAME ...")
        return 0
    with context.open_store() as store:
        for name, account in config.accounts.items():
            status = account_status(store.conn, name)
            where = getattr(account, "host", "") or "Gmail API"
            if status is None:
                state = "never synced"
            elif status["state"] == "ok":
                state = f"ok, last sync {status['last_sync_at'][:16].replace('T', ' ')} UTC"
            elif status["state"] == "auth_needed":
                state = f"re-authentication needed: {status['message']}"
            else:
                state = f"error: {status['message']}"
            print(f"{name:<16} {account.kind:<6} {where:<28} {state}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    where = context.current_paths()
    remove_account(where.config_file, args.name)
    removed = []
    try:
        removed = [k for k in SECRET_KINDS if delete_secret(args.name, k)]
    except SecretsError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    with context.open_store() as store, store.write() as conn:
        forget_account(conn, args.name)
    secrets = f", its {' and '.join(removed)} deleted from the keyring" if removed else ""
    print(f"Removed account {args.name}{secrets}. Emails already imported stay.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Ask the running daemon to sync (its index and playback follow); else sync here."""
    try:
        client = Client(context.current_paths().socket_file, timeout=None)
    except DaemonUnavailable:
        return sync_locally(args)
    with client:
        summary = client.call("sync", {"account": args.account} if args.account else {})
    lines = [describe_summary(a) for a in summary.get("accounts", [])]
    for line in lines or [
        "No accounts to sync. Add one with: panza account add imap|gmail NAME ..."
    ]:
        print(line)
    return 0 if all(a.get("ok") for a in summary.get("accounts", [])) else 1


def describe_summary(a: dict[str, Any]) -> str:
    """:func:`describe` for one account of the daemon's sync reply."""
    name = a.get("account")
    if a.get("auth_needed"):
        return (
            f"{name}: re-authentication needed ({a.get('error')});"
            f" run: panza account remove {name} and add it again"
        )
    if a.get("error"):
        return f"{name}: failed: {a.get('error')}"
    gone = f", {a['removed']} removed (gone from the account)" if a.get("removed") else ""
    return (
        f"{name}: {a.get('kept')} new kept, {a.get('discarded')} new discarded,"
        f" {a.get('duplicates')} already stored{gone}"
    )


def sync_locally(args: argparse.Namespace) -> int:
    config = context.config()
    if not config.accounts:
        print("No accounts to sync. Add one with: panza account add imap|gmail NAME ...")
        return 0
    bars: list[Progress] = []

    def progress(name: str) -> Any:
        bar = Progress(None, unit="msg", desc=name)
        bars.append(bar)
        return lambda done, total: bar.set(done, total)

    with context.open_store() as store:
        since = now(store.conn)
        try:
            outcomes = sync_accounts(store, config, only=args.account, progress=progress)
        finally:
            for bar in bars:
                bar.__exit__(None, None, None)
        if sum(o.result.kept for o in outcomes):
            feedback.match_sent(store, since)
    for outcome in outcomes:
        print(describe(outcome))
    return 0 if all(o.ok for o in outcomes) else 1


def describe(outcome: SyncOutcome) -> str:
    """One line per account: what came in, or what went wrong and what to do."""
    if outcome.auth_needed:
        return (
            f"{outcome.account}: re-authentication needed ({outcome.error});"
            f" run: panza account remove {outcome.account} and add it again"
        )
    if outcome.error:
        return f"{outcome.account}: failed: {outcome.error}"
    r = outcome.result
    gone = f", {r.removed} removed (gone from the account)" if r.removed else ""
    return (
        f"{outcome.account}: {r.kept} new kept, {sum(r.discarded.values())} new discarded,"
        f" {r.duplicates} already stored{gone}"
    )
