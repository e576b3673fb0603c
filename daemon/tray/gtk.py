"""What the tray does on pystray's GTK backends (appindicator, gtk): ask for an instruction
in a small dialog, put a draft on the clipboard, and survive a desktop without a
notification server.

pystray runs GTK's main loop in the thread that called ``Icon.run``; everything here
that touches GTK is handed to that loop with ``GLib.idle_add`` and waited for, so the
action threads of the app may call it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402  (after require_version)

log = logging.getLogger(__name__)

TITLE = "Draft with Panza"
QUESTION = "What should the email say?"


def on_loop(fn: Callable[[], None]) -> None:
    def once() -> bool:
        fn()
        return False  # run once, not again at every idle moment

    GLib.idle_add(once)


class GtkPrompter:
    """Asks on the GTK loop; ``ask`` and ``copy`` block the calling (non-GTK) thread."""

    def ask(self) -> str | None:
        """The instruction the user typed; None when they cancelled or closed the dialog."""
        answer: list[str | None] = [None]
        done = threading.Event()

        def respond(dialog: Any, response: int, entry: Any) -> None:
            if response == Gtk.ResponseType.OK:
                answer[0] = entry.get_text().strip() or None
            dialog.destroy()
            done.set()

        on_loop(lambda: GtkPrompter._show(respond))
        done.wait()
        return answer[0]

    @staticmethod
    def _show(respond: Callable[[Any, int, Any], None]) -> None:
        dialog = Gtk.Dialog(title=TITLE)
        dialog.add_buttons("Cancel", Gtk.ResponseType.CANCEL, "Draft", Gtk.ResponseType.OK)
        dialog.set_default_response(Gtk.ResponseType.OK)
        dialog.set_keep_above(True)
        entry = Gtk.Entry()
        entry.set_activates_default(True)  # Enter drafts
        entry.set_width_chars(50)
        box = dialog.get_content_area()
        box.set_spacing(6)
        box.add(Gtk.Label(label=QUESTION, xalign=0))
        box.add(entry)
        dialog.connect("response", respond, entry)
        dialog.show_all()
        dialog.present()

    def copy(self, text: str) -> None:
        """Put ``text`` on the desktop's clipboard (the tray keeps offering it until replaced)."""
        done = threading.Event()

        def put() -> None:
            clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
            clipboard.set_text(text, -1)
            clipboard.store()  # a clipboard manager, where one runs, keeps it after we exit
            done.set()

        on_loop(put)
        done.wait(30)


class QuietNotifier:
    """pystray's notifier, minus the crash where no notification server runs.

    pystray closes its notification when the icon stops; with no
    ``org.freedesktop.Notifications`` on the bus (bare window managers) that call raises
    ``GLib.GError`` out of ``Icon.run``.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def notify(self, *args: Any) -> None:
        if self.inner is not None:
            self._quietly("Notify", self.inner.notify, *args)

    def hide(self) -> None:
        if self.inner is not None:
            self._quietly("CloseNotification", self.inner.hide)

    @staticmethod
    def _quietly(what: str, call: Callable[..., None], *args: Any) -> None:
        try:
            call(*args)
        except GLib.Error as exc:
            log.debug("%s: no notification server (%s)", what, exc.message)


def guarded(icon_class: Any) -> Any:
    """``icon_class`` with :class:`QuietNotifier` in place of pystray's notifier."""

    class Icon(icon_class):  # type: ignore[misc]
        def _initialize(self) -> None:
            try:
                super()._initialize()
            except GLib.Error as exc:  # no session bus: no notifier at all
                log.info("no D-Bus session bus for notifications: %s", exc.message)
                self._notifier = None
                self._mark_ready()
            self._notifier = QuietNotifier(self._notifier)

    return Icon
