"""What the daemon does, as blocking operations on its state: sync, index, import, status.

Handlers and schedules run these through :class:`panza.daemon.server.jobs.Jobs` in
worker threads; nothing here knows about sockets.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panza.daemon.autodraft.outcomes import match_sent_replies
from panza.daemon.config import Config, load_config
from panza.daemon.errors import ConfigError, PanzaError
from panza.daemon.index import EmailIndex, load_embedder, retrieve
from panza.daemon.index.retrieve import Retrieved
from panza.daemon.mail.clean import CleanRules
from panza.daemon.paths import Paths
from panza.daemon.pipeline import feedback as draft_feedback
from panza.daemon.pipeline.ingest import MBOX_ACCOUNT, ingest, mbox_mails
from panza.daemon.pipeline.sync import SyncOutcome, sync_accounts
from panza.daemon.store import InsertResult, Store, counts
from panza.daemon.store.db import now
from panza.daemon.store.state import (
    account_status,
    adapter_versions,
    current_adapter,
    kept_since_last_adapter,
)
from panza.daemon.tuning.retrain import Progress

log = logging.getLogger(__name__)


class FileChanged(PanzaError):
    """An imported file was written to while it was read: it stays to be read again."""


class Service:
    """The daemon's state and the operations on it."""

    def __init__(self, paths: Paths, config: Config, store: Store) -> None:
        self.paths = paths
        self.config = config
        self.store = store
        self.config_error: str | None = None
        self.paused = False
        self.import_failures: dict[str, str] = {}  # import folder file name -> what went wrong
        self.started_at = time.time()
        self._index: EmailIndex | None = None
        self._index_lock = threading.Lock()
        # Parts started by the daemon add their own status (name -> a function returning it).
        self.status_parts: dict[str, Callable[[], Any]] = {}

    # --- config -----------------------------------------------------------------------
    def reload_config(self) -> Config:
        """Re-read the config; on error keep the current one and remember why."""
        try:
            config = load_config(self.paths.config_file)
        except ConfigError as exc:
            self.config_error = str(exc)
            log.warning("config change not applied: %s", exc)
            raise
        self.config, self.config_error = config, None
        log.info("config reloaded")
        return config

    # --- mail -------------------------------------------------------------------------
    def sync(self, progress: Progress, account: str | None = None) -> list[SyncOutcome]:
        """One sync pass; the index follows when mail came in, then sent drafts are matched."""

        def per_account(name: str) -> Any:
            return lambda done, total: progress(f"sync {name}", done, total)

        since = now(self.store.conn)
        outcomes = sync_accounts(self.store, self.config, only=account, progress=per_account)
        if any(o.result.changed for o in outcomes):  # new mail, or mail gone from a source
            self.update_index(progress)
        if sum(o.result.kept for o in outcomes):
            self.match_sent_drafts(since)
        return outcomes

    def match_sent_drafts(self, since: str) -> int:
        """Feedback from sent mail stored since ``since`` that matches a recent draft."""
        # Background drafts by thread first; the rest by similarity, in batches. Neither
        # holds the store lock while it scores.
        matched = match_sent_replies(self.store, since) + draft_feedback.match_sent(
            self.store, since
        )
        if matched:
            log.info("matched %d sent email(s) to drafts", matched)
        return matched

    def import_mbox(self, path: Path, progress: Progress) -> InsertResult:
        """Import a dropped mbox file, then move it to ``import/done``.

        A file that changed while it was read is left where it is (:class:`FileChanged`):
        what was stored stays stored, and the next import skips it as already stored.
        """
        before = path.stat()
        size = before.st_size
        result = ingest(
            self.store,
            mbox_mails(path, progress=lambda pos: progress("import", pos, size)),
            CleanRules.from_config(self.config),
            MBOX_ACCOUNT,
            max_bytes=self.config.cleaning.max_message_bytes,
            test_fraction=self.config.training.test_fraction,
            workers=1,  # no fork from a threaded daemon
        )
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (size, before.st_mtime_ns):
            raise FileChanged(f"{path.name} changed while it was imported; it will be read again")
        done = self.paths.import_dir / "done"
        done.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), done / path.name)
        if result.new:
            self.update_index(progress)
        return result

    # --- retrieval --------------------------------------------------------------------
    def index(self) -> EmailIndex:
        with self._index_lock:
            if self._index is None:
                models = self.config.model
                embedder = load_embedder(models.embedding, models.allow_download, models.device)
                self._index = EmailIndex(self.paths.index_dir, embedder)
            return self._index

    def update_index(self, progress: Progress) -> dict[str, Any]:
        index = self.index()
        plan = index.plan(self.store.conn)
        total = len(plan.embed)
        report = index.apply(self.store.conn, plan, lambda n: progress("index", n, total))
        return {
            "embedded": report.embedded,
            "removed": report.removed,
            "indexed": report.indexed,
            "rebuilt": report.rebuilt,
        }

    def retrieve(self, query: str, last_message: str | None = None) -> list[Retrieved]:
        return retrieve(self.index(), self.store.conn, query, last_message=last_message)

    def new_since_last_training(self) -> int:
        """Kept emails stored after the newest adapter version was made (all, before any)."""
        return kept_since_last_adapter(self.store.conn)

    # --- feedback and status ---------------------------------------------------------
    def feedback(self, draft_id: str, text: str) -> bool:
        """Store the sent text and how much of the draft survived; False for an unknown id."""
        return draft_feedback.record(self.store, draft_id, text) is not None

    def status(self) -> dict[str, Any]:
        kept, discarded = counts(self.store.conn)
        accounts = []
        for name, account in self.config.accounts.items():
            st = account_status(self.store.conn, name) or {}
            accounts.append(
                {
                    "name": name,
                    "kind": account.kind,
                    "state": st.get("state", "never_synced"),
                    "message": st.get("message", ""),
                    "last_sync_at": st.get("last_sync_at"),
                }
            )
        current = current_adapter(self.store.conn)
        found = None if current is None else adapter_versions(self.store.conn).get(current)
        adapter = None
        if found is not None:
            adapter = {
                "version": found.version,
                "method": found.method,
                "created_at": found.created_at,
                "email_count": found.email_count,
                "metrics": found.metrics,
            }
        return {
            "paused": self.paused,
            "config_error": self.config_error,
            "uptime_s": round(time.time() - self.started_at, 1),
            "accounts": accounts,
            "emails": {
                "kept": kept,
                "discarded": sum(discarded.values()),
                "discarded_by_reason": discarded,
            },
            "index": {
                "loaded": self._index is not None,
                "count": len(self._index) if self._index is not None else None,
            },
            "adapter": adapter,
            "acceptance": draft_feedback.acceptance(self.store.conn),
            "import_failures": dict(self.import_failures),
            **{name: part() for name, part in self.status_parts.items()},
        }
