"""The ``panza`` command line: one module per command group, errors turned into one line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from panza.daemon import paths
from panza.daemon.cli import (
    account_cmds,
    autodraft_cmds,
    daemon_cmds,
    draft_cmds,
    index_cmds,
    install_cmds,
    mail_cmds,
    setup_cmds,
    train_cmds,
    tray_cmds,
)
from panza.daemon.errors import PanzaError

COMMAND_GROUPS = (
    setup_cmds,
    mail_cmds,
    account_cmds,
    index_cmds,
    daemon_cmds,
    draft_cmds,
    autodraft_cmds,
    tray_cmds,
    train_cmds,
    install_cmds,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panza",
        description="Panza learns to write email like you, on your own machine.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``panza`` console script."""
    paths.private_umask()  # whatever a command creates first (data, config, install) is private
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = args.func(args)
    except PanzaError as exc:
        print(f"panza: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("panza: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `panza emails | head`
        return 0
    return int(code or 0)
