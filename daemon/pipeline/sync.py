"""One sync pass over every configured account; one failing account never stops the others.

Sources register a function per account kind in :data:`SYNCERS` (their seam is
:mod:`panza.daemon.sources.contract`; they never import this module). Each stores
its mail through :func:`panza.daemon.pipeline.ingest.ingest_batch` (batch and cursor in
one transaction) and raises :class:`AuthError` when credentials are refused,
which marks the account "re-authentication needed" and is never retried here.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from panza.daemon.config import AccountConfig, Config
from panza.daemon.errors import AuthError, PanzaError
from panza.daemon.mail.clean import CleanRules
from panza.daemon.sources.contract import Progress, SyncContext, SyncFn
from panza.daemon.store import InsertResult, Store
from panza.daemon.store.state import AccountState, set_account_status

log = logging.getLogger(__name__)

# kind -> the function, or "module:function" imported on first use (keeps heavy
# client libraries out of commands that never sync).
SYNCERS: dict[str, SyncFn | str] = {
    "gmail": "panza.daemon.sources.gmail.sent:sync_account",
    "imap": "panza.daemon.sources.imap.sent:sync_account",
}


def _resolve(kind: str) -> SyncFn | None:
    target = SYNCERS.get(kind)
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        SYNCERS[kind] = target
    return target


@dataclass
class SyncOutcome:
    """What one account's sync did."""

    account: str
    result: InsertResult = field(default_factory=InsertResult)
    error: str | None = None
    auth_needed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def sync_accounts(
    store: Store,
    config: Config,
    only: str | None = None,
    progress: Callable[[str], Progress | None] | None = None,
) -> list[SyncOutcome]:
    """Sync every account (or just ``only``) and record each one's status."""
    names = [only] if only is not None else list(config.accounts)
    rules = CleanRules.from_config(config)
    outcomes = []
    for name in names:
        account = config.accounts.get(name)
        if account is None:
            raise PanzaError(f"no account named {name!r} (see: panza account list)")
        outcomes.append(_sync_one(store, config, name, account, rules, progress))
    return outcomes


def _sync_one(
    store: Store,
    config: Config,
    name: str,
    account: AccountConfig,
    rules: CleanRules,
    progress: Callable[[str], Progress | None] | None,
) -> SyncOutcome:
    syncer = _resolve(account.kind)
    outcome = SyncOutcome(name)
    if syncer is None:
        outcome.error = f"this Panza cannot sync {account.kind} accounts"
    else:
        ctx = SyncContext(
            store,
            name,
            account,
            rules,
            config.cleaning.max_message_bytes,
            config.training.test_fraction,
            progress(name) if progress else None,
        )
        try:
            outcome.result = syncer(ctx)
        except AuthError as exc:
            outcome.error, outcome.auth_needed = str(exc), True
        except PanzaError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a bug in one source must not stop the others
            log.exception("sync of account %s failed", name)
            outcome.error = f"unexpected error ({type(exc).__name__}); see the log"
    state: AccountState = (
        "ok" if outcome.ok else ("auth_needed" if outcome.auth_needed else "error")
    )
    with store.write() as conn:
        set_account_status(conn, name, state, outcome.error or "", outcome.result.new)
    return outcome
