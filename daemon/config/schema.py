"""The config schema. Unknown keys are errors; secrets are ``SecretStr`` and never print."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG = re.compile(r"^[a-z]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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


class GmailAccount(_Strict):
    """A Gmail API account; the OAuth token lives in the OS keyring."""

    kind: Literal["gmail"]
    client_secrets: str = ""


AccountConfig = Annotated[ImapAccount | GmailAccount, Field(discriminator="kind")]


class ModelConfig(_Strict):
    """Base model, playback model and embedding model; downloads only when allowed."""

    base: str = ""
    playback: str = ""
    embedding: str = "sentence-transformers/all-MiniLM-L6-v2"
    allow_download: bool = False
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    load_in_4bit: bool = False
    hf_token: SecretStr | None = None


class TrainingConfig(_Strict):
    """Fine-tuning method and its main knobs (defaults follow the reference setup)."""

    method: Literal["rosa", "lora", "full"] = "rosa"
    epochs: int = Field(default=5, ge=1)
    learning_rate: float = Field(default=1e-5, gt=0)
    max_length: int = Field(default=512, ge=32)
    test_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)


class ScheduleConfig(_Strict):
    """When the daemon syncs and retrains on its own."""

    sync_minutes: int = Field(default=15, ge=1)
    retrain_at: str = Field(default="03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    retrain_after_new: int = Field(default=50, ge=1)
    model_idle_minutes: int = Field(default=30, ge=1)


class Config(_Strict):
    """The whole config file."""

    user: UserConfig
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
