"""What a mail source gets from the sync pass and gives back: the seam between them.

A source module offers ``sync_account(ctx: SyncContext) -> InsertResult`` and is named
in :data:`panza.daemon.pipeline.sync.SYNCERS`; it imports from here, never from ``sync``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from panza.daemon.config import AccountConfig
from panza.daemon.mail.clean import CleanRules
from panza.daemon.store import InsertResult, Store

# (done, total) for the account being synced; total is None while unknown.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class SyncContext:
    """Everything a source needs to sync one account."""

    store: Store
    name: str
    account: AccountConfig
    rules: CleanRules
    max_bytes: int
    test_fraction: float
    progress: Progress | None = None


SyncFn = Callable[[SyncContext], InsertResult]
