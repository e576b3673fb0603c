"""Editing config.toml in place: comments kept, validation before writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.daemon.config import UserConfig
from panza.daemon.config.edit import add_account, remove_account
from panza.daemon.config.starter import starter_config
from panza.daemon.errors import ConfigError, UserError


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(starter_config(UserConfig(name="Ada", emails=["ada@whitfield.example"])))
    return p


def test_add_and_remove_keep_comments(path: Path) -> None:
    config = add_account(path, "work", {"kind": "imap", "host": "imap.x.example", "user": "ada"})
    assert config.accounts["work"].kind == "imap"
    text = path.read_text()
    assert "# Every address you send from" in text and "[accounts.work]" in text
    config = remove_account(path, "work")
    assert config.accounts == {}
    assert "# Every address you send from" in path.read_text()


def test_duplicate_and_bad_names(path: Path) -> None:
    add_account(path, "work", {"kind": "gmail"})
    with pytest.raises(UserError, match="exists"):
        add_account(path, "work", {"kind": "gmail"})
    with pytest.raises(UserError, match="lowercase letters"):
        add_account(path, "Work Mail", {"kind": "gmail"})
    with pytest.raises(UserError, match="no account named 'home'"):
        remove_account(path, "home")


def test_invalid_account_is_not_written(path: Path) -> None:
    before = path.read_text()
    with pytest.raises(ConfigError, match=r"accounts\.work\.imap\.host: required"):
        add_account(path, "work", {"kind": "imap", "user": "ada"})
    assert path.read_text() == before
