"""Turn the config into the typed job fields panza.training understands."""

from __future__ import annotations

from collections.abc import Callable

from panza.daemon import secrets
from panza.daemon.config import Config
from panza.daemon.errors import ConfigError, SecretsError
from panza.daemon.paths import Paths
from panza.training.model import ModelSpec
from panza.training.prompt import Profile

DEMO_BASE = "panza-demo"

Notify = Callable[[str], None]


def base_name(config: Config) -> str:
    if not config.model.base.strip():
        raise ConfigError(
            "model.base is empty: set it to a Hugging Face id or a local folder"
            f" (or {DEMO_BASE!r} for the small demo model built on this machine)"
        )
    return config.model.base.strip()


def model_spec(config: Config, paths: Paths, name: str, notify: Notify | None = None) -> ModelSpec:
    """The model `name` as the config says to load it ("panza-demo" is built on first use)."""
    location = name
    if name == DEMO_BASE:
        from panza.training.demo_model import DEMO_NAME, ensure_demo_model

        if notify is not None and not (paths.models_dir / DEMO_NAME).is_dir():
            notify("Building the demo base model on this machine (about two minutes, once)")
        location = str(ensure_demo_model(paths.models_dir))
    m = config.model
    return ModelSpec(location, m.device, m.dtype, m.load_in_4bit, m.allow_download)


def playback_name(config: Config) -> str:
    return config.model.playback.strip() or base_name(config)


def profile(config: Config) -> Profile:
    u = config.user
    return Profile(u.name, u.signature, u.facts)


def child_env() -> dict[str, str]:
    """Environment for the child: the Hub token from the keyring, never in a job file.

    No usable keyring means no token (public models need none); it is never read
    from anywhere else.
    """
    try:
        token = secrets.get_secret(*secrets.HF_TOKEN)
    except SecretsError:
        return {}
    return {"HF_TOKEN": token} if token else {}
