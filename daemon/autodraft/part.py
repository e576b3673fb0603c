"""The daemon's autodraft part: a watcher per opted-in account, drafts behind interactive work.

Background drafts run on the daemon's one writer, queued behind every
"Draft with Panza" request and stopped at the next token when one arrives
(:meth:`Drafting.background`); at most ``autodraft.per_hour`` an hour, never while
the daemon is paused, and only for accounts with ``autodraft = true``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from panza.daemon.autodraft.engine import DraftFn
from panza.daemon.config import Config
from panza.daemon.protocol import DraftParams
from panza.daemon.server.drafting import Drafting
from panza.daemon.server.operations import Service
from panza.daemon.server.writer import Draft
from panza.daemon.store import Store
from panza.daemon.store.autodraft import state_counts, written_within

log = logging.getLogger(__name__)


class Watcher(Protocol):
    error: str | None

    def start(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def wake_up(self) -> None: ...


WatcherFactory = Callable[..., Watcher]
# kind -> "module:class", imported when an account of that kind turns autodraft on.
WATCHERS: dict[str, str] = {
    "imap": "panza.daemon.autodraft.imap_watch:ImapWatcher",
    "gmail": "panza.daemon.autodraft.gmail_watch:GmailWatcher",
}


def enabled_accounts(config: Config) -> list[str]:
    return [name for name, acct in config.accounts.items() if acct.autodraft]


def hold_reason(store: Store, config: Config, account: str, paused: bool) -> str | None:
    """Why a background draft may not start now, or None when it may."""
    if paused:
        return "paused"
    if account not in enabled_accounts(config):
        return "off"
    if written_within(store.conn, 60) >= config.autodraft.per_hour:
        return "hourly_limit"
    return None


def summary(store: Store, config: Config) -> dict[str, Any]:
    """Counts for ``status`` and the tray (also without a daemon)."""
    return {
        "accounts": enabled_accounts(config),
        "counts": state_counts(store.conn),
        "last_hour": written_within(store.conn, 60),
        "per_hour": config.autodraft.per_hour,
    }


class Autodraft:
    """Starts and stops the watchers as the config says; stops them all in :meth:`stop`."""

    def __init__(
        self, service: Service, drafting: Drafting, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.service = service
        self.drafting = drafting
        self.loop = loop
        self.watchers: dict[str, Watcher] = {}
        self.stopping = False

    def apply(self) -> None:
        """Start watchers for accounts turned on, stop those turned off (or removed)."""
        config = self.service.config
        wanted = {n: config.accounts[n].kind for n in enabled_accounts(config)}
        for name in [n for n in self.watchers if n not in wanted]:
            self.watchers.pop(name).stop()
            log.info("autodraft off for %s", name)
        for name, kind in wanted.items():
            if name in self.watchers or self.stopping:
                continue
            module, _, attr = WATCHERS[kind].partition(":")
            factory: WatcherFactory = getattr(importlib.import_module(module), attr)
            watcher = factory(
                name,
                self.service.store,
                lambda: self.service.config,
                self.draft_fn(name),
                paused=lambda: self.service.paused,
            )
            self.watchers[name] = watcher
            watcher.start()
            log.info("autodraft on for %s", name)

    def wake(self) -> None:
        for watcher in self.watchers.values():
            watcher.wake_up()

    def stop(self) -> None:
        self.stopping = True
        self.drafting.preempt()
        for watcher in self.watchers.values():
            watcher.stop()
        self.watchers.clear()

    def status(self) -> dict[str, Any]:
        out = summary(self.service.store, self.service.config)
        out["errors"] = {n: w.error for n, w in self.watchers.items() if w.error}
        return out

    def _may_run(self, account: str) -> bool:
        service = self.service
        held = hold_reason(service.store, service.config, account, service.paused)
        return held is None and not self.stopping

    def draft_fn(self, account: str) -> DraftFn:
        """What a watcher calls to have a reply drafted: the daemon's writer, held back when
        it may not run (None) and behind every interactive draft."""

        def draft(params: DraftParams) -> Draft | None:
            if not self._may_run(account):
                return None
            future = asyncio.run_coroutine_threadsafe(
                self.drafting.background(params, lambda: self._may_run(account)), self.loop
            )
            return future.result()

        return draft
