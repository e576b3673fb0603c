"""Granting autodraft the right to write Gmail drafts: incremental consent for gmail.compose.

The token from ``panza account add gmail`` reads mail only. Turning autodraft on
asks Google for ``gmail.compose`` on top (``include_granted_scopes``), with the
same OAuth client and loopback flow, and keeps the new token in the keyring.
"""

from __future__ import annotations

from pathlib import Path

from panza.daemon.autodraft.gmail_watch import has_draft_scope
from panza.daemon.cli.account_gmail import CLIENT_FILE
from panza.daemon.config import GmailAccount
from panza.daemon.errors import AuthError
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.gmail.inbox import COMPOSE_SCOPE


def ensure_compose_scope(name: str, account: GmailAccount, config_path: Path) -> None:
    """Return when the account may write drafts; else sign in for it, or refuse clearly."""
    creds = auth.load_credentials(name)
    if has_draft_scope(creds.scopes):
        return
    client_file = Path(account.client_secrets) if account.client_secrets else None
    client_file = client_file or config_path.parent / CLIENT_FILE
    client = auth.load_client_config(client_file)
    print(
        f"Autodraft writes replies into {name}'s Gmail drafts, so Google must allow Panza to"
        " write drafts (gmail.compose) as well as read; it never sends mail."
    )
    try:
        fresh = auth.sign_in(client, scopes=[*auth.SCOPES, COMPOSE_SCOPE], incremental=True)
    except AuthError as exc:
        raise AuthError(
            f"autodraft stays off for {name}: Google did not allow writing drafts ({exc})", name
        ) from None
    if not has_draft_scope(fresh.scopes):
        raise AuthError(
            f"autodraft stays off for {name}: the permission to write drafts was not granted",
            name,
        )
    auth.save_credentials(name, fresh)
