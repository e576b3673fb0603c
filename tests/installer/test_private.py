"""``panza install`` keeps the data folder (which holds the mail database) private."""

from __future__ import annotations

import os
import stat

from panza.installer.install import install
from panza.installer.layout import Layout
from panza.installer.services import Recorder
from tests.installer.conftest import options


def test_install_makes_the_data_folder_private_whatever_the_umask(layout: Layout) -> None:
    old = os.umask(0o022)
    try:
        install(layout, options(), Recorder(), lambda _: None)
    finally:
        os.umask(old)
    assert stat.S_IMODE(layout.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(layout.launcher.parent.stat().st_mode) == 0o700


def test_install_tightens_an_open_data_folder_and_says_so(layout: Layout) -> None:
    layout.data_dir.mkdir(parents=True)
    layout.data_dir.chmod(0o755)
    said: list[str] = []
    install(layout, options(), Recorder(), said.append)
    assert stat.S_IMODE(layout.data_dir.stat().st_mode) == 0o700
    assert said[0] == f"{layout.data_dir} was open to other users (mode 755); made it 700"
