"""The one atomic file write: old or new content, never a mix, no temp file left, no torch."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from panza.training.atomic import atomic_write_text, replace_atomically


def test_a_write_replaces_the_file_private_to_the_user(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "config.toml"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "adapter.safetensors"
    atomic_write_text(target, "old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        replace_atomically(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["adapter.safetensors"]


@pytest.mark.process
def test_importing_it_pulls_no_heavy_library() -> None:
    code = (
        "import sys, panza.training.atomic; "
        "print(sorted({'torch', 'numpy', 'pydantic', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
