"""Checking a new IMAP account before it is saved: one login, one folder look-up.

No retries here: the person adding the account is waiting and wants the
reason at once. Every failure is a :class:`UserError` (one line, exit 2).
"""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from panza.daemon.config.schema import ImapAccount
from panza.daemon.errors import SourceError, UserError
from panza.daemon.sources.imap.conn import (
    close,
    describe,
    is_transient,
    open_session,
    server_text,
)
from panza.daemon.sources.imap.folders import ListEntry, choose_sent_folder, folder_names
from panza.daemon.sources.imap.login import secret_kind, settings_for
from panza.daemon.sources.imap.oauth import OAuthToken, refresh

T = TypeVar("T")


@dataclass(frozen=True)
class Verified:
    """What the check found, and the secret to keep (a renewed token, if it was renewed)."""

    folder: str
    reason: str
    secret_kind: str
    secret: str = field(repr=False)


def verify_account(name: str, account: ImapAccount, secret: str) -> Verified:
    """Log in with ``secret`` and find the Sent folder (or check ``account.folder``)."""
    keep, login_secret = secret, secret
    if account.auth == "oauth2":
        token = OAuthToken.parse(secret)
        if token.expired() and token.can_refresh:
            token = _guard(name, account, lambda: refresh(token))
            keep = token.to_secret()
        login_secret = token.access_token
    settings = settings_for(account, login_secret)
    client = _guard(name, account, lambda: open_session(settings))
    try:
        entries = _guard(name, account, client.list_folders)
    finally:
        close(client)
    if account.folder:
        if account.folder not in folder_names(entries):
            raise UserError(
                f"cannot add account {name}: there is no folder {account.folder!r} on the server"
                f" (folders: {_names(entries)})"
            )
        folder, reason = account.folder, "chosen with --folder"
    else:
        choice = choose_sent_folder(entries)
        if choice is None:
            raise UserError(
                f"cannot add account {name}: found no Sent folder (folders: {_names(entries)});"
                " name it with --folder"
            )
        folder, reason = choice.name, choice.reason
    return Verified(folder, reason, secret_kind(account), keep)


def _names(entries: Sequence[ListEntry]) -> str:
    names = folder_names(entries)
    return ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")


def _guard(name: str, account: ImapAccount, step: Callable[[], T]) -> T:
    """Run one step, turning every failure into a one-line reason."""
    try:
        return step()
    except (SourceError, UserError) as exc:
        raise UserError(f"cannot add account {name}: {exc}") from None
    except imaplib.IMAP4.error as exc:
        raise UserError(f"cannot add account {name}: the server said {server_text(exc)}") from None
    except Exception as exc:
        if not is_transient(exc):
            raise
        where = f"{account.host}:{account.port}"
        raise UserError(
            f"cannot add account {name}: cannot reach {where} ({describe(exc)})"
        ) from None
