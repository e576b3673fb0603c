"""``panza doctor``'s checks of the installed pieces: daemon, socket, manifests, host, service."""

from __future__ import annotations

import json
import os
import plistlib
import shlex
import stat
from pathlib import Path

from panza.daemon.errors import PanzaError, UnsafeSocketError
from panza.daemon.paths import Paths, check_run_dir
from panza.installer import services
from panza.installer.doctor_state import Check
from panza.installer.files import allowed_ids
from panza.installer.host_roundtrip import HostCheckError, round_trip
from panza.installer.layout import BROWSERS, MOZILLA_FAMILY, Layout
from panza.installer.record import Record
from panza.native_host.autostart import AGENT_LABEL, UNIT_NAME
from panza.native_host.ids import HOST_NAME

START = "panza daemon (or: panza install, to start it at login)"


def daemon(where: Paths) -> Check:
    from panza.daemon.client import Client

    try:
        with Client(where.socket_file, timeout=5) as client:
            reply = client.call("ping")
    except PanzaError as exc:  # not running, or an error reply
        return Check("daemon", "FAIL", str(exc).split(";")[0], START)
    except (OSError, ValueError) as exc:  # it hung up or spoke nonsense
        return Check("daemon", "FAIL", f"no proper answer on {where.socket_file}: {exc}", START)
    return Check("daemon", "ok", f"answers (pid {reply.get('pid')}, {reply.get('version')})")


def socket_permissions(where: Paths) -> Check:
    sock, run = where.socket_file, where.run_dir
    fix = f"stop the daemon, rm -r {run}"
    if os.path.lexists(run):  # made by someone else, the daemon will not start: say why
        try:
            check_run_dir(run)
        except UnsafeSocketError as exc:
            return Check("socket", "FAIL", str(exc), fix)
    if not os.path.lexists(sock):
        return Check("socket", "skip", f"{sock} absent (daemon not running)")
    info = os.lstat(sock)
    problems = []
    if info.st_uid != os.getuid():
        problems.append(f"{sock} belongs to uid {info.st_uid}")
    if stat.S_IMODE(info.st_mode) & ~0o600:
        problems.append(f"{sock} is {stat.S_IMODE(info.st_mode):o}, not 600")
    if problems:
        return Check("socket", "FAIL", "; ".join(problems), fix)
    return Check("socket", "ok", f"{sock} is private (dir 700, socket 600)")


def _browsers(layout: Layout, record: Record | None) -> list[str]:
    if record is not None and record.browsers:
        return record.browsers
    return [b for b in BROWSERS if layout.manifest_file(b).exists()]


def manifests(layout: Layout, record: Record | None) -> list[Check]:
    browsers = _browsers(layout, record)
    if not browsers:
        return [Check("manifests", "FAIL", "no browser knows the Panza host", "panza install")]
    extra = record.allow_ids if record is not None else []
    return [_manifest(layout, browser, extra) for browser in browsers]


def _manifest(layout: Layout, browser: str, extra: list[str]) -> Check:
    name, path = f"manifest {browser}", layout.manifest_file(browser)
    redo = f"panza install --browsers {browser}"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Check(name, "FAIL", f"{path} missing", redo)
    except (OSError, ValueError) as exc:
        return Check(name, "FAIL", f"{path} unreadable: {exc}", redo)
    if not isinstance(manifest, dict) or manifest.get("name") != HOST_NAME:
        return Check(name, "FAIL", f"{path} is not the {HOST_NAME} manifest", redo)
    launcher = Path(str(manifest.get("path", "")))
    if not launcher.is_absolute() or not os.access(launcher, os.X_OK):
        return Check(name, "FAIL", f"points at {launcher}, which is not an executable", redo)
    origins, gecko = allowed_ids(extra)
    key, want = (
        ("allowed_extensions", gecko) if browser in MOZILLA_FAMILY else ("allowed_origins", origins)
    )
    if want[0] not in manifest.get(key, []):
        return Check(name, "FAIL", f"{key} does not list {want[0]}", redo)
    return Check(name, "ok", f"{path} -> {launcher}")


def host(layout: Layout) -> Check:
    launcher = layout.launcher
    if not launcher.exists():
        return Check("host", "FAIL", f"no launcher at {launcher}", "panza install")
    try:
        reply = round_trip(launcher, env=dict(layout.env) or None)
    except HostCheckError as exc:
        return Check("host", "FAIL", f"{launcher}: {exc}", "panza install (rewrites the launcher)")
    if reply.get("ok"):
        return Check("host", "ok", "the launcher starts the host; a framed ping came back")
    error = reply.get("error") or {}
    if error.get("code") == "unavailable":
        return Check("host", "ok", "the launcher starts the host (the daemon is not answering)")
    return Check("host", "FAIL", f"the host refused the ping: {error.get('message')}")


def _service_python(layout: Layout) -> str:
    """The interpreter the installed service runs."""
    data = layout.service_file.read_bytes()
    if layout.platform == "darwin":
        return str(plistlib.loads(data).get("ProgramArguments", [""])[0])
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("ExecStart="):
            words = shlex.split(line.removeprefix("ExecStart=").replace("%%", "%"))
            return words[0] if words else ""
    return ""


def service(layout: Layout, record: Record | None, commands: services.Commands) -> Check:
    unit = layout.service_file
    if not unit.exists():
        if record is not None and record.service:
            return Check("service", "FAIL", f"{unit} is missing", "panza install")
        return Check("service", "skip", "not installed (panza install sets it up)")
    try:
        python = _service_python(layout)
    except (OSError, ValueError) as exc:
        return Check("service", "FAIL", f"{unit} unreadable: {exc}", "panza install")
    if not os.access(python, os.X_OK):
        return Check("service", "FAIL", f"{unit} runs {python}, which is gone", "panza install")
    problem = services.manager_problem(layout, commands)
    if problem is not None:
        return Check("service", "ok", f"{unit} installed (not asked: {problem})")
    if layout.platform == "darwin":
        code, _ = commands.run(["launchctl", "print", f"gui/{os.getuid()}/{AGENT_LABEL}"])
        if code != 0:
            fix = f"launchctl bootstrap gui/{os.getuid()} {unit}"
            return Check("service", "FAIL", f"{AGENT_LABEL} is not loaded", fix)
        return Check("service", "ok", f"{AGENT_LABEL} loaded")
    enabled = commands.run(["systemctl", "--user", "is-enabled", UNIT_NAME])[0] == 0
    active = commands.run(["systemctl", "--user", "is-active", UNIT_NAME])[0] == 0
    if not (enabled and active):
        state = f"{'enabled' if enabled else 'not enabled'}, {'active' if active else 'inactive'}"
        fix = f"systemctl --user enable --now {UNIT_NAME}; journalctl --user -u {UNIT_NAME}"
        return Check("service", "FAIL", f"{UNIT_NAME} is {state}", fix)
    return Check("service", "ok", f"{UNIT_NAME} enabled and active")


def tray(record: Record | None) -> Check:
    """Whether ``panza tray`` will have a menu here, and a panel to show it in."""
    from panza.daemon.tray import backend

    found = backend.support()
    if found.backend in ("darwin", "win32"):
        return Check("tray", "ok", f"the {found.backend} tray has a menu")
    if found.backend != "appindicator":
        installed = record is not None and record.tray
        detail = f"no menu with the {found.backend} backend: {found.missing}"
        return Check("tray", "FAIL" if installed else "warn", detail, found.fix)
    panel = backend.panel_running()
    if panel is False:
        return Check(
            "tray",
            "warn",
            "menu ready (AppIndicator), but no StatusNotifier host runs on this desktop",
            "GNOME: enable the AppIndicator extension (gnome-shell-extension-appindicator)",
        )
    where = "" if panel else " (no desktop session bus here to check the panel)"
    return Check("tray", "ok", f"menu through StatusNotifierItem (AppIndicator){where}")
