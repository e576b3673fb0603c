"""Shared fixtures: every test gets its own PANZA_HOME; nothing is downloaded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


@pytest.fixture
def panza_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throwaway PANZA_HOME for the test."""
    home = tmp_path / "panza-home"
    monkeypatch.setenv("PANZA_HOME", str(home))
    yield home
