"""An IMAP account's login: its config plus the secret from the OS keyring.

Passwords are keyring kind ``password``; OAuth2 tokens are kind ``token`` and
are renewed (and written back) when expired or refused once.
"""

from __future__ import annotations

from imapclient import IMAPClient

from panza.daemon.config.schema import ImapAccount
from panza.daemon.errors import AuthError, UserError
from panza.daemon.secrets import get_secret, set_secret
from panza.daemon.sources.imap.conn import Connector, ImapSettings
from panza.daemon.sources.imap.oauth import OAuthToken, refresh


def secret_kind(account: ImapAccount) -> str:
    return "token" if account.auth == "oauth2" else "password"


def settings_for(account: ImapAccount, secret: str) -> ImapSettings:
    return ImapSettings(
        host=account.host,
        port=account.port,
        user=account.user,
        secret=secret,
        starttls=account.starttls,
        ca_file=account.ca_file,
        oauth2=account.auth == "oauth2",
    )


class AccountLogin:
    """Opens sessions for one configured account, renewing an OAuth2 token at most once."""

    def __init__(self, name: str, account: ImapAccount) -> None:
        self.name = name
        self.account = account
        self.renewed = False
        # Read on the first open(), inside the caller's retry: renewing a token needs
        # the network, and a failure there is as transient as a dropped connection.
        self._secret: str | None = None

    def _stored(self) -> str:
        value = get_secret(self.name, secret_kind(self.account))
        if not value:
            what = "OAuth2 token" if self.account.auth == "oauth2" else "password"
            raise AuthError(f"no {what} for this account in the keyring", self.name)
        return value

    def _token(self) -> OAuthToken:
        try:
            return OAuthToken.parse(self._stored())
        except UserError as exc:
            raise AuthError(f"the stored OAuth2 token is unusable: {exc}", self.name) from None

    def _load(self) -> str:
        if self.account.auth != "oauth2":
            return self._stored()
        token = self._token()
        if token.expired() and token.can_refresh:
            return self._renew(token)
        return token.access_token

    def _renew(self, token: OAuthToken) -> str:
        fresh = refresh(token)
        set_secret(self.name, "token", fresh.to_secret())
        self.renewed = True
        return fresh.access_token

    def open(self, connect: Connector) -> IMAPClient:
        """A logged-in session; an OAuth2 token the server refuses is renewed once."""
        if self._secret is None:
            self._secret = self._load()
        try:
            return connect(settings_for(self.account, self._secret))
        except AuthError:
            if self.account.auth != "oauth2" or self.renewed:
                raise
            token = self._token()
            if not token.can_refresh:
                raise
            self._secret = self._renew(token)
            return connect(settings_for(self.account, self._secret))
