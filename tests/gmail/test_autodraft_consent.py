"""`panza autodraft on` for a Gmail account: incremental consent for gmail.compose, end to end.

The real google-auth-oauthlib flow runs in a `panza` subprocess against the local
Google; the test plays the user's browser by visiting the link Panza prints.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from panza.daemon.config import load_config
from panza.daemon.config.edit import set_account_value
from panza.daemon.demo.sample.fake_oauth import COMPOSE, SCOPE
from panza.daemon.secrets import get_secret
from panza.daemon.sources.gmail import auth
from tests.gmail.conftest import ACCOUNT, FakeGoogle, Keyring, add_gmail_account, panza, start_panza
from tests.gmail.test_oauth import PlayBrowser

pytestmark = pytest.mark.integration


def stored_token() -> dict[str, Any]:
    """The token JSON the keyring holds for the account."""
    text = get_secret(ACCOUNT, auth.TOKEN_KIND)
    assert text is not None
    token: dict[str, Any] = json.loads(text)
    return token


def autodraft_on(home: Path, env: dict[str, str], google: FakeGoogle) -> tuple[int, str, str]:
    """Run `panza autodraft on --account NAME`, consenting in the "browser" when asked."""
    client = home / "gmail-client.json"  # where `panza account add gmail` keeps the client
    client.write_text(json.dumps(google.oauth.client_config(google.url)), encoding="utf-8")
    add_gmail_account(home, google)
    # A browser that opens nothing: Panza prints the link as well, and the test visits it.
    env = {**env, "BROWSER": shutil.which("true") or "/bin/true", "PYTHONUNBUFFERED": "1"}
    proc = start_panza("autodraft", "on", "--account", ACCOUNT, env=env)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "/o/oauth2/auth?" in line:
            PlayBrowser().visit(line.strip())
            break
    out, err = proc.communicate(timeout=60)
    return proc.returncode, "".join(lines) + out, err


def test_turning_autodraft_on_asks_for_compose_with_incremental_consent(
    home: Path, cli_env: dict[str, str], google: FakeGoogle, signed_in: Keyring
) -> None:
    assert stored_token()["scopes"] == [SCOPE]  # as `panza account add gmail` left it

    code, out, err = autodraft_on(home, cli_env, google)

    assert code == 0, err
    assert "gmail.compose" in out and "never sends mail" in out
    assert f"Autodraft on for {ACCOUNT}" in out
    (asked,) = google.oauth.auth_requests
    assert sorted(asked["scope"].split(" ")) == sorted([SCOPE, COMPOSE])
    assert asked["include_granted_scopes"] == "true" and asked["prompt"] == "consent"
    token = stored_token()
    assert sorted(token["scopes"]) == sorted([SCOPE, COMPOSE])
    assert token["refresh_token"] in google.oauth.refresh_tokens
    assert token["refresh_token"] != signed_in.refresh_token  # the new grant was kept
    assert load_config(home / "config.toml").accounts[ACCOUNT].autodraft
    creds = auth.load_credentials(ACCOUNT)
    assert creds.token is not None and creds.token not in out + err  # no token printed

    # With the scope granted, turning it on again asks Google nothing.
    set_account_value(home / "config.toml", ACCOUNT, "autodraft", False)
    again = panza("autodraft", "on", "--account", ACCOUNT, env=cli_env)
    assert again.returncode == 0 and len(google.oauth.auth_requests) == 1, again.stderr
    assert load_config(home / "config.toml").accounts[ACCOUNT].autodraft


@pytest.mark.parametrize(
    ("refusal", "why"),
    [
        ("deny", r"not allow writing drafts \(Google sign-in failed \(access_denied\)\)"),
        ("untick", "Google did not allow writing drafts"),
    ],
)
def test_a_refused_consent_leaves_autodraft_off(
    home: Path,
    cli_env: dict[str, str],
    google: FakeGoogle,
    signed_in: Keyring,
    refusal: str,
    why: str,
) -> None:
    if refusal == "deny":
        google.oauth.deny = True  # the user clicks "Cancel"
    else:
        google.oauth.grant_scope = SCOPE  # the user leaves "compose" unticked

    code, out, err = autodraft_on(home, cli_env, google)

    assert code != 0 and len(google.oauth.auth_requests) == 1
    assert f"Autodraft on for {ACCOUNT}" not in out
    assert f"autodraft stays off for {ACCOUNT}: " in err
    assert re.search(why, err), err
    assert not load_config(home / "config.toml").accounts[ACCOUNT].autodraft
    token = stored_token()  # the read-only sign-in is kept as it was
    assert token["scopes"] == [SCOPE] and token["refresh_token"] == signed_in.refresh_token
