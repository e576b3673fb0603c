"""The config schema. Unknown keys are errors; secrets are never here (only in the OS keyring)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from panza.training.settings import TrainingSettings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG = re.compile(r"^[a-z]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def encrypted_or_local(url: str) -> bool:
    """https, or plain http to a loopback host (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" or not host:
        return parts.scheme == "https" and bool(host)
    if parts.scheme != "http":
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UserConfig(_Strict):
    """Who the user is: their name, every address they send from, what they write in."""

    name: str = Field(min_length=1)
    emails: list[str] = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    signature: str = ""
    facts: str = ""

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _EMAIL.match(v.strip())]
        if bad:
            raise ValueError(f"not an email address: {', '.join(map(repr, bad))}")
        return [v.strip().lower() for v in value]

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _LANG.match(v)]
        if bad:
            raise ValueError(f"use ISO 639-1 codes like 'en' or 'de', not {', '.join(bad)}")
        return value


class CleaningConfig(_Strict):
    """Rules that decide which sent emails are learned from."""

    min_words: int = Field(default=5, ge=1)
    max_message_bytes: int = Field(default=25_000_000, ge=1024)


class ImapAccount(_Strict):
    """An IMAP account; the password lives in the OS keyring, never here."""

    kind: Literal["imap"]
    host: str = Field(min_length=1)
    port: int = Field(default=993, ge=1, le=65535)
    user: str = Field(min_length=1)
    starttls: bool = False
    ca_file: str = ""
    folder: str = ""
    auth: Literal["password", "oauth2"] = "password"
    # Autodraft: replies pre-written into the Drafts folder (off unless turned on).
    autodraft: bool = False
    drafts_folder: str = ""


class GmailAccount(_Strict):
    """A Gmail API account; the OAuth token lives in the OS keyring."""

    kind: Literal["gmail"]
    client_secrets: str = ""
    # Where the Gmail API is served; empty means Google's. Set for a proxy or a test server.
    api_endpoint: str = Field(default="", pattern=r"^(https?://\S+)?$")
    # Autodraft: replies pre-written as Gmail drafts (needs the gmail.compose scope).
    autodraft: bool = False

    @field_validator("api_endpoint")
    @classmethod
    def _encrypted(cls, value: str) -> str:
        if value and not encrypted_or_local(value):
            raise ValueError(
                "use https:// (plain http:// only to this machine: 127.0.0.1, ::1 or"
                " localhost), so that your Google token never crosses a network unencrypted"
            )
        return value


AccountConfig = Annotated[ImapAccount | GmailAccount, Field(discriminator="kind")]


class ModelConfig(_Strict):
    """Base model, playback model and embedding model; downloads only when allowed.

    ``base`` is a Hugging Face id, a local folder, or "panza-demo" (a small model Panza
    builds on this machine). ``playback`` writes the instructions; empty means the base
    model, "subject" uses each email's subject line (a stand-in for machines without an
    instruction-following model).
    """

    base: str = ""
    playback: str = ""
    embedding: str = "sentence-transformers/all-MiniLM-L6-v2"
    allow_download: bool = False
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    load_in_4bit: bool = False
    # The Hugging Face token for gated models lives in the OS keyring (secrets.HF_TOKEN).


class TrainingConfig(TrainingSettings):
    """[training]: its fields, defaults and limits are training's own (TrainingSettings)."""

    # Unknown keys are errors here as in every section (a "did you mean" names the field).
    __pydantic_config__ = ConfigDict(extra="forbid")


class ScheduleConfig(_Strict):
    """When the daemon syncs and retrains on its own."""

    sync_minutes: int = Field(default=15, ge=1)
    retrain_at: str = Field(default="03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    retrain_after_new: int = Field(default=50, ge=1)
    model_idle_minutes: int = Field(default=30, ge=1)


class ServerConfig(_Strict):
    """The daemon's socket server."""

    # A client that reads nothing for this long (a suspended `panza draft`) has its
    # requests cancelled and is disconnected, so the draft it holds lets the next one run.
    client_stall_seconds: float = Field(default=30.0, gt=0, le=3600)


class AutodraftConfig(_Strict):
    """Which incoming mail gets a reply waiting in Drafts (per account: ``autodraft = true``).

    ``allow`` and ``deny`` hold addresses or domains (``ada@example.org``, ``example.org``):
    denied senders never get a draft; allowed ones get one even when their mail looks
    automatic (a list, a bulk sender, a noreply address).
    """

    max_age_days: int = Field(default=3, ge=1, le=365)
    per_hour: int = Field(default=10, ge=1, le=1000)
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    # How long a connection waits in IDLE before it renews it (RFC 2177: under 29 minutes).
    idle_renew_minutes: int = Field(default=10, ge=1, le=28)
    # Length of a background draft in tokens; empty: the same as interactive drafts.
    max_new_tokens: int | None = Field(default=None, ge=1, le=4096)

    @field_validator("allow", "deny")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip().lower().removeprefix("@") for v in value]
        bad = [v for v in cleaned if not v or " " in v or v.count("@") > 1 or "." not in v]
        if bad:
            raise ValueError(f"use an address or a domain, not {', '.join(map(repr, bad))}")
        return cleaned


class Config(_Strict):
    """The whole config file."""

    user: UserConfig
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    autodraft: AutodraftConfig = Field(default_factory=AutodraftConfig)
