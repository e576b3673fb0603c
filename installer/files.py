"""The contents of every installed file, as pure functions returning bytes."""

from __future__ import annotations

import json
import plistlib
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from panza.installer.layout import CHROMIUM_FAMILY
from panza.native_host import autostart
from panza.native_host.ids import (
    CHROME_EXTENSION_ID,
    EXTRA_CALLERS_ENV,
    GECKO_ID,
    HOST_NAME,
    chrome_origin,
)

DESCRIPTION = "Panza: drafts email in your own style, on your own machine"
HEADER = "Written by `panza install`; `panza uninstall` removes it."
DAEMON_ARGS = ("-m", "panza.daemon.cli", "daemon")
TRAY_ARGS = ("-m", "panza.daemon.cli", "tray")
# Passed on to the daemon and the host so they find the same state as the installer.
PASSED_ENV = ("PANZA_HOME",)


def passed_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: env[k] for k in PASSED_ENV if env.get(k)}


def allowed_ids(extra: Iterable[str]) -> tuple[list[str], list[str]]:
    """(Chrome origins, Gecko add-on ids) accepted: Panza's own plus ``extra``."""
    origins, gecko = [chrome_origin(CHROME_EXTENSION_ID)], [GECKO_ID]
    for item in extra:
        if "@" in item or item.startswith("{"):
            gecko.append(item)
        else:
            origin = item if item.startswith("chrome-extension://") else chrome_origin(item)
            origins.append(origin.rstrip("/") + "/")
    return list(dict.fromkeys(origins)), list(dict.fromkeys(gecko))


def host_manifest(browser: str, launcher: Path, extra_ids: Iterable[str] = ()) -> bytes:
    """``org.panza.host.json``: Chromium browsers list origins, Gecko ones add-on ids."""
    origins, gecko = allowed_ids(extra_ids)
    manifest: dict[str, object] = {
        "name": HOST_NAME,
        "description": DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
    }
    if browser in CHROMIUM_FAMILY:
        manifest["allowed_origins"] = origins
    else:
        manifest["allowed_extensions"] = gecko
    return (json.dumps(manifest, indent=2) + "\n").encode()


def launcher_script(python: str, env: Mapping[str, str], extra_ids: Sequence[str] = ()) -> bytes:
    """The executable the manifests point at: this Python, ``-m panza.native_host``."""
    lines = ["#!/bin/sh", f"# Panza native messaging host. {HEADER}"]
    exports = dict(passed_env(env))
    if extra_ids:
        exports[EXTRA_CALLERS_ENV] = " ".join(extra_ids)
    for key, value in exports.items():
        lines.append(f"{key}={shlex.quote(value)}; export {key}")
    lines.append(f'exec {shlex.quote(python)} -m panza.native_host "$@"')
    return ("\n".join(lines) + "\n").encode()


def _sd_quote(word: str) -> str:
    """One word of a systemd command line or assignment (quotes, backslashes, specifiers)."""
    escaped = word.replace("%", "%%")
    if escaped and all(c.isalnum() or c in "/._-+=:,@" for c in escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(python: str, env: Mapping[str, str]) -> bytes:
    """The daemon's user unit: restarts on failure, yields CPU and disk to the desktop."""
    exec_start = " ".join(_sd_quote(w) for w in (python, *DAEMON_ARGS))
    environment = [f"Environment={_sd_quote(f'{k}={v}')}" for k, v in passed_env(env).items()]
    text = f"""# {HEADER}
[Unit]
Description=Panza email assistant daemon (sync, learning, drafts)

[Service]
Type=simple
ExecStart={exec_start}
{chr(10).join([*environment, "Environment=PYTHONUNBUFFERED=1"])}
Restart=on-failure
RestartSec=5
# Training runs inside this service: keep it behind interactive work.
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
TimeoutStopSec=60

[Install]
WantedBy=default.target
"""
    return text.encode()


def launchd_agent(
    label: str,
    python: str,
    args: Sequence[str],
    env: Mapping[str, str],
    log_file: Path,
    keep_alive: bool,
) -> bytes:
    """A launchd agent plist running ``python args...`` at login."""
    plist: dict[str, object] = {
        "Label": label,
        "ProgramArguments": [python, *args],
        "RunAtLoad": True,
        "StandardOutPath": str(log_file),
        "StandardErrorPath": str(log_file),
    }
    if keep_alive:  # restart after a crash, not after a clean stop
        plist.update(
            KeepAlive={"SuccessfulExit": False},
            ThrottleInterval=10,
            Nice=10,
            LowPriorityBackgroundIO=True,
        )
    else:
        plist["ProcessType"] = "Interactive"
        plist["LimitLoadToSessionType"] = "Aqua"
    extra = passed_env(env)
    if extra:
        plist["EnvironmentVariables"] = extra
    return plistlib.dumps(plist, sort_keys=True)


def daemon_agent(python: str, env: Mapping[str, str], logs_dir: Path) -> bytes:
    return launchd_agent(
        autostart.AGENT_LABEL, python, DAEMON_ARGS, env, logs_dir / "daemon.launchd.log", True
    )


def tray_agent(python: str, env: Mapping[str, str], logs_dir: Path) -> bytes:
    return launchd_agent(
        autostart.TRAY_LABEL, python, TRAY_ARGS, env, logs_dir / "tray.launchd.log", False
    )


def _desktop_quote(word: str) -> str:
    """One argument of a desktop entry's Exec key (freedesktop quoting rules)."""
    if word and all(c.isalnum() or c in "/._-+=:,@" for c in word):
        return word
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
    return '"' + escaped.replace("%", "%%") + '"'


def tray_desktop(python: str, env: Mapping[str, str]) -> bytes:
    """XDG autostart entry: ``panza tray`` at login."""
    words = [python, *TRAY_ARGS]
    extra = passed_env(env)
    if extra:
        words = ["env", *(f"{k}={v}" for k, v in extra.items()), *words]
    text = f"""# {HEADER}
[Desktop Entry]
Type=Application
Name=Panza tray
Comment=Panza's status icon: sync, retrain, pause
Exec={" ".join(_desktop_quote(w) for w in words)}
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
"""
    return text.encode()
