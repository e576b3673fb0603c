"""Google sign-in for the Gmail API: the installed-app flow, the token in the OS keyring.

The user brings their own "Desktop app" OAuth client (gmail.readonly is a
restricted scope, so Panza cannot ship a verified one). Sign-in runs
google-auth-oauthlib's loopback flow on 127.0.0.1 with a random port and PKCE;
the token JSON goes to the keyring (never to disk); an expired access token is
refreshed, and a refused refresh (``invalid_grant``) means re-authentication,
not a retry.
"""

from __future__ import annotations

import json
import logging
import webbrowser
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2  # type: ignore[import-untyped]
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials

from panza.daemon.config.schema import encrypted_or_local
from panza.daemon.errors import AuthError, PanzaError, SourceError, UserError
from panza.daemon.secrets import get_secret, set_secret

SCOPES = ["https://www.googleapis.com/auth/gmail.readonly"]
TOKEN_KIND = "token"
SIGN_IN_TIMEOUT = 300
_CLIENT_KEYS = ("client_id", "client_secret", "auth_uri", "token_uri")
# Errors that no retry can fix: the grant was revoked or expired, or the client was deleted.
_REAUTH_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
# requests-oauthlib logs token requests and responses at DEBUG; the loopback
# listener logs the redirect it received, authorization code included, at INFO.
_CHATTY_LOGGERS = ("requests_oauthlib", "oauthlib", "google_auth_oauthlib")
_CREATE_CLIENT = (
    "create one in the Google Cloud console: APIs & Services > Credentials >"
    " Create credentials > OAuth client ID > Application type 'Desktop app', then download its JSON"
)
_BROWSER_PROMPT = (
    "Sign in to Google in your browser. If no browser opened, open this link:\n\n    {url}\n"
)
_NO_BROWSER_PROMPT = (
    "Open this link in a browser on this computer and allow Panza to read your email:\n\n"
    "    {url}\n"
)
_SUCCESS_PAGE = "Panza is signed in to Gmail. You can close this window."


def load_client_config(path: Path) -> dict[str, Any]:
    """The OAuth client JSON at ``path``; a :class:`UserError` unless it is a Desktop app client."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"no OAuth client file at {path}; {_CREATE_CLIENT}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not an OAuth client JSON file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not JSON"
        raise UserError(f"cannot read the OAuth client file {path} ({why})") from None
    if not isinstance(data, dict) or "installed" not in data:
        kind = "a 'Web application' client" if isinstance(data, dict) and "web" in data else None
        raise UserError(
            f"{path} is {kind or 'not an OAuth client file'}; Panza needs a 'Desktop app'"
            f" OAuth client: {_CREATE_CLIENT}"
        )
    installed = data["installed"]
    missing = [k for k in _CLIENT_KEYS if not isinstance(installed, dict) or not installed.get(k)]
    if missing:
        raise UserError(f"{path} lacks {', '.join(missing)}; download the client JSON again")
    for key in ("auth_uri", "token_uri"):  # the sign-in code and client secret go there
        if not encrypted_or_local(str(installed[key])):
            raise UserError(
                f"{path}: {key} must be an https:// address (plain http only to this machine);"
                " download the client JSON again"
            )
    return data


def sign_in(
    client_config: dict[str, Any],
    *,
    open_browser: bool = True,
    timeout: float = SIGN_IN_TIMEOUT,
    browser: str | None = None,
    port: int = 0,
    scopes: Sequence[str] = SCOPES,
    incremental: bool = False,
) -> Credentials:
    """Run the loopback sign-in flow and return credentials with a refresh token.

    ``port`` 0 picks a free one; a fixed port lets a remote user forward it over SSH.
    ``incremental`` asks Google to keep the scopes granted before (adding ``scopes``).
    """
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
    from requests import RequestException

    quiet_token_logs()
    if open_browser:
        try:
            webbrowser.get(browser)
        except webbrowser.Error:  # headless: print the link instead of failing
            open_browser = False
    flow = InstalledAppFlow.from_client_config(client_config, scopes=list(scopes))
    extra = {"include_granted_scopes": "true"} if incremental else {}
    try:
        creds: Credentials = flow.run_local_server(
            host="127.0.0.1",  # RFC 8252 prefers the literal to "localhost"
            port=port,
            open_browser=open_browser,
            browser=browser,
            authorization_prompt_message=_BROWSER_PROMPT if open_browser else _NO_BROWSER_PROMPT,
            success_message=_SUCCESS_PAGE,
            timeout_seconds=timeout,
            prompt="consent",  # Google sends a refresh token only on a fresh consent
            **extra,
        )
    except WSGITimeoutError:
        raise AuthError(f"no answer from the browser within {timeout:g} s; try again") from None
    except OAuth2Error as exc:
        raise AuthError(f"Google sign-in failed ({exc.error})") from None
    except RequestException as exc:
        raise SourceError(f"cannot reach Google's sign-in service ({type(exc).__name__})") from None
    except OSError as exc:  # the loopback port is taken
        raise UserError(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port"
        ) from None
    except Warning:  # oauthlib raises this when fewer scopes were granted than asked for
        raise AuthError(
            "Panza was not allowed to read your email; sign in again and tick"
            " 'View your email messages and settings'"
        ) from None
    finally:
        flow.oauth2session.close()
    if not creds.refresh_token:
        raise AuthError("Google issued no refresh token; sign in again")
    return creds


def quiet_token_logs() -> None:
    """Keep third-party debug logs that print tokens out of Panza's logs, even with -v."""
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def save_credentials(account: str, creds: Credentials) -> None:
    set_secret(account, TOKEN_KIND, creds.to_json())  # type: ignore[no-untyped-call]


def load_credentials(account: str) -> Credentials:
    """The account's stored credentials; :class:`AuthError` when there are none usable."""
    text = get_secret(account, TOKEN_KIND)
    if text is None:
        raise AuthError("no Google sign-in in the keyring; re-authentication needed", account)
    try:
        info = json.loads(text)
        token_uri = str(info["token_uri"])
        expiry = info.get("expiry")
        creds = Credentials(  # type: ignore[no-untyped-call]
            token=info.get("token"),
            refresh_token=info["refresh_token"],
            # from_authorized_user_info() forces Google's token URI; ours comes from the
            # client file the user signed in with and was written only by Panza.
            token_uri=token_uri,
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=info.get("scopes") or SCOPES,
            expiry=_parse_expiry(expiry) if expiry else None,
        )
    except (ValueError, KeyError, TypeError):
        raise AuthError(
            "the stored Google token is unreadable; re-authentication needed", account
        ) from None
    if not encrypted_or_local(token_uri):
        raise AuthError(f"refusing to send the refresh token to {token_uri} (not https)", account)
    return creds


def _parse_expiry(value: str) -> datetime:
    # google-auth compares expiry as naive UTC.
    return datetime.strptime(value.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S")


def refresh_if_expired(creds: Credentials, account: str, timeout: float = 30.0) -> bool:
    """Refresh an expired access token once; True when it was refreshed."""
    if creds.valid:
        return False
    quiet_token_logs()
    http = httplib2.Http(timeout=timeout)
    try:
        creds.refresh(google_auth_httplib2.Request(http))  # type: ignore[no-untyped-call]
    except (RefreshError, TransportError) as exc:
        raise refresh_failure(exc, account) from None
    finally:
        http.close()
    return True


def refresh_failure(exc: RefreshError | TransportError, account: str) -> PanzaError:
    """A refused or failed token refresh as the error the user should see."""
    if isinstance(exc, TransportError):
        return SourceError(f"cannot reach Google's token service ({type(exc).__name__})", account)
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error", ""))
    if code in _REAUTH_ERRORS or "invalid_grant" in str(exc):
        return AuthError(
            f"Google refused the stored sign-in ({code or 'invalid_grant'}: revoked, expired"
            " or the password changed); re-authentication needed",
            account,
        )
    if exc.retryable:
        return SourceError(
            "Google's token service is unavailable; the next sync will retry", account
        )
    return AuthError(f"Google refused to refresh the sign-in ({code or 'error'})", account)
