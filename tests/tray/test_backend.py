"""Which tray backend `panza tray` gets, what `panza doctor` says about it, and the words
for a backend without a menu (no display needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from panza.daemon.tray import backend
from panza.installer.doctor_install import tray
from panza.installer.record import Record

HIDE_GI = "import sys; sys.modules['gi'] = None  # as if PyGObject were not installed\n"


def test_macos_and_windows_have_their_own_menus() -> None:
    assert backend.support({}, "darwin") == backend.Support("darwin", True)
    assert backend.support({}, "win32") == backend.Support("win32", True)
    assert backend.explain("darwin", backend.support({}, "darwin")) is None


def test_a_forced_backend_without_menu_is_named() -> None:
    found = backend.support({"PYSTRAY_BACKEND": "xorg"}, "linux")
    assert found == backend.Support(
        "xorg",
        False,
        "PYSTRAY_BACKEND=xorg chooses a backend without a menu",
        "unset PYSTRAY_BACKEND",
    )
    assert backend.explain("xorg", found) == (
        "this tray backend (xorg) shows the icon but no menu: PYSTRAY_BACKEND=xorg chooses"
        " a backend without a menu: unset PYSTRAY_BACKEND"
    )


def test_gtk_backend_is_told_about_the_indicator() -> None:
    found = backend.Support(
        "gtk", True, "the AppIndicator typelib is missing", "sudo apt install x"
    )
    assert backend.explain("gtk", found) == (
        "the tray icon uses GTK's XEmbed icon, which most desktops no longer show; for a"
        " StatusNotifier icon with its menu: sudo apt install x"
    )


def test_appindicator_is_found_where_installed() -> None:
    found = backend.support({}, "linux")
    if found.backend != "appindicator":
        pytest.skip(f"not installed here: {found.missing}")
    assert found == backend.Support("appindicator", True)
    assert backend.explain("appindicator", found) is None


def run(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", HIDE_GI + code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_without_pygobject_says_what_to_install() -> None:
    code = (
        "from panza.daemon.tray import backend\n"
        "found = backend.support({}, 'linux')\n"
        "print(found.backend, found.menu); print(found.missing); print(found.fix)\n"
    )
    name, missing, fix = run(code)
    assert name == "xorg False"
    assert missing == f"PyGObject is not installed for {sys.executable}"
    assert fix == (
        "sudo apt install libgirepository1.0-dev libcairo2-dev pkg-config"
        " gir1.2-ayatanaappindicator3-0.1, then"
        f" {sys.executable} -m pip install 'PyGObject>=3.42,<3.51'"
    )


@pytest.mark.parametrize(("installed", "status"), [(False, "warn"), (True, "FAIL")])
def test_doctor_without_pygobject(installed: bool, status: str) -> None:
    code = (
        "from panza.installer.doctor_install import tray\n"
        "from panza.installer.record import Record\n"
        f"check = tray(Record(tray={installed}))\n"
        "print(check.status); print(check.detail); print(check.fix)\n"
    )
    got, detail, fix = run(code)
    assert got == status  # a failure only where `panza install --tray` put it at login
    assert (
        detail == f"no menu with the xorg backend: PyGObject is not installed for {sys.executable}"
    )
    assert "pip install 'PyGObject>=3.42,<3.51'" in fix


def test_doctor_outside_a_desktop_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    if backend.support().backend != "appindicator":
        pytest.skip("PyGObject with the AppIndicator typelib is not installed here")
    check = tray(Record(tray=True))
    assert (check.status, check.detail) == (
        "ok",
        "menu through StatusNotifierItem (AppIndicator) (no desktop session bus here to check"
        " the panel)",
    )
