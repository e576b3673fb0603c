"""``panza tray``: the pystray shell around :mod:`panza.daemon.tray.model`.

One thread polls ``status`` over one persistent connection (reconnecting when
the daemon comes back) and redraws; menu actions run in their own threads so a
long sync never freezes the menu. A client of the socket only: no torch here.
"""

from __future__ import annotations

import functools
import logging
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from panza.daemon import paths as panza_paths
from panza.daemon.client import Client, DaemonError, DaemonUnavailable
from panza.daemon.errors import PanzaError
from panza.daemon.tray import backend, icons, model, xorg
from panza.daemon.tray.model import Action, Drafting

log = logging.getLogger(__name__)

NOTICE_S = 600.0  # how long the outcome of an action stays in the menu
Opener = Callable[[Path], None]


class TrayError(PanzaError):
    """The tray cannot be shown or cannot do what was asked."""


class Prompter(Protocol):
    """Asks for a draft's instruction and copies the draft; both block the calling thread."""

    def ask(self) -> str | None: ...

    def copy(self, text: str) -> None: ...


class StatusPoller:
    """``status`` over one persistent connection; ``None`` while the daemon is down."""

    def __init__(self, socket_file: Path, timeout: float = 10.0) -> None:
        self.socket_file = socket_file
        self.timeout = timeout
        self.connects = 0  # a new connection may be a new daemon (version)
        self.ping: dict[str, Any] | None = None  # that daemon's ping: the methods it offers
        self._client: Client | None = None
        self._lock = threading.Lock()

    def poll(self) -> dict[str, Any] | None:
        with self._lock:
            try:
                if self._client is None:
                    self._client = Client(self.socket_file, timeout=self.timeout)
                    self.connects += 1
                    self.ping = self._ping(self._client)
                return self._client.call("status")
            except (DaemonUnavailable, DaemonError, OSError, ValueError):
                self._close()  # the daemon went away (or is restarting): reconnect next time
                return None

    @staticmethod
    def _ping(client: Client) -> dict[str, Any] | None:
        """The daemon's ping, or None (offers everything) from one that refuses the request:
        an answer, even a refusal, still means the daemon is there."""
        try:
            return client.call("ping")
        except DaemonError:
            return None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def open_path(path: Path) -> None:
    """Show a folder or file in the desktop's default application, without waiting."""
    command = "open" if sys.platform == "darwin" else "xdg-open"
    exe = shutil.which(command)
    if exe is None:
        raise TrayError(f"cannot open {path}: {command} is not installed")
    proc = subprocess.Popen(
        [exe, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it


class TrayApp:
    """The tray: polls the daemon, renders :func:`model.view`, runs menu actions."""

    def __init__(
        self, where: panza_paths.Paths, poll_s: float = 3.0, opener: Opener = open_path
    ) -> None:
        self.where = where
        self.poll_s = poll_s
        self.opener = opener
        self.poller = StatusPoller(where.socket_file)
        self.closing = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._status: dict[str, Any] | None = None
        self._notice: tuple[str, float] | None = None
        self.prompter: Prompter | None = None  # set by run() where the backend has dialogs
        self._drafting = False
        self._seen: model.Seen | None = None  # for the training ETA
        self._view = model.view(None, time.time())
        self._shown: model.View | None = None
        self.icon: Any = None  # the pystray icon while running

    # --- state --------------------------------------------------------------------------
    @property
    def view(self) -> model.View:
        return self._view

    def refresh(self) -> model.View:
        """Poll once and recompute the view."""
        status = self.poller.poll()
        with self._lock:
            self._status = status
            return self._recompute()

    def _recompute(self) -> model.View:
        now = time.time()
        notice = self._notice[0] if self._notice and now - self._notice[1] < NOTICE_S else None
        available = model.offers(self.poller.ping, "retrain")
        self._seen = model.follow(self._seen, self._status, now)
        drafting = Drafting.BUSY if self._drafting else Drafting.READY
        if self.prompter is None:
            drafting = Drafting.UNSUPPORTED
        self._view = model.view(
            self._status,
            now,
            notice,
            retrain_available=available,
            drafting=drafting,
            seen=self._seen,
        )
        return self._view

    def _say(self, notice: str | None) -> None:
        with self._lock:
            if notice is not None:
                self._notice = (notice, time.time())
            self._recompute()
        self._wake.set()

    # --- actions ------------------------------------------------------------------------
    def trigger(self, action: Action) -> threading.Thread:
        """Run ``action`` in the background (menu callbacks must return at once)."""
        thread = threading.Thread(
            target=self.perform, args=(action,), name=f"tray-{action.value}", daemon=True
        )
        thread.start()
        return thread

    def perform(self, action: Action) -> None:
        """Run one menu action to completion and show its outcome."""
        if action is Action.CLOSE:
            self.close()
        elif action in (Action.OPEN_DATA, Action.OPEN_LOG):
            self._open(action)
        elif action is Action.DRAFT:
            self._draft()
        else:
            if action is Action.QUIT:
                self.poller.close()  # no connection of ours left for the daemon to wind down
            self._request(action)
            if action is Action.QUIT:
                self.close()

    def _request(self, action: Action) -> None:
        method, params = model.REQUESTS[action]
        self._wake.set()  # show "Syncing…" as soon as the daemon reports it
        result = self._call(action, method, params)
        if result is not None:
            self._say(model.describe_reply(action, result))

    def _call(self, action: Action, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The daemon's result; None, with the reason shown, when it failed."""
        long_running = action in (Action.SYNC, Action.RETRAIN, Action.DRAFT)
        try:
            with Client(self.where.socket_file, timeout=None if long_running else 30) as client:
                return client.call(method, params)
        except DaemonUnavailable:
            self._say(None if action is Action.QUIT else "The Panza daemon is not running")
        except DaemonError as exc:
            message = str(exc).removesuffix(f" ({exc.code})")
            log.info("%s: the daemon answered %s", method, exc.code)  # messages may name people
            self._say(model.describe_error(action, exc.code, message))
        except OSError as exc:
            log.info("%s: connection failed: %s", method, exc.strerror)
            self._say(f"{method}: lost the connection to the daemon")
        return None

    def _draft(self) -> None:
        """Ask for an instruction, draft it in the daemon, put the draft on the clipboard."""
        prompter = self.prompter
        with self._lock:
            if prompter is None or self._drafting:
                return  # the item is disabled then; a click raced the update
            self._drafting = True
        self._say(None)
        try:
            instruction = prompter.ask()
            if instruction is None:
                return
            self._say("Writing the draft…")
            result = self._call(Action.DRAFT, "draft", {"instruction": instruction})
            if result is not None:
                prompter.copy(str(result.get("text", "")))
                self._say(model.describe_reply(Action.DRAFT, result))
        finally:
            with self._lock:
                self._drafting = False
            self._say(None)

    def _open(self, action: Action) -> None:
        where = self.where
        if action is Action.OPEN_DATA:
            target, what = where.data_dir, "the data folder"
        else:
            target, what = where.logs_dir / "daemon.log", "the log"
            target = target if target.exists() else where.logs_dir
        if not target.exists():
            self._say(f"No {what.removeprefix('the ')} yet: the daemon has not run")
            return
        try:
            self.opener(target)
        except (OSError, PanzaError) as exc:
            self._say(f"Could not open {what}: {exc}")

    # --- shell --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the tray (the daemon keeps running); safe from any thread or a signal."""
        self.closing.set()
        self._wake.set()

    def run(self) -> None:
        """Show the icon until :meth:`close`; blocks (pystray wants the main thread)."""
        try:
            import pystray
        except Exception as exc:  # no display: Xlib raises its own errors, not ImportError
            raise TrayError(
                f"cannot show a tray icon here ({exc}); a desktop session is needed"
            ) from None
        loaded = pystray.Icon.__module__.rsplit("._", 1)[-1]
        problem = backend.explain(loaded, backend.support())
        if problem is not None:
            log.warning("%s", problem)
        icon_class = xorg.guarded(pystray.Icon)
        if loaded in backend.GTK_BACKENDS:
            from panza.daemon.tray import gtk

            icon_class = gtk.guarded(icon_class)
            self.prompter = gtk.GtkPrompter()
        view = self._shown = self.refresh()  # the first paint shows the real state
        self.icon = icon_class(
            "panza",
            icon=icons.icon(view.state, view.percent),
            title=view.title,
            menu=pystray.Menu(functools.partial(self._menu_items, pystray)),
        )
        try:
            self.icon.run(setup=self._loop)
        finally:
            if hasattr(self.icon, "close_side"):
                self.icon.close_side()

    def _loop(self, tray: Any) -> None:
        # pystray's setup thread: the only one that touches the icon after start.
        tray.visible = True
        try:
            while not self.closing.is_set():
                self._wake.wait(self.poll_s)
                self._wake.clear()
                try:
                    self.refresh()
                    self._render(tray)
                except Exception:  # an odd reply must not take the icon away
                    log.exception("tray update failed")
        finally:
            self.poller.close()
            tray.stop()  # from this thread: pystray then need not wait for us

    def _render(self, tray: Any) -> None:
        view = self.view
        if view == self._shown:
            return
        if self._shown is None or (view.state, view.percent) != (
            self._shown.state,
            self._shown.percent,
        ):
            tray.icon = icons.icon(view.state, view.percent)
        tray.title = view.title
        tray.update_menu()
        self._shown = view

    def _menu_items(self, pystray: Any) -> tuple[Any, ...]:
        items: list[Any] = []
        for item in self.view.items:
            if item.separator:
                items.append(pystray.Menu.SEPARATOR)
                continue
            act = functools.partial(self._clicked, item.action) if item.action else None
            items.append(
                pystray.MenuItem(item.label, act, enabled=item.enabled, default=item.default)
            )
        return tuple(items)

    def _clicked(self, action: Action, _icon: Any, _item: Any) -> None:
        self.trigger(action)


def main(poll_s: float = 3.0) -> int:
    """Run the tray in the foreground until "Close tray", "Quit Panza" or SIGTERM/SIGINT."""
    app = TrayApp(panza_paths.resolve(), poll_s)

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        app.close()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    app.run()
    return 0
