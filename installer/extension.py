"""Build the extension packages from ``extension/``: the Thunderbird .xpi, the Chrome
unpacked folder (with the manifest ``key`` that fixes its id) and the Chrome zip
for the Web Store (which refuses a ``key``).

A package is ``extension/<target>/`` (``manifest.json`` at its root) plus
``extension/common/`` copied in as ``common/``. Archives are byte-for-byte
reproducible, so installing twice changes nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from panza.native_host.ids import CHROME_PUBLIC_KEY, GECKO_ID

TARGETS = ("thunderbird", "chrome")
_SKIP_DIRS = {"node_modules", "test", "tests", "__pycache__", "dist"}
_SKIP_FILES = {"package.json", "package-lock.json"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


def source_dir() -> Path | None:
    """``extension/`` next to this package in a source checkout, if there is one."""
    root = Path(__file__).resolve().parent.parent / "extension"
    return root if root.is_dir() else None


@dataclass
class Built:
    """The files to write and what to tell the user."""

    files: dict[Path, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _walk(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(p.startswith(".") or p in _SKIP_DIRS for p in rel.parts[:-1]):
            continue
        name = rel.parts[-1]
        if name.startswith(".") or name in _SKIP_FILES or name.endswith(".test.js"):
            continue
        if path.is_file():
            yield rel.as_posix(), path.read_bytes()


def collect(source: Path, target: str) -> dict[str, bytes] | None:
    """The package's files by archive path, or None when the target has no manifest."""
    base = source / target
    if not (base / "manifest.json").is_file():
        return None
    files: dict[str, bytes] = {}
    common = source / "common"
    if common.is_dir() and not (base / "common").exists():
        files.update((f"common/{rel}", data) for rel, data in _walk(common))
    files.update(_walk(base))
    return files


def adjust_manifest(raw: bytes, target: str, with_key: bool) -> bytes:
    """Pin the ids the native host accepts: gecko id for Thunderbird, ``key`` for Chrome."""
    manifest = json.loads(raw)
    if target == "thunderbird":
        gecko = manifest.setdefault("browser_specific_settings", {}).setdefault("gecko", {})
        gecko["id"] = GECKO_ID
    elif with_key:
        manifest["key"] = CHROME_PUBLIC_KEY
    else:
        manifest.pop("key", None)
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A reproducible zip: manifest first, then sorted names, fixed times and modes."""
    names = sorted(files, key=lambda n: (n != "manifest.json", n))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def build(source: Path, out: Path) -> Built:
    """Every package that ``source`` has sources for, under ``out``."""
    built = Built()
    tb = collect(source, "thunderbird")
    if tb is not None:
        tb["manifest.json"] = adjust_manifest(tb["manifest.json"], "thunderbird", True)
        xpi = out / "panza-thunderbird.xpi"
        built.files[xpi] = zip_bytes(tb)
        built.notes.append(
            f"Thunderbird: Add-ons and Themes > gear menu > Install Add-on From File... > {xpi}"
        )
    chrome = collect(source, "chrome")
    if chrome is not None:
        unpacked = dict(chrome)
        unpacked["manifest.json"] = adjust_manifest(chrome["manifest.json"], "chrome", True)
        folder = out / "chrome"
        for rel, data in unpacked.items():
            built.files[folder / rel] = data
        store = dict(chrome)
        store["manifest.json"] = adjust_manifest(chrome["manifest.json"], "chrome", False)
        built.files[out / "panza-chrome.zip"] = zip_bytes(store)
        built.notes.append(
            "Chrome, Chromium, Brave, Edge: open chrome://extensions, turn on Developer mode,"
            f" Load unpacked > {folder}"
        )
    if tb is None and chrome is None:
        built.notes.append(f"no extension sources in {source}; packages not built")
    return built
