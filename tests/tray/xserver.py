"""A real X server (Xvfb) on a free display and a minimal system tray that docks icons.

Xvfb has no panel, so nothing would own the system tray selection and pystray's xorg
backend would have nowhere to dock. :class:`SystemTray` is the smallest tray manager
of the freedesktop System Tray spec: it owns ``_NET_SYSTEM_TRAY_S0``, takes
``SYSTEM_TRAY_REQUEST_DOCK`` messages and reparents the icon window into itself,
as a panel does.
"""

from __future__ import annotations

import collections
import os
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from Xlib import X, Xatom, display  # python-xlib: a pystray dependency on Linux

from tests.tray.conftest import missing

REQUEST_DOCK = 0
ICON_SIZE = 32


def start_xvfb(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start Xvfb on a display it picks itself (``-displayfd``); skip where it is absent."""
    exe = shutil.which("Xvfb")
    if exe is None:
        missing("Xvfb is not installed (Debian: apt-get install xvfb, or make sysdeps)")
    read_end, write_end = os.pipe()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "-displayfd", str(write_end), "-screen", "0", "320x240x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 20
    try:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_end], [], [], 0.2)
            if ready:
                chunk = os.read(read_end, 16)
                if not chunk:
                    break
                number += chunk
    finally:
        os.close(read_end)
    if not number.strip().isdigit():
        proc.kill()
        proc.wait(10)
        raise AssertionError(f"Xvfb did not start: {log.read_text(errors='replace')}")
    return proc, f":{number.decode().strip()}"


class SystemTray:
    """A tray manager on ``name``: docks icons and records them; runs in its own thread."""

    def __init__(self, name: str) -> None:
        self.d = display.Display(name)
        # an icon may be gone before its dock request is served: like panels, shrug
        self.d.set_error_handler(lambda *args: None)
        screen = self.d.screen()
        self.selection = self.d.intern_atom(f"_NET_SYSTEM_TRAY_S{self.d.get_default_screen()}")
        self.opcode = self.d.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
        self.window = screen.root.create_window(
            0,
            0,
            ICON_SIZE * 2,
            ICON_SIZE,
            0,
            screen.root_depth,
            event_mask=X.SubstructureNotifyMask,
        )
        self.window.map()
        self.window.set_selection_owner(self.selection, X.CurrentTime)
        self.d.sync()
        assert self.d.get_selection_owner(self.selection) == self.window
        self.docked: list[int] = []  # icon window ids, in docking order
        self.destroyed: collections.deque[int] = collections.deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-systray", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.d], [], [], 0.05)
            if not ready and not self.d.pending_events():
                continue
            while self.d.pending_events():
                self._handle(self.d.next_event())

    def _handle(self, event: Any) -> None:
        if event.type == X.ClientMessage and event.client_type == self.opcode:
            _time, opcode, icon_id = event.data[1][:3]
            if opcode == REQUEST_DOCK:
                icon = self.d.create_resource_object("window", icon_id)
                icon.reparent(self.window, 0, 0)
                icon.configure(width=ICON_SIZE, height=ICON_SIZE)
                icon.map()
                self.d.flush()
                self.docked.append(icon_id)
        elif event.type == X.DestroyNotify:
            self.destroyed.append(event.window.id)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.d.close()


class Viewer:
    """A separate X client that looks at the docked icon as a user would."""

    def __init__(self, name: str) -> None:
        self.d = display.Display(name)

    def title(self, window_id: int) -> str | None:
        window = self.d.create_resource_object("window", window_id)
        prop = window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
        return None if prop is None else bytes(prop.value).decode("latin-1")

    def main_colour(self, window_id: int) -> tuple[int, int, int] | None:
        """The most common colour of the window that is neither black nor near white."""
        window = self.d.create_resource_object("window", window_id)
        image = window.get_image(0, 0, ICON_SIZE, ICON_SIZE, X.ZPixmap, 0xFFFFFFFF)
        data = bytes(image.data)  # 24-bit depth: 4 bytes a pixel, B G R x
        counts = collections.Counter(
            (data[i + 2], data[i + 1], data[i]) for i in range(0, len(data), 4)
        )
        for colour, _ in counts.most_common():
            if 40 < sum(colour) < 600:
                return colour
        return None  # not drawn yet

    def children(self, window_id: int) -> list[int]:
        window = self.d.create_resource_object("window", window_id)
        return [w.id for w in window.query_tree().children]

    def close(self) -> None:
        self.d.close()
