"""The commented starter config that ``panza init`` writes."""

from __future__ import annotations

import json

from panza.daemon.config.schema import UserConfig


def _toml_str(value: str) -> str:
    # JSON string escaping is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def starter_config(user: UserConfig, base_model: str = "") -> str:
    """Config file text for ``user``, with every section explained."""
    return f"""\
# Panza configuration. `panza config` prints the effective values (defaults
# filled in); this file is re-read by the daemon when it changes.

[user]
name = {_toml_str(user.name)}
# Every address you send from (aliases too); mail From any of them is yours.
emails = {_toml_list(user.emails)}
# Languages to learn from (ISO 639-1); mail in other languages is skipped.
languages = {_toml_list(user.languages)}
# Appended to drafts; leave empty if your mail client adds it.
signature = ""
# Facts Panza may use in drafts (your role, phone, meeting link, ...).
facts = ""

[cleaning]
# Emails with fewer words than this (after removing quotes and signature) are skipped.
min_words = 5

[model]
# Base model: a Hugging Face id or a local folder. Empty = chosen for your hardware.
base = {_toml_str(base_model)}
# Nothing is downloaded unless you allow it.
allow_download = false

[training]
# rosa (default), lora or full
method = "rosa"

[schedule]
sync_minutes = 15
retrain_at = "03:00"
retrain_after_new = 50

# Accounts are added with `panza account add ...`; passwords and tokens live in
# the OS keyring, never in this file. Example:
# [accounts.work]
# kind = "imap"
# host = "imap.example.org"
# user = "me@example.org"
"""
