"""The pure parts of the Gmail source on literal inputs: error bodies, backoff, raw bytes, dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from panza.daemon.errors import AuthError, UserError
from panza.daemon.secrets import set_secret
from panza.daemon.sources.gmail import auth
from panza.daemon.sources.gmail.sent import decode_raw, internal_date
from panza.daemon.sources.gmail.transient import classify, error_message
from panza.daemon.sources.retry import RetryPolicy


def body(status: int, reason: str, message: str = "") -> bytes:
    errors = [{"domain": "usageLimits", "reason": reason, "message": message}]
    return json.dumps({"error": {"code": status, "message": message, "errors": errors}}).encode()


@pytest.mark.parametrize(
    ("status", "content", "verdict"),
    [
        (429, body(429, "rateLimitExceeded"), "retry"),
        (403, body(403, "userRateLimitExceeded"), "retry"),
        (403, body(403, "rateLimitExceeded"), "retry"),
        (403, body(403, "dailyLimitExceeded"), "fail"),
        (403, body(403, "insufficientPermissions"), "fail"),
        (403, b"<html>Forbidden</html>", "fail"),
        (500, b"", "retry"),
        (502, b"Bad Gateway", "retry"),
        (503, body(503, "backendError"), "retry"),
        (400, body(400, "invalidArgument"), "fail"),
        (401, body(401, "authError"), "auth"),
        (404, body(404, "notFound"), "gone"),
    ],
)
def test_classify_follows_googles_retry_rules(status: int, content: bytes, verdict: str) -> None:
    assert classify(status, content) == verdict


def test_error_messages_are_short_and_mask_addresses() -> None:
    content = body(403, "forbidden", "Delegation denied for ada@whitfield.example")
    assert error_message(403, content) == "HTTP 403 (forbidden): Delegation denied for <address>"
    assert error_message(502, b"<html>bad gateway</html>") == "HTTP 502"
    off = body(403, "accessNotConfigured", "Gmail API has not been used in project 12 before")
    assert error_message(403, off).startswith(
        "HTTP 403 (accessNotConfigured): enable the Gmail API in your OAuth client's Google Cloud"
    )


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    low = RetryPolicy(base_s=1.0, cap_s=32.0, rand=lambda: 0.0)
    high = RetryPolicy(base_s=1.0, cap_s=32.0, rand=lambda: 0.999999)
    assert [low.delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 16.0]
    assert [round(high.delay(n)) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, 32]
    assert low.delay(1, retry_after=10.0) == 10.0
    assert low.delay(1, retry_after=3600.0) == 32.0  # a server cannot park us for an hour


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("SGVsbG8gVG9t", b"Hello Tom"),
        ("SGk_Pz4-", b"Hi??>>"),  # base64url alphabet
        ("SGk", b"Hi"),  # Gmail may leave the padding out
        ("SGk=", b"Hi"),
        ("abcde", None),  # cannot be base64 of anything
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_decode_raw(value: object, expected: bytes | None) -> None:
    assert decode_raw(value) == expected


def test_internal_date_is_milliseconds_since_the_epoch() -> None:
    assert internal_date({"internalDate": "1704672000000"}) == datetime(2024, 1, 8, tzinfo=UTC)
    assert internal_date({"internalDate": "soon"}) is None
    assert internal_date({}) is None


def test_a_token_for_a_plain_http_remote_host_is_refused(test_keyring: dict[str, str]) -> None:
    token = {
        "token": "ya29.x",
        "refresh_token": "1//r",
        "client_id": "c",
        "client_secret": "s",
        "token_uri": "http://evil.example/token",
    }
    set_secret("work", auth.TOKEN_KIND, json.dumps(token))
    with pytest.raises(AuthError, match="refusing to send the refresh token"):
        auth.load_credentials("work")
    set_secret("work", auth.TOKEN_KIND, "{broken")
    with pytest.raises(AuthError, match="unreadable; re-authentication needed"):
        auth.load_credentials("work")


@pytest.mark.parametrize("key", ["auth_uri", "token_uri"])
def test_a_client_file_sending_sign_in_in_plain_http_is_refused(tmp_path: Path, key: str) -> None:
    installed = {
        "client_id": "c.apps.googleusercontent.com",
        "client_secret": "s",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"installed": installed}))
    assert auth.load_client_config(path)["installed"] == installed
    path.write_text(json.dumps({"installed": {**installed, key: "http://evil.example/x"}}))
    with pytest.raises(UserError) as info:
        auth.load_client_config(path)
    assert str(info.value) == (
        f"{path}: {key} must be an https:// address (plain http only to this machine);"
        " download the client JSON again"
    )
