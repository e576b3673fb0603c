"""``panza doctor`` on a healthy setup and on a broken one: one line per check, exit status."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from panza.daemon import paths
from tests.native.conftest import init_home, start_daemon, stop_daemon

pytestmark = pytest.mark.integration


def panza(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "panza.daemon.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def lines_by_check(output: str) -> dict[str, str]:
    """check name -> its line (the name is the second column)."""
    out = {}
    for line in output.splitlines()[:-1]:
        status, rest = line.split(maxsplit=1)
        name = rest[:20].strip()
        out[name] = line
        assert status in ("ok", "FAIL", "warn", "skip"), line
    return out


@pytest.fixture
def setup(tmp_path: Path, test_keyring: dict[str, str]) -> Iterator[tuple[dict[str, str], Path]]:
    """An installed Panza in a temp HOME with a local base model folder and a test keyring."""
    home = tmp_path / "home"
    home.mkdir()
    panza_home = init_home(tmp_path / "panza")
    config = paths.resolve({"PANZA_HOME": str(panza_home)}).config_file
    base = tmp_path / "base-model"
    base.mkdir()
    text = config.read_text()
    start = text.index('base = "')
    end = text.index("\n", start)
    config.write_text(text[:start] + f'base = "{base}"' + text[end:])
    env = {**os.environ, "HOME": str(home), "PANZA_HOME": str(panza_home)}
    env.pop("XDG_CONFIG_HOME", None)
    done = panza(env, "install", "--browsers", "chrome,firefox")
    assert done.returncode == 0, done.stderr
    yield env, panza_home


def test_doctor_on_a_healthy_setup(setup: tuple[dict[str, str], Path]) -> None:
    env, panza_home = setup
    proc = start_daemon(panza_home)
    try:
        done = panza(env, "doctor")
    finally:
        assert stop_daemon(proc) == 0
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == "everything looks fine"
    checks = lines_by_check(done.stdout)
    for name in (
        "config",
        "store",
        "keyring",
        "daemon",
        "socket",
        "manifest chrome",
        "manifest firefox",
        "host",
        "service",
        "embedding model",
        "base model",
        "disk space",
        "compute",
    ):
        assert checks[name].startswith(("ok ", "warn")), checks[name]
    assert "framed ping came back" in checks["host"]
    assert "dir 700, socket 600" in checks["socket"]
    assert checks["accounts"].startswith("skip")
    assert_compute_line(checks["compute"])


def assert_compute_line(line: str) -> None:
    """The doctor's compute line names a format and why, and the why is this machine's: no
    bf16 units means fp32; with them, the probe figures it shows decide (the probe is timed
    in the doctor's own process, so this test cannot re-time it and expect the same)."""
    from panza.training.hardware import BF16_MIN_SPEEDUP, read_cpu_info
    from panza.training.model import pick_device

    device = str(pick_device("auto"))
    found = re.search(r"(bfloat16|float32) on (\S+): (.*)", line)
    assert found is not None and found[2] == device, line
    dtype, why = found[1], found[3]
    figures = re.search(r"bf16 matmul ([\d.]+) ms vs fp32 ([\d.]+) ms", why)
    if device == "cpu" and not read_cpu_info().bf16_units:
        assert dtype == "float32" and "no bf16 units" in why, line
    elif figures is not None:
        ratio = float(figures[2]) / max(float(figures[1]), 1e-9)
        if abs(ratio - BF16_MIN_SPEEDUP) > 0.15:  # the line rounds to 0.1 ms
            assert dtype == ("bfloat16" if ratio > BF16_MIN_SPEEDUP else "float32"), line
    else:  # CUDA and MPS say why in words
        assert device != "cpu", f"the compute line gives no figures: {line}"


def test_doctor_on_a_broken_setup_says_what_to_fix(setup: tuple[dict[str, str], Path]) -> None:
    env, panza_home = setup
    home = Path(env["HOME"])
    config = paths.resolve({"PANZA_HOME": str(panza_home)}).config_file
    config.write_text(config.read_text().replace("min_words = 5", "min_wrods = 5"))
    data = paths.resolve({"PANZA_HOME": str(panza_home)}).data_dir
    (data / "native-host" / "panza-native-host").unlink()
    (home / ".config/systemd/user/panza.service").unlink()
    done = panza(env, "doctor")
    assert done.returncode == 1
    checks = lines_by_check(done.stdout)
    assert checks["config"].startswith("FAIL") and "did you mean 'min_words'" in checks["config"]
    assert checks["daemon"].startswith("FAIL") and "-> fix: panza daemon" in checks["daemon"]
    assert "not an executable  -> fix: panza install --browsers chrome" in checks["manifest chrome"]
    assert checks["host"].startswith("FAIL") and "no launcher" in checks["host"]
    assert checks["service"].startswith("FAIL") and "-> fix: panza install" in checks["service"]
    assert checks["keyring"].startswith("ok")
    assert done.stdout.splitlines()[-1] == (
        "6 problem(s): config, daemon, manifest chrome, manifest firefox, host, service"
    )
