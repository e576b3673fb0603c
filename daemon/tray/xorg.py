"""Keeps pystray's xorg backend from deadlocking in python-xlib.

pystray's xorg icon runs changes made from other threads (new image, title, stop) by
sending its own window a ClientMessage over the icon's X connection, which its event
loop is reading at the same time. In python-xlib (0.33) a thread that flushes while the
loop thread waits for a reply can return without waking it: the loop then waits
forever and the icon freezes (or never stops). Seen under Xvfb about once in fifteen
icon updates. Sending those messages over a second connection keeps the icon's own
connection to one thread; the X server delivers them all the same.
"""

from __future__ import annotations

import threading
from typing import Any


def guarded(icon_class: Any) -> Any:
    """``icon_class``, or for the xorg backend a subclass that sends cross-thread messages
    over its own X connection."""
    if icon_class.__module__ != "pystray._xorg" or not hasattr(icon_class, "_send_message"):
        return icon_class

    from Xlib import X, display  # type: ignore[import-untyped]
    from Xlib.protocol import event  # type: ignore[import-untyped]

    class Icon(icon_class):  # type: ignore[misc]
        _side_lock = threading.Lock()
        _side: Any = None

        def _send_message(
            self, window: Any, client_type: int, l0: int = 0, l1: int = 0, l2: int = 0, l3: int = 0
        ) -> None:
            loop = getattr(self, "_thread", None)
            if loop is None or threading.current_thread() is loop:
                super()._send_message(window, client_type, l0, l1, l2, l3)
                return
            with self._side_lock:
                if self._side is None:
                    self._side = display.Display(self._display.get_display_name())
                target = self._side.create_resource_object("window", window.id)
                message = event.ClientMessage(
                    window=target,
                    client_type=client_type,
                    data=(32, (X.CurrentTime, l0, l1, l2, l3)),
                )
                target.send_event(message, event_mask=X.NoEventMask)
                self._side.flush()

        def close_side(self) -> None:
            with self._side_lock:
                if self._side is not None:
                    self._side.close()
                    self._side = None

    return Icon
