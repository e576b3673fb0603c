"""The Hugging Face token lives in the OS keyring; a plain-text one in config.toml moves there.

Uses the real file-backed keyring of ``test_keyring`` (keyrings.alt), chosen explicitly.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from panza.daemon import secrets
from panza.daemon.config import load_config
from panza.daemon.errors import ConfigError
from panza.daemon.tuning.job_fields import child_env
from tests.daemon_process import panza

TOKEN = "hf_SECRETtokenVALUE123"
BEFORE = f"""\
# Panza configuration (comments stay).
[user]
name = "Ada"  # my name
emails = ["ada@whitfield.example"]

[model]
# a gated model
base = "meta-llama/Llama-3.2-1B-Instruct"
hf_token = "{TOKEN}"
allow_download = true
"""
AFTER = BEFORE.replace(f'hf_token = "{TOKEN}"\n', "")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "config.toml"
    path.parent.mkdir()
    path.write_text(BEFORE)
    path.chmod(0o644)
    return path


def test_plain_text_token_moves_to_the_keyring_and_leaves_the_file(
    config_file: Path, test_keyring: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        config = load_config(config_file)
    assert config.model.base == "meta-llama/Llama-3.2-1B-Instruct"
    assert secrets.get_secret(*secrets.HF_TOKEN) == TOKEN
    assert config_file.read_text() == AFTER  # comments and layout kept
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert [r.getMessage() for r in caplog.records] == [
        f"moved model.hf_token from {config_file} into the OS keyring; the file no longer has it"
    ]
    load_config(config_file)  # a second load has nothing to move
    assert len(caplog.records) == 1


def test_training_children_get_the_token_from_the_keyring(test_keyring: dict[str, str]) -> None:
    assert child_env() == {}
    secrets.set_secret(*secrets.HF_TOKEN, TOKEN)
    assert child_env() == {"HF_TOKEN": TOKEN}


def test_panza_config_moves_it_and_never_prints_it(
    config_file: Path, test_keyring: dict[str, str]
) -> None:
    done = panza("config", home=config_file.parent)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    assert done.stderr.strip() == (
        f"WARNING panza.daemon.config.legacy: moved model.hf_token from {config_file} into"
        " the OS keyring; the file no longer has it"
    )
    assert "hf_token" not in done.stdout
    assert config_file.read_text() == AFTER
    assert secrets.get_secret(*secrets.HF_TOKEN) == TOKEN


def test_without_a_usable_keyring_the_token_stays_and_the_error_says_why(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        with pytest.raises(ConfigError) as info:
            load_config(config_file)
    finally:
        keyring.set_keyring(previous)
    message = str(info.value)
    assert message.startswith(
        f"{config_file} holds model.hf_token in plain text; Panza keeps tokens only in the OS"
        " keyring and could not move it there: no usable keyring"
    )
    assert TOKEN not in message
    assert config_file.read_text() == BEFORE  # nothing lost


def test_an_empty_token_line_is_just_removed(
    config_file: Path, test_keyring: dict[str, str]
) -> None:
    config_file.write_text(BEFORE.replace(TOKEN, ""))
    load_config(config_file)
    assert config_file.read_text() == AFTER
    assert secrets.get_secret(*secrets.HF_TOKEN) is None


def test_panza_config_keeps_and_forgets_a_typed_token(
    tmp_path: Path, test_keyring: dict[str, str]
) -> None:
    stored = panza("config", "--hf-token", home=tmp_path, stdin=TOKEN + "\n")
    assert (stored.returncode, stored.stdout) == (
        0,
        "Stored the Hugging Face token in the OS keyring\n",
    )
    assert secrets.get_secret(*secrets.HF_TOKEN) == TOKEN
    assert not (tmp_path / "config.toml").exists()  # never written to a file
    forgot = panza("config", "--forget-hf-token", home=tmp_path)
    assert (forgot.returncode, forgot.stdout) == (0, "Removed the Hugging Face token\n")
    assert secrets.get_secret(*secrets.HF_TOKEN) is None
