"""A throwaway HOME per test, for Linux and for a simulated macOS; a small extension tree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from panza.installer.install import Options
from panza.installer.layout import Layout

Snapshot = dict[str, tuple[bytes, int, int] | None]


@pytest.fixture(params=["linux", "darwin"])
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def layout(fake_home: Path, platform: str) -> Layout:
    return Layout(fake_home, platform, {"HOME": str(fake_home)})


@pytest.fixture
def extension_src(tmp_path: Path) -> Path:
    """extension/{common,thunderbird,chrome} as the extension developer lays it out."""
    root = tmp_path / "extension"
    files = {
        "common/client.js": "export const HOST = 'org.panza.host';\n",
        "common/client.test.js": "test();\n",
        "thunderbird/manifest.json": json.dumps(
            {"manifest_version": 3, "name": "Panza", "version": "0.1.0"}
        ),
        "thunderbird/background.js": "import '../common/client.js';\n",
        "chrome/manifest.json": json.dumps(
            {"manifest_version": 3, "name": "Panza", "version": "0.1.0", "key": "stale"}
        ),
        "chrome/worker.js": "// service worker\n",
        "chrome/node_modules/dep/index.js": "// not shipped\n",
        "chrome/.eslintrc": "{}\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def options(extension_source: Path | None = None, **changes: object) -> Options:
    base = Options(service=True, extension_source=extension_source, python="/opt/venv/bin/python")
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def snapshot(root: Path) -> Snapshot:
    """Every file (bytes, mode, mtime) and directory (None) under ``root``."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.join(dirpath, name)] = None
        for name in filenames:
            path = Path(dirpath, name)
            info = path.stat()
            out[str(path)] = (path.read_bytes(), info.st_mode & 0o777, info.st_mtime_ns)
    return out
