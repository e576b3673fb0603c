"""Shared fixtures: every test gets its own PANZA_HOME; nothing is downloaded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# A test that uses one of these fixtures, directly or through another, builds or loads a
# model, or starts processes; the marker keeps it out of the fast tier (`make check`).
TIER_FIXTURES = {
    "model": {"tiny_base", "embedder"},
    "process": {"dovecot_bin", "daemon", "host_factory"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in TIER_FIXTURES.items():
            if used & fixtures:
                item.add_marker(marker)


@pytest.fixture
def panza_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throwaway PANZA_HOME for the test."""
    home = tmp_path / "panza-home"
    monkeypatch.setenv("PANZA_HOME", str(home))
    yield home


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real file-backed keyring in a temp dir, chosen explicitly as a user would.

    Yields the environment variables that select it, for subprocesses.
    """
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    env = {
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "keyring-data"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        yield env
    finally:
        keyring.set_keyring(previous)
