"""Where every installed file goes, per browser and OS, from an injectable HOME and platform.

User-level native messaging host locations (research note, mail-clients.md):
Chromium browsers read ``<user data dir>/NativeMessagingHosts``; Firefox and
Thunderbird share ``~/.mozilla/native-messaging-hosts`` on Linux, but on macOS
Thunderbird reads ``~/Library/Mozilla/NativeMessagingHosts``, not Firefox's dir.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from panza.daemon import paths as panza_paths
from panza.native_host import autostart
from panza.native_host.ids import HOST_NAME

CHROMIUM_FAMILY = ("chrome", "chromium", "brave", "edge")
MOZILLA_FAMILY = ("firefox", "thunderbird")
BROWSERS = CHROMIUM_FAMILY + MOZILLA_FAMILY

# Each browser's user profile dir, relative to the config home (Linux, Chromium
# family), HOME (Linux, Mozilla family) or HOME (macOS).
_LINUX_CONFIG = {
    "chrome": "google-chrome",
    "chromium": "chromium",
    "brave": "BraveSoftware/Brave-Browser",
    "edge": "microsoft-edge",
}
_LINUX_MOZILLA_HOSTS = ".mozilla/native-messaging-hosts"
_LINUX_MOZILLA_PROFILE = {"firefox": ".mozilla/firefox", "thunderbird": ".thunderbird"}
_MAC_SUPPORT = "Library/Application Support"
_MAC_PROFILE = {
    "chrome": f"{_MAC_SUPPORT}/Google/Chrome",
    "chromium": f"{_MAC_SUPPORT}/Chromium",
    "brave": f"{_MAC_SUPPORT}/BraveSoftware/Brave-Browser",
    "edge": f"{_MAC_SUPPORT}/Microsoft Edge",
    "firefox": f"{_MAC_SUPPORT}/Firefox",
    "thunderbird": "Library/Thunderbird",
}
_MAC_MOZILLA_HOSTS = {
    "firefox": f"{_MAC_SUPPORT}/Mozilla/NativeMessagingHosts",
    "thunderbird": "Library/Mozilla/NativeMessagingHosts",
}


def data_dir(home: Path, platform: str, env: Mapping[str, str]) -> Path:
    """Panza's data dir for this HOME and platform (``PANZA_HOME`` wins, as in the daemon)."""
    if env.get("PANZA_HOME") or platform == _this_platform():
        return panza_paths.resolve({**env, "HOME": str(home)}).data_dir
    if platform == "darwin":  # simulated macOS on another OS
        return home / _MAC_SUPPORT / "panza"
    value = env.get("XDG_DATA_HOME", "")
    base = Path(value) if value and os.path.isabs(value) else home / ".local" / "share"
    return base / "panza"


def _this_platform() -> str:
    return "darwin" if sys.platform == "darwin" else "linux"


@dataclass(frozen=True)
class Layout:
    """Every path ``panza install`` writes, for one HOME on one platform."""

    home: Path
    platform: str  # "linux" or "darwin"
    env: Mapping[str, str] = field(default_factory=dict)
    # The user's login home; None: looked up in the password database.
    login_home: Path | None = None

    def __post_init__(self) -> None:
        if self.platform not in ("linux", "darwin"):
            raise ValueError(f"unsupported platform {self.platform!r}: use linux or darwin")

    @classmethod
    def current(cls, env: Mapping[str, str] | None = None, platform: str | None = None) -> Layout:
        env = dict(os.environ) if env is None else dict(env)
        home = Path(env.get("HOME") or Path.home()).expanduser().absolute()
        return cls(home, platform or _this_platform(), env)

    @property
    def config_home(self) -> Path:
        return autostart.config_home(self.home, self.env)

    @property
    def data_dir(self) -> Path:
        return data_dir(self.home, self.platform, self.env)

    def profile_dir(self, browser: str) -> Path:
        """The browser's own user dir; its presence means the browser is used here."""
        if self.platform == "darwin":
            return self.home / _MAC_PROFILE[browser]
        if browser in MOZILLA_FAMILY:
            return self.home / _LINUX_MOZILLA_PROFILE[browser]
        return self.config_home / _LINUX_CONFIG[browser]

    def manifest_dir(self, browser: str) -> Path:
        if browser not in BROWSERS:
            raise ValueError(f"unknown browser {browser!r}; one of {', '.join(BROWSERS)}")
        if browser in CHROMIUM_FAMILY:
            return self.profile_dir(browser) / "NativeMessagingHosts"
        if self.platform == "darwin":
            return self.home / _MAC_MOZILLA_HOSTS[browser]
        return self.home / _LINUX_MOZILLA_HOSTS

    def manifest_file(self, browser: str) -> Path:
        return self.manifest_dir(browser) / f"{HOST_NAME}.json"

    def detected_browsers(self) -> list[str]:
        return [b for b in BROWSERS if self.profile_dir(b).is_dir()]

    @property
    def launcher(self) -> Path:
        return self.data_dir / "native-host" / "panza-native-host"

    @property
    def service_file(self) -> Path:
        return autostart.service_file(self.platform, self.home, self.env)

    @property
    def tray_file(self) -> Path:
        if self.platform == "darwin":
            return autostart.agent_file(self.home, autostart.TRAY_LABEL)
        return self.config_home / "autostart" / "panza-tray.desktop"

    @property
    def extension_dir(self) -> Path:
        return self.data_dir / "extension"

    @property
    def record_file(self) -> Path:
        return self.data_dir / "install.json"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def is_login_home(self) -> bool:
        """Whether HOME is this user's real home (only then may we drive the service manager)."""
        import pwd

        real = self.login_home
        if real is None:
            try:
                real = Path(pwd.getpwuid(os.getuid()).pw_dir)
            except KeyError:
                return False
        return self.home.resolve() == real.resolve() and self.platform == _this_platform()
