"""Build the extension packages into a folder (``make extension``: ``dist/``).

Uses the installer's packaging (panza.installer.extension), so what ``make extension``
builds is what ``panza install`` installs: ``panza-thunderbird.xpi``, ``panza-chrome.zip``
(Web Store: no ``key``) and ``chrome/`` (unpacked, with the ``key`` that fixes its id).
Also unpacks the .xpi into ``thunderbird/`` for ``web-ext lint`` and temporary loading.

Run: .venv/bin/python extension/build.py [OUT]
"""

from __future__ import annotations

import io
import shutil
import sys
import zipfile
from pathlib import Path

from panza.installer.extension import build

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else HERE.parent / "dist").resolve()
    built = build(HERE, out)
    for stale in (out / "chrome", out / "thunderbird"):
        shutil.rmtree(stale, ignore_errors=True)
    for path, data in sorted(built.files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    xpi = out / "panza-thunderbird.xpi"
    if xpi in built.files:
        with zipfile.ZipFile(io.BytesIO(built.files[xpi])) as archive:
            archive.extractall(out / "thunderbird")
    for note in built.notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
