"""``panza install`` / ``uninstall`` in a temp HOME, for Linux and a simulated macOS."""

from __future__ import annotations

import json
import os
import plistlib
import zipfile
from pathlib import Path

from panza.installer.install import install, uninstall
from panza.installer.layout import BROWSERS, Layout
from panza.installer.record import Record
from panza.installer.services import Recorder
from panza.native_host.ids import CHROME_EXTENSION_ID, CHROME_PUBLIC_KEY, GECKO_ID
from tests.installer.conftest import options, snapshot

PY = "/opt/venv/bin/python"
ORIGIN = f"chrome-extension://{CHROME_EXTENSION_ID}/"


def run_install(layout: Layout, **changes: object) -> list[str]:
    said: list[str] = []
    install(layout, options(**changes), Recorder(), said.append)
    return said


def test_every_file_at_the_right_path_with_the_right_content(layout: Layout) -> None:
    run_install(layout, tray=True)
    launcher = layout.launcher
    assert launcher.read_text() == (
        "#!/bin/sh\n"
        "# Panza native messaging host. Written by `panza install`; `panza uninstall` removes it.\n"
        f'exec {PY} -m panza.native_host "$@"\n'
    )
    assert launcher.stat().st_mode & 0o777 == 0o755
    for browser in BROWSERS:
        manifest = json.loads(layout.manifest_file(browser).read_text())
        callers = (
            {"allowed_extensions": [GECKO_ID]}
            if browser in ("firefox", "thunderbird")
            else {"allowed_origins": [ORIGIN]}
        )
        assert manifest == {
            "name": "org.panza.host",
            "description": "Panza: drafts email in your own style, on your own machine",
            "path": str(launcher),
            "type": "stdio",
            **callers,
        }
    if layout.platform == "linux":
        unit = layout.service_file.read_text().splitlines()
        for line in (
            "[Service]",
            f"ExecStart={PY} -m panza.daemon.cli daemon",
            "Restart=on-failure",
            "Nice=10",
            "IOSchedulingClass=best-effort",
            "IOSchedulingPriority=7",
            "WantedBy=default.target",
        ):
            assert line in unit
        desktop = layout.tray_file.read_text().splitlines()
        assert "[Desktop Entry]" in desktop and f"Exec={PY} -m panza.daemon.cli tray" in desktop
    else:
        agent = plistlib.loads(layout.service_file.read_bytes())
        assert agent == {
            "Label": "org.panza.daemon",
            "ProgramArguments": [PY, "-m", "panza.daemon.cli", "daemon"],
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
            "ThrottleInterval": 10,
            "Nice": 10,
            "LowPriorityBackgroundIO": True,
            "StandardOutPath": str(layout.logs_dir / "daemon.launchd.log"),
            "StandardErrorPath": str(layout.logs_dir / "daemon.launchd.log"),
        }
        tray = plistlib.loads(layout.tray_file.read_bytes())
        assert tray["Label"] == "org.panza.tray"
        assert tray["ProgramArguments"] == [PY, "-m", "panza.daemon.cli", "tray"]
    record = Record.load(layout.record_file)
    assert record is not None and record.service and record.tray
    assert set(record.files) == {
        str(p)
        for p in [
            launcher,
            layout.service_file,
            layout.tray_file,
            *(layout.manifest_file(b) for b in BROWSERS),
        ]
    }


def test_install_twice_is_the_same_result(layout: Layout, extension_src: Path) -> None:
    run_install(layout, extension_source=extension_src, tray=True)
    first = snapshot(layout.home)
    again = run_install(layout, extension_source=extension_src, tray=True)
    assert snapshot(layout.home) == first  # same bytes, modes and mtimes: nothing rewritten
    written = [line for line in again if line.startswith(("created", "updated"))]
    assert written == [] and any(line.startswith("unchanged") for line in again)


def test_a_changed_interpreter_updates_the_files_that_name_it(layout: Layout) -> None:
    run_install(layout)
    said = run_install(layout, python="/srv/other/bin/python")
    assert f"updated   {layout.launcher}" in said
    assert f"updated   {layout.service_file}" in said
    assert "/srv/other/bin/python" in layout.launcher.read_text()


def test_uninstall_removes_exactly_what_install_created(
    layout: Layout, extension_src: Path
) -> None:
    other = layout.manifest_dir("chrome") / "com.example.other.json"  # someone else's host
    other.parent.mkdir(parents=True)
    other.write_text('{"name": "com.example.other"}')
    before = snapshot(layout.home)
    run_install(layout, extension_source=extension_src, tray=True)
    assert len(snapshot(layout.home)) > len(before)
    said: list[str] = []
    removed = uninstall(layout, Recorder(), said.append)
    assert snapshot(layout.home) == before
    assert layout.launcher in removed and layout.record_file in removed
    assert said[-1].startswith("removed")
    said.clear()
    uninstall(layout, Recorder(), said.append)  # twice: nothing left to do
    assert said[-1] == "nothing to remove"


def test_uninstall_without_a_record_removes_panzas_files_only(layout: Layout) -> None:
    foreign = layout.manifest_file("edge")
    foreign.parent.mkdir(parents=True)
    foreign.write_text('{"name": "org.panza.host.old", "path": "/x"}')  # not ours
    run_install(layout, browsers=["chrome", "firefox", "thunderbird"])
    layout.record_file.unlink()
    said: list[str] = []
    uninstall(layout, Recorder(), said.append)
    assert "no install record" in said[0]
    assert not layout.manifest_file("chrome").exists()
    assert not layout.manifest_file("thunderbird").exists()
    assert not layout.launcher.exists() and not layout.service_file.exists()
    assert foreign.exists()


def test_browser_choice_detected_explicit_and_additive(fake_home: Path, platform: str) -> None:
    layout = Layout(fake_home, platform, {"HOME": str(fake_home)})
    layout.profile_dir("chromium").mkdir(parents=True)  # Chromium is used here
    run_install(layout)
    assert [b for b in BROWSERS if layout.manifest_file(b).exists()] == ["chromium"]
    run_install(layout, browsers=["thunderbird"])
    record = Record.load(layout.record_file)
    assert record is not None and record.browsers == ["chromium", "thunderbird"]
    assert layout.manifest_file("chromium").exists()
    assert layout.manifest_file("thunderbird").exists()
    if platform == "darwin":  # Thunderbird's macOS dir differs from Firefox's
        assert not layout.manifest_file("firefox").exists()


def test_extra_allowed_ids_reach_manifests_and_launcher(layout: Layout) -> None:
    run_install(layout, allow_ids=["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "beta@panza.org"])
    chrome = json.loads(layout.manifest_file("chrome").read_text())
    assert chrome["allowed_origins"] == [
        ORIGIN,
        "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/",
    ]
    firefox = json.loads(layout.manifest_file("firefox").read_text())
    assert firefox["allowed_extensions"] == [GECKO_ID, "beta@panza.org"]
    assert (
        "PANZA_ALLOWED_CALLERS='bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb beta@panza.org'; "
        "export PANZA_ALLOWED_CALLERS"
    ) in layout.launcher.read_text()


def test_extension_packages_pin_the_ids_and_are_reproducible(
    layout: Layout, extension_src: Path
) -> None:
    said = run_install(layout, extension_source=extension_src)
    out = layout.extension_dir
    with zipfile.ZipFile(out / "panza-thunderbird.xpi") as xpi:
        assert xpi.namelist() == ["manifest.json", "background.js", "common/client.js"]
        manifest = json.loads(xpi.read("manifest.json"))
        assert manifest["browser_specific_settings"]["gecko"]["id"] == GECKO_ID
    unpacked = json.loads((out / "chrome" / "manifest.json").read_text())
    assert unpacked["key"] == CHROME_PUBLIC_KEY
    assert sorted(
        p.relative_to(out / "chrome").as_posix() for p in (out / "chrome").rglob("*.js")
    ) == [
        "common/client.js",
        "worker.js",
    ]
    with zipfile.ZipFile(out / "panza-chrome.zip") as store:
        assert "key" not in json.loads(store.read("manifest.json"))  # the Web Store refuses it
    assert any("Install Add-on From File" in line for line in said)
    assert any(f"Load unpacked > {out / 'chrome'}" in line for line in said)
    xpi_bytes = (out / "panza-thunderbird.xpi").read_bytes()
    (out / "panza-thunderbird.xpi").unlink()
    run_install(layout, extension_source=extension_src)
    assert (out / "panza-thunderbird.xpi").read_bytes() == xpi_bytes


def test_files_are_private_enough(layout: Layout) -> None:
    run_install(layout)
    assert layout.record_file.stat().st_mode & 0o777 == 0o600
    assert layout.manifest_file("chrome").stat().st_mode & 0o777 == 0o644
    assert not os.access(layout.manifest_file("chrome"), os.X_OK)
