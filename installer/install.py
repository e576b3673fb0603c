"""``panza install`` and ``panza uninstall``: put every piece where browsers and the OS look.

Install is idempotent (files already right are not touched, a second run
reports "unchanged" everywhere) and additive (browsers and options from earlier
runs stay). Uninstall removes exactly what the install record lists.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from panza.daemon.paths import PRIVATE_DIR, tighten
from panza.installer import extension, files, services
from panza.installer.layout import BROWSERS, Layout
from panza.installer.record import Outcome, Record, remove_recorded, write_file
from panza.native_host.ids import HOST_NAME

Say = Callable[[str], None]


@dataclass
class Options:
    """What to install. ``browsers`` None: those with a profile here (all when none has)."""

    browsers: Sequence[str] | None = None
    service: bool = True
    tray: bool = False
    allow_ids: Sequence[str] = ()
    python: str = field(default_factory=lambda: sys.executable)
    extension_source: Path | None = field(default_factory=extension.source_dir)


def parse_browsers(text: str) -> list[str]:
    """``chrome,firefox`` -> ["chrome", "firefox"]; ValueError naming an unknown one."""
    chosen = [b.strip().lower() for b in text.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BROWSERS]
    if unknown or not chosen:
        raise ValueError(
            f"unknown browser(s): {', '.join(unknown) or '(none given)'};"
            f" choose from {','.join(BROWSERS)}"
        )
    return list(dict.fromkeys(chosen))


def _choose_browsers(layout: Layout, options: Options, say: Say) -> list[str]:
    if options.browsers is not None:
        return list(options.browsers)
    found = layout.detected_browsers()
    if found:
        return found
    say("no browser profile found here; installing the host for every supported browser")
    return list(BROWSERS)


def install(layout: Layout, options: Options, commands: services.Commands, say: Say) -> Record:
    """Write everything for ``options`` under ``layout``; enable the service unless told not."""
    tighten(layout.data_dir, PRIVATE_DIR, say)  # it holds the mail database
    record = Record.load(layout.record_file) or Record()
    record.browsers = sorted({*record.browsers, *_choose_browsers(layout, options, say)})
    record.allow_ids = list(dict.fromkeys([*record.allow_ids, *options.allow_ids]))
    record.service = record.service or options.service
    record.tray = record.tray or options.tray
    env, python = layout.env, options.python

    def put(path: Path, data: bytes, mode: int = 0o644, what: str = "") -> Outcome:
        outcome = write_file(path, data, record, mode)
        say(f"{outcome:<9} {path}{f'  ({what})' if what else ''}")
        return outcome

    put(layout.launcher, files.launcher_script(python, env, record.allow_ids), 0o755)
    by_path: dict[Path, list[str]] = {}  # Firefox and Thunderbird share one on Linux
    for browser in record.browsers:
        by_path.setdefault(layout.manifest_file(browser), []).append(browser)
    for path, browsers in by_path.items():
        manifest = files.host_manifest(browsers[0], layout.launcher, record.allow_ids)
        put(path, manifest, what=", ".join(browsers))

    service: Outcome = "unchanged"
    if record.service:
        unit = (
            files.daemon_agent(python, env, layout.logs_dir)
            if layout.platform == "darwin"
            else files.systemd_unit(python, env)
        )
        service = put(layout.service_file, unit)
    if record.tray:
        tray = (
            files.tray_agent(python, env, layout.logs_dir)
            if layout.platform == "darwin"
            else files.tray_desktop(python, env)
        )
        put(layout.tray_file, tray)

    notes = _extensions(layout, options, record, say)
    write_file(layout.record_file, record.dumps(), record, 0o600)
    record.files.pop(str(layout.record_file), None)  # it does not list itself

    if options.service:
        services.enable(layout, commands, service, say, record.tray)
    elif record.service:
        say("service: installed by an earlier `panza install`; left as it is")
    else:
        say("service: not installed (--no-service); start Panza with `panza daemon`")
    if record.tray and layout.platform == "linux":
        say("tray: starts at your next login (or run `panza tray` now)")
    for note in notes:
        say(note)
    return record


def _extensions(layout: Layout, options: Options, record: Record, say: Say) -> list[str]:
    if options.extension_source is None:
        return ["extension packages not built: no extension/ sources next to this install"]
    built = extension.build(options.extension_source, layout.extension_dir)
    changed = sum(write_file(p, data, record) != "unchanged" for p, data in built.files.items())
    if built.files:
        say(f"{'updated' if changed else 'unchanged':<9} {layout.extension_dir} (packages)")
    return ["Load the extension:", *(f"  {n}" for n in built.notes)]


def known_files(layout: Layout) -> Record:
    """What an install would have written, for uninstalling without a record."""
    record = Record()
    candidates = [layout.launcher, layout.service_file, layout.tray_file]
    for browser in BROWSERS:
        path = layout.manifest_file(browser)
        try:
            if json.loads(path.read_text()).get("name") == HOST_NAME:
                candidates.append(path)
        except (OSError, ValueError, AttributeError):
            continue
    if layout.extension_dir.is_dir():
        candidates += [p for p in layout.extension_dir.rglob("*") if p.is_file()]
        record.dirs += [str(p) for p in layout.extension_dir.rglob("*") if p.is_dir()]
        record.dirs.append(str(layout.extension_dir))
    record.dirs.append(str(layout.launcher.parent))
    record.files = {str(p): "" for p in candidates if p.is_file()}
    record.service = layout.service_file.is_file()
    return record


def uninstall(layout: Layout, commands: services.Commands, say: Say) -> list[Path]:
    """Stop the service and remove exactly what install wrote; what was removed."""
    record = Record.load(layout.record_file)
    if record is None:
        say(f"no install record at {layout.record_file}; removing Panza's files at known paths")
        record = known_files(layout)
    if record.service or str(layout.service_file) in record.files:
        services.disable(layout, commands, say)
    record.files[str(layout.record_file)] = ""
    removed = remove_recorded(record)
    services.reload_after_removal(layout, commands)
    for path in removed:
        say(f"removed   {path}")
    if not removed:
        say("nothing to remove")
    return removed
