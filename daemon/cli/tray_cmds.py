"""``panza tray``: the system tray icon (a client of the running daemon)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    tray = sub.add_parser("tray", help="show Panza's state in the system tray")
    tray.add_argument(
        "--poll",
        type=_seconds,
        default=3.0,
        metavar="SECONDS",
        help="how often to ask the daemon for its status (default 3)",
    )
    tray.set_defaults(func=cmd_tray)


def cmd_tray(args: argparse.Namespace) -> int:
    from panza.daemon.tray.app import main  # pystray needs a display: only load it here

    return main(poll_s=args.poll)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.2 <= value <= 3600:
        raise argparse.ArgumentTypeError("give between 0.2 and 3600 seconds")
    return value
