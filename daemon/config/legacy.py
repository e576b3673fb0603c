"""Config files written by older Panza versions: what no longer belongs in them moves out.

``model.hf_token`` was once kept in ``config.toml`` in plain text. On load, a token
found there goes into the OS keyring and the line leaves the file (the rest of the
file, comments included, stays as it was). Keyring first, then the file: a crash in
between leaves the token in both places, and the next load finishes the move.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import tomlkit

from panza.daemon.errors import ConfigError, SecretsError
from panza.training.atomic import atomic_write_text

log = logging.getLogger(__name__)


def move_secrets_out(path: Path, raw: bytes) -> bytes:
    """``raw`` without a plain-text ``model.hf_token``, which goes to the keyring first."""
    if b"hf_token" not in raw:
        return raw
    try:
        text = raw.decode("utf-8")
        model = tomllib.loads(text).get("model")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return raw  # parse_config reports what is wrong with the file
    if not isinstance(model, dict) or not isinstance(model.get("hf_token"), str):
        return raw  # absent, or not a token: the schema says "unknown key"
    token = str(model["hf_token"]).strip()
    if token:
        from panza.daemon import secrets

        try:
            secrets.set_secret(*secrets.HF_TOKEN, token)
        except SecretsError as exc:
            raise ConfigError(
                f"{path} holds model.hf_token in plain text; Panza keeps tokens only in the"
                f" OS keyring and could not move it there: {exc}"
            ) from None
    doc = tomlkit.parse(text)
    del doc["model"]["hf_token"]
    kept = tomlkit.dumps(doc)
    atomic_write_text(path, kept)
    log.warning("moved model.hf_token from %s into the OS keyring; the file no longer has it", path)
    return kept.encode("utf-8")
