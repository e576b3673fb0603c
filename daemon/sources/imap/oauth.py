"""OAuth2 access tokens for XOAUTH2 logins (Gmail, Outlook/Microsoft 365).

The keyring entry ``NAME:token`` holds either a bare access token or the JSON
an OAuth library writes for an authorized user (google-auth's
``Credentials.to_json()``: token, refresh_token, client_id, client_secret,
token_uri, expiry). With a refresh token the access token is renewed here by
the standard ``refresh_token`` grant, the same for Google and Microsoft.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from panza.daemon.errors import AuthError, SourceError, UserError

# Renew a little early so the token cannot expire between the check and the login.
EARLY = timedelta(seconds=60)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class OAuthToken:
    """An access token and, when known, what is needed to renew it."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    token_uri: str = ""
    expiry: datetime | None = None
    # Other keys of the stored JSON, written back unchanged.
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    is_json: bool = False

    @classmethod
    def parse(cls, value: str) -> OAuthToken:
        text = value.strip()
        if not text.startswith("{"):
            if not text:
                raise UserError("the OAuth2 token is empty")
            return cls(text)
        try:
            data = dict(json.loads(text))
        except (ValueError, TypeError):
            raise UserError("the OAuth2 token looks like JSON but does not parse") from None
        access = str(data.pop("token", "") or data.pop("access_token", "") or "")
        expiry = _parse_time(data.pop("expiry", None))
        return cls(
            access,
            str(data.pop("refresh_token", "") or ""),
            str(data.pop("client_id", "") or ""),
            str(data.pop("client_secret", "") or ""),
            str(data.pop("token_uri", "") or ""),
            expiry,
            data,
            True,
        )

    def to_secret(self) -> str:
        """The keyring value: the same shape it was given in."""
        if not self.is_json:
            return self.access_token
        data = dict(self.extra)
        data.update(
            token=self.access_token,
            refresh_token=self.refresh_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_uri=self.token_uri,
        )
        if self.expiry is not None:
            data["expiry"] = self.expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return json.dumps({k: v for k, v in data.items() if v != ""}, sort_keys=True)

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.token_uri)

    def expired(self, now: datetime | None = None) -> bool:
        if not self.access_token:
            return True
        if self.expiry is None:
            return False
        return (now or datetime.now(UTC)) >= self.expiry - EARLY


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def refresh(token: OAuthToken, timeout_s: float = 20.0) -> OAuthToken:
    """A new access token from the token endpoint; a refused grant is an AuthError."""
    if not token.can_refresh:
        raise AuthError("the OAuth2 token expired and cannot be renewed (no refresh token)")
    url = urllib.parse.urlsplit(token.token_uri)
    if url.scheme != "https" and not (url.scheme == "http" and url.hostname in _LOOPBACK):
        raise AuthError(f"refusing to send the refresh token to a non-https URL ({url.netloc})")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token.refresh_token,
        "client_id": token.client_id,
    }
    if token.client_secret:
        form["client_secret"] = token.client_secret
    request = urllib.request.Request(
        token.token_uri,
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data = dict(json.loads(response.read()))
    except (ValueError, TypeError):
        raise SourceError(f"{url.hostname} answered the token renewal with non-JSON") from None
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 401):  # invalid_grant: revoked, expired or password changed
            raise AuthError(f"{url.hostname} refused to renew the OAuth2 token") from None
        # 5xx and the like: a transient fault, retried by the caller like a dropped link.
        raise ConnectionError(f"{url.hostname} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise ConnectionError(f"cannot reach {url.hostname}: {exc.reason}") from None
    access = str(data.get("access_token", ""))
    if not access:
        raise AuthError(f"{url.hostname} answered the token renewal without an access token")
    expires_in = data.get("expires_in")
    expiry = (
        datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in is not None else None
    )
    # Microsoft rotates refresh tokens; Google keeps the old one.
    return replace(
        token,
        access_token=access,
        refresh_token=str(data.get("refresh_token") or token.refresh_token),
        expiry=expiry,
        is_json=True,
    )
