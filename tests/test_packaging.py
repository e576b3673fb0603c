"""`pip install .` and `pip install -e .` both give the panza.* packages and the console script."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = (
    "import panza.daemon, panza.training, panza.native_host, panza.installer, "
    "panza.daemon.store, panza.daemon.mail.quotes, panza.daemon.demo.sample; "
    "print(panza.daemon.__file__)"
)


@pytest.mark.integration
@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_install_gives_working_imports(tmp_path: Path, editable: bool) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    target = ["-e", str(ROOT)] if editable else [str(ROOT)]
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", *target],
        check=True,
        capture_output=True,
        timeout=600,
        cwd=tmp_path,
    )
    out = subprocess.run(
        [py, "-c", CHECK], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.strip()
    location = Path(out)
    if editable:
        assert location == ROOT / "daemon" / "__init__.py"
    else:
        assert "site-packages" in location.parts and location.parent.name == "daemon"
    assert (env_dir / "bin" / "panza").exists()


def test_every_package_is_declared() -> None:
    """A subpackage missing from pyproject's list would be absent from the wheel."""
    import tomllib

    declared = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set()
    for top in ("daemon", "training", "native_host", "installer"):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).parts
            found.add(".".join(("panza", *rel)))
    assert found == declared
