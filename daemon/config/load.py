"""Read, validate and print the config file."""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, SecretStr, ValidationError

from panza.daemon.config.legacy import move_secrets_out
from panza.daemon.config.schema import Config, GmailAccount, ImapAccount
from panza.daemon.errors import ConfigError

MASK = "********"
_ACCOUNT_KINDS: dict[str, type[BaseModel]] = {"imap": ImapAccount, "gmail": GmailAccount}


def load_config(path: Path) -> Config:
    """Load and validate ``path``; raise :class:`ConfigError` listing every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no config at {path}; create one with: panza init --name NAME --email ADDRESS"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    return parse_config(move_secrets_out(path, raw), str(path))


def parse_config(raw: bytes, where: str = "config") -> Config:
    """Validate TOML bytes into a :class:`Config`."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors(include_url=False)]
        raise ConfigError(f"{where} has {len(problems)} problem(s):", problems) from None


def _describe(err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc)
    # A section that is a dataclass (training's settings) names an unknown key differently.
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        hint = _did_you_mean(loc[-1], _fields_at(loc[:-1]))
        return f"{dotted}: unknown key{hint}"
    if err["type"] == "missing":
        return f"{dotted}: required"
    return f"{dotted}: {str(err['msg']).removeprefix('Value error, ')}"


def _fields_at(parent: list[str]) -> list[str]:
    """Field names of the section at ``parent`` (a pydantic error location)."""
    model: type[BaseModel] = Config
    parts = iter(parent)
    for part in parts:
        if model is Config and part == "accounts":
            next(parts, None)  # the account's name
            tagged = _ACCOUNT_KINDS.get(next(parts, ""))
            if tagged is None:
                return []
            model = tagged
            continue
        field = model.model_fields.get(part)
        ann = field.annotation if field is not None else None
        if isinstance(ann, type) and dataclasses.is_dataclass(ann):
            return [f.name for f in dataclasses.fields(ann)]
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def _did_you_mean(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def render_effective(config: Config) -> str:
    """The effective config as TOML, defaults filled in, secrets masked."""
    return tomli_w.dumps(_masked(config.model_dump(mode="python", exclude_none=True)))


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value
