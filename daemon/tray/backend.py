"""Which pystray backend the tray gets on this machine, and what a menu-less one lacks.

pystray 0.19 picks its backend when it is imported: ``PYSTRAY_BACKEND`` if set, else
on Linux the first of appindicator, gtk and xorg that imports. Only appindicator
(StatusNotifierItem with a ``com.canonical.dbusmenu`` menu over D-Bus) shows a menu on
today's Linux desktops; gtk (an XEmbed icon) shows one only where a panel still takes
XEmbed icons, and xorg never does. This module asks the same questions pystray will,
without importing pystray or opening a display, so ``panza doctor`` can ask them too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# PyGObject 3.51 and later build against girepository-2.0, which Debian 12 lacks.
PYGOBJECT = "PyGObject>=3.42,<3.51"
BUILD_DEPS = "libgirepository1.0-dev libcairo2-dev pkg-config"
INDICATOR = "gir1.2-ayatanaappindicator3-0.1"
GTK_BACKENDS = ("appindicator", "gtk")
WATCHER = "org.kde.StatusNotifierWatcher"  # the panel's side of StatusNotifierItem
# The typelibs pystray's appindicator backend tries, in its order.
INDICATOR_TYPELIBS = ("AppIndicator3", "AyatanaAppIndicator3")


@dataclass(frozen=True)
class Support:
    """The backend the tray will get, whether it has a menu, and if not, why and the fix."""

    backend: str
    menu: bool
    missing: str = ""
    fix: str = ""


def support(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Support:
    """The backend ``panza tray`` will get here (before any display is opened)."""
    env = os.environ if env is None else env
    if platform in ("darwin", "win32"):
        return Support(platform, True)
    forced = env.get("PYSTRAY_BACKEND", "")
    if forced and forced != "appindicator":
        menu = forced == "gtk"
        missing = "" if menu else f"PYSTRAY_BACKEND={forced} chooses a backend without a menu"
        return Support(forced, menu, missing, "" if menu else "unset PYSTRAY_BACKEND")
    try:
        import gi
    except ImportError:
        return Support(
            "xorg",
            False,
            f"PyGObject is not installed for {sys.executable}",
            f"sudo apt install {BUILD_DEPS} {INDICATOR}, then"
            f" {sys.executable} -m pip install '{PYGOBJECT}'",
        )
    if not _typelib(gi, "Gtk", "3.0"):
        missing = "the GTK 3 typelib is missing"
        return Support("xorg", False, missing, "sudo apt install gir1.2-gtk-3.0")
    if not any(_typelib(gi, name, "0.1") for name in INDICATOR_TYPELIBS):
        return Support(
            "gtk",
            True,
            "the AppIndicator typelib is missing: the menu shows only on desktops that"
            " still take XEmbed icons (not GNOME, nor KDE Plasma on Wayland)",
            f"sudo apt install {INDICATOR}",
        )
    return Support("appindicator", True)


def _typelib(gi: Any, name: str, version: str) -> bool:
    try:
        gi.require_version(name, version)
    except ValueError:  # "Namespace X not available" (or another version already loaded)
        return False
    return True


def explain(loaded: str, expected: Support) -> str | None:
    """What to tell the user when pystray loaded ``loaded``: None when it has a menu."""
    if loaded in ("appindicator", "darwin", "win32"):
        return None
    if loaded == "gtk":
        return (
            "the tray icon uses GTK's XEmbed icon, which most desktops no longer show; for a"
            f" StatusNotifier icon with its menu: {expected.fix or 'sudo apt install ' + INDICATOR}"
        )
    why = expected.missing or "PyGObject with GTK 3 could not be used (is a display open?)"
    fix = f": {expected.fix}" if expected.fix else ""
    return f"this tray backend ({loaded}) shows the icon but no menu: {why}{fix}"


def panel_running(env: Mapping[str, str] | None = None) -> bool | None:
    """Whether a StatusNotifier host (a panel that shows such icons) is on the session bus;
    None when there is no session bus to ask (a terminal outside the desktop session)."""
    address = (os.environ if env is None else env).get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        return None
    from gi.repository import Gio, GLib

    flags = (
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    )
    try:
        bus = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    except GLib.Error:
        return None
    try:
        reply = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", (WATCHER,)),
            GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE,
            5000,
            None,
        )
        return bool(reply.unpack()[0])
    except GLib.Error:
        return None
    finally:
        bus.close_sync(None)
