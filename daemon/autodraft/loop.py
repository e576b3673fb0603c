"""The thread every account's autodraft watcher runs in: start, wake, stop, reconnect.

A subclass's :meth:`session` holds a connection and loops until ``stopping``; a
fault that is worth retrying starts a new session after a capped, jittered
pause; refused credentials end the watcher (``error`` says why, ``status``
shows it) until the config changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from panza.daemon.autodraft.engine import DraftFn
from panza.daemon.config import Config
from panza.daemon.errors import AuthError, PanzaError
from panza.daemon.sources.imap.conn import describe, is_transient
from panza.daemon.sources.retry import RetryPolicy
from panza.daemon.store import Store

log = logging.getLogger(__name__)
WAIT_WHILE_HELD_S = 60.0  # pending drafts waiting for pause/limit: look again this often


class LoopWatcher:
    """One account's loop, in a thread of its own."""

    def __init__(
        self,
        name: str,
        store: Store,
        config: Callable[[], Config],
        draft: DraftFn,
        *,
        paused: Callable[[], bool] = lambda: False,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.config = config
        self.draft = draft
        self.paused = paused
        self.policy = policy or RetryPolicy()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"autodraft-{self.name}", daemon=True)
        self._thread.start()

    def wake_up(self) -> None:
        self.wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def session(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                self.session()
                return
            except AuthError as exc:
                self.error = str(exc)
                log.warning("autodraft for %s stopped: %s", self.name, exc)
                return
            except Exception as exc:
                if not is_transient(exc) and not isinstance(exc, PanzaError):
                    log.exception("autodraft for %s failed", self.name)
                failures += 1
                self.error = describe(exc)
                pause = self.policy.delay(min(failures, 8))
                log.warning("autodraft for %s: %s; again in %.0f s", self.name, self.error, pause)
                self.stopping.wait(pause)

    def wait_timeout(self, held: bool) -> float:
        """Until the next poll: the sync interval, or a minute while drafts are held."""
        timeout = self.config().schedule.sync_minutes * 60.0
        return min(timeout, WAIT_WHILE_HELD_S) if held else timeout

    def sleep(self, timeout: float) -> None:
        self.wake.wait(timeout)
        self.wake.clear()


def now() -> datetime:
    return datetime.now(UTC)
