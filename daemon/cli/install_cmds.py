"""``panza install``, ``panza uninstall`` and ``panza doctor``."""

from __future__ import annotations

import argparse
from typing import Any

from panza.daemon.errors import UserError


def _browsers(text: str) -> list[str]:
    from panza.installer.install import parse_browsers

    try:
        return parse_browsers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: Any) -> None:
    install = sub.add_parser(
        "install",
        help="set Panza up for your browsers and start it at login",
        description="Install the native messaging host for your browsers, the daemon's user"
        " service (systemd or launchd) and the extension packages. Running it again"
        " changes nothing that is already right.",
    )
    install.add_argument(
        "--browsers",
        type=_browsers,
        metavar="LIST",
        help="comma-separated: chrome,chromium,brave,edge,firefox,thunderbird"
        " (default: those with a profile here)",
    )
    install.add_argument(
        "--no-service", action="store_true", help="do not install or start the daemon service"
    )
    install.add_argument("--tray", action="store_true", help="start the tray icon at login")
    install.add_argument(
        "--allow-id",
        action="append",
        default=[],
        metavar="ID",
        help="also accept this extension (e.g. the Chrome Web Store id); repeatable",
    )
    install.set_defaults(func=cmd_install)
    uninstall = sub.add_parser("uninstall", help="remove everything `panza install` put in place")
    uninstall.set_defaults(func=cmd_uninstall)
    doctor = sub.add_parser("doctor", help="check every piece and say how to fix what is broken")
    doctor.set_defaults(func=cmd_doctor)


def cmd_install(args: argparse.Namespace) -> int:
    from panza.installer.install import Options, install
    from panza.installer.layout import Layout
    from panza.installer.services import Commands

    options = Options(
        browsers=args.browsers,
        service=not args.no_service,
        tray=args.tray,
        allow_ids=args.allow_id,
    )
    try:
        install(Layout.current(), options, Commands(), print)
    except OSError as exc:
        raise UserError(f"install failed: {exc}") from None
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    from panza.installer.install import uninstall
    from panza.installer.layout import Layout
    from panza.installer.services import Commands

    try:
        uninstall(Layout.current(), Commands(), print)
    except OSError as exc:
        raise UserError(f"uninstall failed: {exc}") from None
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from panza.daemon import paths
    from panza.installer.doctor import doctor
    from panza.installer.layout import Layout
    from panza.installer.services import Commands

    return doctor(Layout.current(), paths.resolve(), Commands(), print)
