"""Passwords and tokens in the OS keyring, and nowhere else.

An insecure backend (keyring's fail/null backends, keyrings.alt's plaintext
file) is refused unless the user chose one explicitly with
``PYTHON_KEYRING_BACKEND``: never fall back to plaintext silently.
"""

from __future__ import annotations

import os

import keyring
import keyring.errors

from panza.daemon.errors import SecretsError

SERVICE = "panza"
# The Hugging Face token (for gated base models) under the keyring name "model:hf_token";
# no account's secret can collide: accounts keep only passwords and OAuth tokens.
HF_TOKEN = ("model", "hf_token")
_INSECURE = ("fail.Keyring", "null.Keyring", "PlaintextKeyring")
_HOW_TO_FIX = (
    "Panza keeps passwords and tokens only in the OS keyring. On Linux install and unlock"
    " a Secret Service provider (GNOME Keyring or KWallet, e.g. `apt install gnome-keyring`"
    " and log in to a desktop session); on a headless machine choose a backend explicitly,"
    " e.g. PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring."
)


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    chosen = bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
    if not chosen and any(name.endswith(bad) for bad in _INSECURE):
        raise SecretsError(f"no usable keyring (found {name}). {_HOW_TO_FIX}")
    return backend


def secret_key(account: str, kind: str) -> str:
    """The keyring user name of one account's secret, e.g. ``work:password``."""
    return f"{account}:{kind}"


def get_secret(account: str, kind: str) -> str | None:
    """The stored secret, or None when there is none."""
    try:
        return _backend().get_password(SERVICE, secret_key(account, kind))
    except keyring.errors.KeyringError as exc:
        raise SecretsError(f"cannot read from the keyring: {exc}. {_HOW_TO_FIX}") from None


def set_secret(account: str, kind: str, value: str) -> None:
    try:
        _backend().set_password(SERVICE, secret_key(account, kind), value)
    except keyring.errors.KeyringError as exc:
        raise SecretsError(f"cannot write to the keyring: {exc}. {_HOW_TO_FIX}") from None


def delete_secret(account: str, kind: str) -> bool:
    """Remove a secret; False when there was none."""
    try:
        _backend().delete_password(SERVICE, secret_key(account, kind))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise SecretsError(f"cannot write to the keyring: {exc}. {_HOW_TO_FIX}") from None
    return True
