"""``panza account add imap``: log in once, find the Sent folder, then store the account.

The password (or OAuth2 token) comes from stdin or a no-echo prompt, never a
flag, and goes to the OS keyring only after the server accepted it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from panza.daemon.cli import context
from panza.daemon.config.edit import add_account, check_account_name
from panza.daemon.config.schema import ImapAccount
from panza.daemon.errors import ConfigError, UserError


def register_add(add_sub: Any) -> None:
    imap = add_sub.add_parser(
        "imap",
        help="an IMAP account (its password or token goes to the OS keyring)",
        description="Log in once to check the account, find its Sent folder, and add it.",
    )
    imap.add_argument("name", help="a short name for the account, e.g. work")
    imap.add_argument("--host", required=True, help="IMAP server, e.g. imap.fastmail.com")
    imap.add_argument("--port", type=int, help="993 (implicit TLS); 143 with --starttls")
    imap.add_argument("--user", required=True, help="login name, usually the address")
    imap.add_argument("--starttls", action="store_true", help="plain port upgraded by STARTTLS")
    imap.add_argument("--ca-file", metavar="PEM", help="trust this CA (self-hosted servers)")
    imap.add_argument("--folder", help="sync this folder instead of the one marked Sent")
    imap.add_argument(
        "--password-stdin", action="store_true", help="read the password (or token) from stdin"
    )
    imap.add_argument(
        "--oauth2",
        action="store_true",
        help="log in with XOAUTH2; the secret read is an access token or authorized-user JSON",
    )
    imap.set_defaults(func=cmd_add_imap)


def cmd_add_imap(args: argparse.Namespace) -> int:
    # Imported here so other commands never load the IMAP client.
    from panza.daemon.sources.imap.setup import verify_account

    name = check_account_name(args.name)
    where = context.current_paths()
    if name in context.config().accounts:
        raise UserError(f"account {name!r} exists; remove it first: panza account remove {name}")
    account = _account(args)
    secret = _read_secret(args, name)
    found = verify_account(name, account, secret)

    from panza.daemon.secrets import delete_secret, set_secret

    set_secret(name, found.secret_kind, found.secret)
    try:
        add_account(where.config_file, name, _table(account))
    except BaseException:
        delete_secret(name, found.secret_kind)  # nothing half-added
        raise
    print(f"Logged in to {account.host}:{account.port}.")
    print(f"Sent folder: {found.folder} ({found.reason})")
    print(f"Added account {name}. Pull its sent mail with: panza sync --account {name}")
    return 0


def _account(args: argparse.Namespace) -> ImapAccount:
    ca_file = str(Path(args.ca_file).expanduser().resolve()) if args.ca_file else ""
    try:
        return ImapAccount(
            kind="imap",
            host=args.host,
            port=args.port or (143 if args.starttls else 993),
            user=args.user,
            starttls=args.starttls,
            ca_file=ca_file,
            folder=args.folder or "",
            auth="oauth2" if args.oauth2 else "password",
        )
    except ValidationError as exc:
        problems = [f"--{e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("cannot add the account:", problems) from None


def _read_secret(args: argparse.Namespace, name: str) -> str:
    what = "OAuth2 token" if args.oauth2 else "password"
    if args.password_stdin:
        value = sys.stdin.read()
        # Only the line break a pipe or heredoc adds; spaces may belong to the password.
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    elif sys.stdin.isatty():
        value = getpass.getpass(f"IMAP {what} for {name}: ")
    else:
        raise UserError(f"no terminal to ask for the {what} on: pipe it in with --password-stdin")
    if not value:
        raise UserError(f"the {what} is empty")
    return value


def _table(account: ImapAccount) -> dict[str, Any]:
    """Only what differs from the defaults, so the config stays readable."""
    table: dict[str, Any] = {"kind": "imap", "host": account.host, "port": account.port}
    table["user"] = account.user
    defaults = ImapAccount(kind="imap", host="h", user="u")
    for key in ("starttls", "ca_file", "folder", "auth"):
        value = getattr(account, key)
        if value != getattr(defaults, key):
            table[key] = value
    return table
