"""`panza account add gmail` and `panza sync` as a user runs them.

The error paths run the real entry point in this process (they never reach the
network); the end-to-end path runs real subprocesses.
"""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from panza.daemon.cli import main
from panza.daemon.secrets import get_secret
from panza.daemon.sources.gmail import auth
from tests.gmail.conftest import ACCOUNT, FakeGoogle, add_gmail_account, panza, start_panza
from tests.gmail.test_oauth import PlayBrowser

pytestmark = pytest.mark.integration


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``panza ARGS`` through the console script's entry point: exit code, stdout, stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def nothing_written(home: Path, config_before: str) -> bool:
    unchanged = (home / "config.toml").read_text(encoding="utf-8") == config_before
    return unchanged and get_secret(ACCOUNT, auth.TOKEN_KIND) is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "panza: error: no OAuth client file at {path}; create one in the Google Cloud"),
        ("{not json", "panza: error: cannot read the OAuth client file {path} (not JSON)"),
        (
            {"web": {"client_id": "x", "client_secret": "y"}},
            "panza: error: {path} is a 'Web application' client; Panza needs a 'Desktop app'",
        ),
        ({"installed": {"client_id": "x"}}, "panza: error: {path} lacks client_secret, auth_uri"),
        ([1, 2], "panza: error: {path} is not an OAuth client file; Panza needs a 'Desktop app'"),
    ],
    ids=["missing", "not-json", "web-client", "incomplete", "not-a-client"],
)
def test_a_bad_client_file_is_one_clear_line_and_writes_nothing(
    home: Path,
    test_keyring: dict[str, str],
    google: FakeGoogle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: object,
    expected: str,
) -> None:
    path = tmp_path / "client.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        write_json(path, content)
    before = (home / "config.toml").read_text(encoding="utf-8")

    code, out, err = run(capsys, "account", "add", "gmail", ACCOUNT, "--client-secrets", str(path))

    assert code == 2
    assert err.startswith(expected.format(path=path))
    assert len(err.strip().splitlines()) == 1 and out == ""
    assert nothing_written(home, before) and google.oauth.auth_requests == []


def test_no_client_file_given_or_saved_explains_where_to_put_it(
    home: Path, test_keyring: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "account", "add", "gmail", ACCOUNT)
    assert code == 2
    assert err.strip() == (
        "panza: error: no OAuth client file: pass --client-secrets FILE or save it as"
        f" {home / 'gmail-client.json'} (a 'Desktop app' client JSON from the Google Cloud"
        " console; see the README)"
    )


def test_an_unusable_keyring_stops_before_sign_in(
    home: Path,
    test_keyring: dict[str, str],
    google: FakeGoogle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = write_json(tmp_path / "client.json", google.oauth.client_config(google.url))
    before = (home / "config.toml").read_text(encoding="utf-8")
    working = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(FailKeyring())  # type: ignore[no-untyped-call]
    try:
        code, _, err = run(
            capsys, "account", "add", "gmail", ACCOUNT, "--client-secrets", str(client)
        )
    finally:
        keyring.set_keyring(working)
    assert code == 1
    assert err.startswith("panza: error: cannot read from the keyring")
    assert "PYTHON_KEYRING_BACKEND" in err and len(err.splitlines()) == 1
    assert nothing_written(home, before) and google.oauth.auth_requests == []


def test_add_sign_in_sync_and_list_end_to_end(
    home: Path, cli_env: dict[str, str], google: FakeGoogle, tmp_path: Path
) -> None:
    ids = google.fill(25)
    client = write_json(tmp_path / "client.json", google.oauth.client_config(google.url))
    args = ["--client-secrets", str(client), "--no-browser", "--api-endpoint", google.url]
    proc = start_panza("account", "add", "gmail", ACCOUNT, *args, "--timeout", "30", env=cli_env)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # the link is printed before Panza waits for the browser
        lines.append(line)
        if "/o/oauth2/auth?" in line:
            PlayBrowser().visit(line.strip())
            break
    out, err = proc.communicate(timeout=30)
    stdout = "".join(lines) + out

    assert proc.returncode == 0, err
    assert "Open this link in a browser on this computer" in stdout
    assert f"Signed in as {google.gmail.address}. Added Gmail account '{ACCOUNT}'" in stdout
    token = json.loads(get_secret(ACCOUNT, auth.TOKEN_KIND) or "{}")
    assert token["refresh_token"] in google.oauth.refresh_tokens
    config = (home / "config.toml").read_text(encoding="utf-8")
    assert f"[accounts.{ACCOUNT}]" in config and 'kind = "gmail"' in config
    assert token["refresh_token"] not in config and token["token"] not in config

    synced = panza("sync", env=cli_env)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith(f"{ACCOUNT}: ") and ", 0 already stored" in synced.stdout
    assert sorted(google.gmail.fetched("raw")) == sorted(ids)
    listed = panza("account", "list", env=cli_env)
    assert f"{ACCOUNT:<16} gmail  Gmail API" in listed.stdout and " ok, last sync " in listed.stdout


def test_an_existing_account_name_is_refused_before_sign_in(
    home: Path,
    test_keyring: dict[str, str],
    google: FakeGoogle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_gmail_account(home, google)
    client = write_json(tmp_path / "client.json", google.oauth.client_config(google.url))
    code, _, err = run(capsys, "account", "add", "gmail", ACCOUNT, "--client-secrets", str(client))
    assert code == 2 and err.strip() == (
        f"panza: error: account '{ACCOUNT}' exists; remove it first: panza account remove {ACCOUNT}"
    )
    assert google.oauth.auth_requests == []
