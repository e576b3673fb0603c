"""Google's authorization and token endpoints, as far as the installed-app flow uses them.

The authorization endpoint checks what Panza asks for (gmail.readonly, or
gmail.readonly plus gmail.compose with incremental consent, PKCE S256, a
loopback redirect, a state) and redirects with a code, as Google does once the
user consents; the token endpoint checks the PKCE verifier against the
challenge and hands out access and refresh tokens carrying the granted scopes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode

from panza.daemon.demo.sample.fake_http import Reply, Request, json_reply

SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
CLIENT_ID = "1234-panza-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-client-secret"
_LOOPBACK = re.compile(r"^http://127\.0\.0\.1:\d+/$")


@dataclass(frozen=True)
class Grant:
    challenge: str
    redirect_uri: str
    scope: str


@dataclass
class FakeOAuth:
    tokens: set[str]  # access tokens the fake Gmail API accepts (shared with it)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    refresh_scopes: dict[str, str] = field(default_factory=dict)  # refresh token -> its scopes
    token_requests: list[dict[str, str]] = field(default_factory=list)
    auth_requests: list[dict[str, str]] = field(default_factory=list)
    deny: bool = False  # the user clicks "Cancel" on the consent screen
    grant_scope: str | None = None  # what the user leaves ticked; None: all that was asked

    def client_config(self, base_url: str) -> dict[str, Any]:
        """A Desktop app client JSON, as the Cloud console downloads it."""
        return {
            "installed": {
                "client_id": CLIENT_ID,
                "project_id": "panza-test",
                "auth_uri": base_url + "o/oauth2/auth",
                "token_uri": base_url + "token",
                "client_secret": CLIENT_SECRET,
                "redirect_uris": ["http://localhost"],
            }
        }

    def issue_refresh_token(self, scope: str = SCOPE) -> str:
        token = "1//refresh-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        self.refresh_scopes[token] = scope
        return token

    def handle(self, request: Request) -> Reply:
        if request.path == "/o/oauth2/auth" and request.method == "GET":
            return self._authorize(request)
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        return Reply(404, b"not found")

    def _authorize(self, request: Request) -> Reply:
        args = {k: v[0] for k, v in request.query.items()}
        self.auth_requests.append(args)
        problems = [
            name
            for name, ok in (
                ("response_type", args.get("response_type") == "code"),
                ("client_id", args.get("client_id") == CLIENT_ID),
                ("scope", _scope_ok(args)),
                ("code_challenge_method", args.get("code_challenge_method") == "S256"),
                ("code_challenge", len(args.get("code_challenge", "")) >= 43),
                ("redirect_uri", bool(_LOOPBACK.match(args.get("redirect_uri", "")))),
                ("state", bool(args.get("state"))),
                ("access_type", args.get("access_type") == "offline"),
            )
            if not ok
        ]
        if problems:
            return Reply(400, f"bad authorization request: {', '.join(problems)}".encode())
        back = {"state": args["state"]}
        if self.deny:
            back["error"] = "access_denied"
        else:
            code = "4/code-" + secrets.token_urlsafe(12)
            scope = args["scope"] if self.grant_scope is None else self.grant_scope
            self.grants[code] = Grant(args["code_challenge"], args["redirect_uri"], scope)
            back.update(code=code, scope=scope)
        return Reply(302, b"", {"Location": args["redirect_uri"] + "?" + urlencode(back)})

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        self.token_requests.append(form)
        if _client_auth(request, form) != (CLIENT_ID, CLIENT_SECRET):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("grant_type") == "authorization_code":
            grant = self.grants.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if grant is None or _challenge(verifier) != grant.challenge:
                return _oauth_error(400, "invalid_grant", "Bad code or code_verifier.")
            if form.get("redirect_uri") != grant.redirect_uri:
                return _oauth_error(400, "redirect_uri_mismatch", "Bad redirect_uri.")
            return self._tokens(grant.scope, refresh=self.issue_refresh_token(grant.scope))
        if form.get("grant_type") == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            return self._tokens(self.refresh_scopes.get(refresh, SCOPE))
        return _oauth_error(400, "unsupported_grant_type", "")

    def _tokens(self, scope: str, refresh: str | None = None) -> Reply:
        access = "ya29.access-" + secrets.token_urlsafe(16)
        self.tokens.add(access)
        body = {
            "access_token": access,
            "expires_in": 3599,
            "scope": scope,
            "token_type": "Bearer",
        }
        if refresh:
            body["refresh_token"] = refresh
        return json_reply(body)


def _scope_ok(args: dict[str, str]) -> bool:
    """gmail.readonly alone, or with gmail.compose added by incremental consent.

    Google takes the scopes space-separated, in any order; ``include_granted_scopes=true``
    keeps what was granted before in the new token, which autodraft's request relies on.
    """
    asked = args.get("scope", "").split(" ")
    if asked == [SCOPE]:
        return True
    incremental = args.get("include_granted_scopes") == "true"
    return sorted(asked) == sorted([SCOPE, COMPOSE]) and incremental


def _client_auth(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client credentials from HTTP Basic auth or the form body; Google takes either."""
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        return unquote_plus(user), unquote_plus(password)
    return form.get("client_id", ""), form.get("client_secret", "")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply({"error": error, "error_description": description}, status)
