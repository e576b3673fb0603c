"""``panza init`` and ``panza config``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from pydantic import ValidationError

from panza.daemon import paths, secrets
from panza.daemon.cli import context
from panza.daemon.config import UserConfig, render_effective
from panza.daemon.config.load import parse_config
from panza.daemon.config.starter import starter_config
from panza.daemon.errors import ConfigError, UserError
from panza.training.atomic import atomic_write_text
from panza.training.model import suggest_base_model


def register(sub: Any) -> None:
    init = sub.add_parser("init", help="write a starter config")
    init.add_argument("--name", help="your name as you sign emails")
    init.add_argument(
        "--email", action="append", default=[], metavar="ADDR", help="an address you send from"
    )
    init.add_argument(
        "--language", action="append", default=[], metavar="CODE", help="language to keep (en)"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.set_defaults(func=cmd_init)

    cfg = sub.add_parser("config", help="print the effective config")
    cfg.add_argument("--path", action="store_true", help="print only where the config lives")
    token = cfg.add_mutually_exclusive_group()
    token.add_argument(
        "--hf-token",
        action="store_true",
        help="keep a Hugging Face token (for gated models) in the OS keyring: typed, or piped",
    )
    token.add_argument("--forget-hf-token", action="store_true", help="remove that token")
    cfg.set_defaults(func=cmd_config)


def cmd_init(args: argparse.Namespace) -> int:
    where = context.current_paths()
    if where.config_file.exists() and not args.force:
        raise UserError(f"{where.config_file} exists; use --force to overwrite it")
    name, emails, languages = args.name, list(args.email), list(args.language) or ["en"]
    if not name or not emails:
        if not sys.stdin.isatty():
            raise UserError("no terminal to ask on: pass --name NAME --email ADDRESS")
        name = name or input("Your name (as you sign emails): ").strip()
        while not emails:
            emails = input("Addresses you send from (comma-separated): ").replace(",", " ").split()
    try:
        user = UserConfig(name=name, emails=emails, languages=languages)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("cannot write the config:", problems) from None
    suggestion = suggest_base_model()
    text = starter_config(user, base_model=suggestion.model)
    parse_config(text.encode(), "the starter config")  # what we write must load
    paths.ensure_private_dir(where.config_file.parent)
    atomic_write_text(where.config_file, text)
    print(f"Wrote {where.config_file}")
    # On stderr: stdout stays the one line scripts read.
    four_bit = "; set model.load_in_4bit = true" if suggestion.load_in_4bit else ""
    print(
        f"Base model: {suggestion.model} ({suggestion.why}{four_bit}). Nothing is downloaded"
        " until you set model.allow_download = true; model.base may also be a local folder.",
        file=sys.stderr,
    )
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    where = context.current_paths()
    if args.path:
        print(where.config_file)
        return 0
    if args.hf_token or args.forget_hf_token:
        return _hf_token(store=args.hf_token)
    config = context.config()
    print(f"# effective config from {where.config_file}")
    print(render_effective(config), end="")
    return 0


def _hf_token(store: bool) -> int:
    """Keep or forget the Hugging Face token; it goes only to the keyring, never the file."""
    if not store:
        gone = secrets.delete_secret(*secrets.HF_TOKEN)
        print("Removed the Hugging Face token" if gone else "No Hugging Face token was stored")
        return 0
    if sys.stdin.isatty():
        value = getpass.getpass("Hugging Face token (not shown): ")
    else:
        value = sys.stdin.readline()
    if not value.strip():
        raise UserError("no token given: type it, or pipe it in on stdin")
    secrets.set_secret(*secrets.HF_TOKEN, value.strip())
    print("Stored the Hugging Face token in the OS keyring")
    return 0
