"""`panza tray` on the command line: its options, and a clear error without a desktop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from panza.daemon.cli import build_parser

pytestmark = pytest.mark.process  # runs the panza command as a child process


def test_poll_option() -> None:
    assert build_parser().parse_args(["tray"]).poll == 3.0
    assert build_parser().parse_args(["tray", "--poll", "0.5"]).poll == 0.5


@pytest.mark.parametrize("value", ["0", "often", "7200"])
def test_poll_option_rejects_nonsense(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["tray", "--poll", value])
    assert info.value.code == 2
    assert "--poll" in capsys.readouterr().err


def test_without_a_display_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(PANZA_HOME=str(tmp_path / "home"), PYSTRAY_BACKEND="xorg")
    result = subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", "tray"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("panza: error: cannot show a tray icon here (")
    assert "a desktop session is needed" in result.stderr
    assert "Traceback" not in result.stderr
