"""Edit config.toml in place (comments and layout kept), validating before writing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomlkit

from panza.daemon.config.load import load_config, parse_config
from panza.daemon.config.schema import Config
from panza.daemon.errors import ConfigError, UserError
from panza.training.atomic import atomic_write_text

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_account_name(name: str) -> str:
    if not _NAME.match(name):
        raise UserError(f"account name {name!r}: use 1-32 lowercase letters, digits, '-' or '_'")
    return name


def add_account(path: Path, name: str, table: dict[str, Any]) -> Config:
    """Add ``[accounts.NAME]``; refuse if it exists or the result would not load."""
    check_account_name(name)
    load_config(path)  # the current file must be valid before we touch it
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    accounts = doc.get("accounts")
    if accounts is None:
        accounts = tomlkit.table(is_super_table=True)
        doc["accounts"] = accounts
    if name in accounts:
        raise UserError(f"account {name!r} exists; remove it first: panza account remove {name}")
    entry = tomlkit.table()
    for key, value in table.items():
        entry[key] = value
    accounts[name] = entry
    return _write(path, doc)


def set_values(path: Path, values: dict[tuple[str, str], Any]) -> Config:
    """Set ``(section, key)`` values, creating sections as needed; comments stay."""
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    for (section, key), value in values.items():
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        table[key] = value
    return _write(path, doc)


def set_account_value(path: Path, name: str, key: str, value: Any) -> Config:
    """Set one key of ``[accounts.NAME]``; comments and layout stay."""
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    accounts = doc.get("accounts")
    if accounts is None or name not in accounts:
        raise UserError(f"no account named {name!r} (see: panza account list)")
    accounts[name][key] = value
    return _write(path, doc)


def remove_account(path: Path, name: str) -> Config:
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    accounts = doc.get("accounts")
    if accounts is None or name not in accounts:
        raise UserError(f"no account named {name!r} (see: panza account list)")
    del accounts[name]
    return _write(path, doc)


def _write(path: Path, doc: tomlkit.TOMLDocument) -> Config:
    text = tomlkit.dumps(doc)
    try:
        config = parse_config(text.encode("utf-8"), str(path))
    except ConfigError as exc:  # pragma: no cover - the schema and the edit disagree
        raise ConfigError(f"refusing to write an invalid config: {exc}") from None
    atomic_write_text(path, text)
    return config
