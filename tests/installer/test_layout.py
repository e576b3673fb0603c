"""Every path the installer writes, per browser and OS, as the research note lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from panza.installer.layout import BROWSERS, Layout

LINUX = {
    "chrome": ".config/google-chrome/NativeMessagingHosts",
    "chromium": ".config/chromium/NativeMessagingHosts",
    "brave": ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "edge": ".config/microsoft-edge/NativeMessagingHosts",
    "firefox": ".mozilla/native-messaging-hosts",
    "thunderbird": ".mozilla/native-messaging-hosts",
}
MACOS = {
    "chrome": "Library/Application Support/Google/Chrome/NativeMessagingHosts",
    "chromium": "Library/Application Support/Chromium/NativeMessagingHosts",
    "brave": "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "edge": "Library/Application Support/Microsoft Edge/NativeMessagingHosts",
    "firefox": "Library/Application Support/Mozilla/NativeMessagingHosts",
    "thunderbird": "Library/Mozilla/NativeMessagingHosts",  # not Firefox's directory
}
HOME = Path("/home/ada")


@pytest.mark.parametrize("browser", BROWSERS)
def test_manifest_paths_per_browser_and_os(browser: str) -> None:
    linux = Layout(HOME, "linux", {"HOME": str(HOME)})
    mac = Layout(HOME, "darwin", {"HOME": str(HOME)})
    assert linux.manifest_file(browser) == HOME / LINUX[browser] / "org.panza.host.json"
    assert mac.manifest_file(browser) == HOME / MACOS[browser] / "org.panza.host.json"


def test_service_tray_and_launcher_paths() -> None:
    linux = Layout(HOME, "linux", {"HOME": str(HOME)})
    assert linux.service_file == HOME / ".config/systemd/user/panza.service"
    assert linux.tray_file == HOME / ".config/autostart/panza-tray.desktop"
    assert linux.launcher == HOME / ".local/share/panza/native-host/panza-native-host"
    mac = Layout(HOME, "darwin", {"HOME": str(HOME)})
    assert mac.service_file == HOME / "Library/LaunchAgents/org.panza.daemon.plist"
    assert mac.tray_file == HOME / "Library/LaunchAgents/org.panza.tray.plist"
    assert mac.launcher == (
        HOME / "Library/Application Support/panza/native-host/panza-native-host"
    )


def test_xdg_config_home_and_panza_home_move_what_they_should() -> None:
    env = {"HOME": str(HOME), "XDG_CONFIG_HOME": "/cfg", "PANZA_HOME": "/pz"}
    linux = Layout(HOME, "linux", env)
    assert linux.manifest_file("chrome") == Path(
        "/cfg/google-chrome/NativeMessagingHosts/org.panza.host.json"
    )
    assert linux.manifest_file("firefox") == HOME / LINUX["firefox"] / "org.panza.host.json"
    assert linux.service_file == Path("/cfg/systemd/user/panza.service")
    assert linux.launcher == Path("/pz/data/native-host/panza-native-host")


def test_unknown_platform_and_browser_are_refused() -> None:
    with pytest.raises(ValueError, match="linux or darwin"):
        Layout(HOME, "win32")
    with pytest.raises(ValueError, match="unknown browser 'opera'"):
        Layout(HOME, "linux").manifest_file("opera")
