"""Typed config: one pydantic schema, loaded from TOML, every problem reported at once."""

from panza.daemon.config.load import load_config, render_effective
from panza.daemon.config.schema import (
    AccountConfig,
    CleaningConfig,
    Config,
    GmailAccount,
    ImapAccount,
    ModelConfig,
    ScheduleConfig,
    ServerConfig,
    TrainingConfig,
    UserConfig,
)

__all__ = [
    "AccountConfig",
    "CleaningConfig",
    "Config",
    "GmailAccount",
    "ImapAccount",
    "ModelConfig",
    "ScheduleConfig",
    "ServerConfig",
    "TrainingConfig",
    "UserConfig",
    "load_config",
    "render_effective",
]
