"""``panza account add gmail NAME``: sign in to Google, keep the token in the OS keyring.

Everything that can fail cheaply (name, config, client file, keyring) is checked
before the browser opens, and nothing is written unless sign-in succeeds.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from panza.daemon.cli import context
from panza.daemon.config import GmailAccount, load_config
from panza.daemon.config.edit import add_account, check_account_name
from panza.daemon.errors import UserError
from panza.daemon.secrets import delete_secret, get_secret

CLIENT_FILE = "gmail-client.json"


def register_add(add_sub: Any) -> None:
    gmail = add_sub.add_parser(
        "gmail",
        help="a Gmail account through the Gmail API (Google sign-in, read-only)",
        description="Sign in to Google with your own 'Desktop app' OAuth client and"
        " let Panza read your sent mail (scope gmail.readonly).",
    )
    gmail.add_argument("name", help="a short name for the account, e.g. personal")
    gmail.add_argument(
        "--client-secrets",
        metavar="FILE",
        type=Path,
        help=f"your Desktop app OAuth client JSON (default: {CLIENT_FILE} next to config.toml)",
    )
    gmail.add_argument(
        "--no-browser",
        action="store_true",
        help="print the sign-in link instead of opening a browser",
    )
    gmail.add_argument(
        "--port",
        type=int,
        default=0,
        help="the loopback port Google redirects to (default: a free one; fix it to forward"
        " it over SSH from the computer with the browser)",
    )
    gmail.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the browser sign-in (default: 300)",
    )
    gmail.add_argument(
        "--api-endpoint",
        default="",
        metavar="URL",
        help="the Gmail API base URL (default: Google's; for a proxy or a test server)",
    )
    gmail.set_defaults(func=cmd_add_gmail)


def cmd_add_gmail(args: argparse.Namespace) -> int:
    from panza.daemon.sources.gmail import auth
    from panza.daemon.sources.gmail.api import build_client

    where = context.current_paths()
    name = check_account_name(args.name)
    if name in load_config(where.config_file).accounts:
        raise UserError(f"account {name!r} exists; remove it first: panza account remove {name}")
    client_file = (args.client_secrets or where.config_file.parent / CLIENT_FILE).expanduser()
    if args.client_secrets is None and not client_file.exists():
        raise UserError(
            f"no OAuth client file: pass --client-secrets FILE or save it as {client_file}"
            " (a 'Desktop app' client JSON from the Google Cloud console; see the README)"
        )
    table: dict[str, Any] = {"kind": "gmail", "client_secrets": str(client_file.resolve())}
    if args.api_endpoint:
        table["api_endpoint"] = args.api_endpoint
    try:
        GmailAccount.model_validate(table)
    except ValidationError:
        raise UserError(f"--api-endpoint {args.api_endpoint!r} is not an http(s) URL") from None
    client = auth.load_client_config(client_file)
    get_secret(name, auth.TOKEN_KIND)  # an unusable keyring fails here, before sign-in

    if isinstance(sys.stdout, io.TextIOWrapper):  # show the link at once, even through a pipe
        sys.stdout.reconfigure(line_buffering=True)
    creds = auth.sign_in(
        client, open_browser=not args.no_browser, timeout=args.timeout, port=args.port
    )
    api = build_client(creds, args.api_endpoint, account=name)
    try:
        address = api.profile().get("emailAddress", "")
    finally:
        api.close()
    auth.save_credentials(name, creds)
    try:
        add_account(where.config_file, name, table)
    except BaseException:  # keep no token for an account the config does not have
        delete_secret(name, auth.TOKEN_KIND)
        raise
    print(f"Signed in as {address}. Added Gmail account {name!r}; fetch its sent mail with:")
    print(f"  panza sync --account {name}")
    return 0
