"""Secrets live in the keyring; insecure backends are refused unless chosen explicitly."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from panza.daemon import secrets
from panza.daemon.errors import SecretsError


def test_round_trip_in_an_explicit_backend(test_keyring: dict[str, str]) -> None:
    assert secrets.get_secret("work", "password") is None
    secrets.set_secret("work", "password", "hunter2")
    assert secrets.get_secret("work", "password") == "hunter2"
    assert secrets.delete_secret("work", "password")
    assert not secrets.delete_secret("work", "password")
    assert secrets.get_secret("work", "password") is None


@pytest.mark.parametrize("backend", ["fail", "plaintext"])
def test_insecure_backend_refused_with_a_fix(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring() if backend == "fail" else PlaintextKeyring())
    try:
        with pytest.raises(SecretsError) as info:
            secrets.set_secret("work", "password", "hunter2")
    finally:
        keyring.set_keyring(previous)
    message = str(info.value)
    assert "no usable keyring" in message and "PYTHON_KEYRING_BACKEND" in message
    assert "hunter2" not in message
