"""``panza doctor``: check every piece, one line each with a fix; exit 1 when any failed."""

from __future__ import annotations

from collections.abc import Callable

from panza.daemon import paths
from panza.installer import doctor_install, doctor_state, services
from panza.installer.doctor_state import Check
from panza.installer.layout import Layout
from panza.installer.record import Record

Say = Callable[[str], None]


def run_checks(
    layout: Layout, where: paths.Paths, commands: services.Commands, say: Say
) -> list[Check]:
    """Run every check in order, printing each line as soon as it is known."""
    done: list[Check] = []

    def report(*found: Check) -> None:
        for check in found:
            done.append(check)
            say(format_check(check))

    config_check, config = doctor_state.config(where)
    report(config_check)
    report(doctor_state.store(where))
    report(doctor_state.keyring())
    if config is not None:
        report(*doctor_state.accounts(config))
    report(doctor_install.daemon(where))
    report(doctor_install.socket_permissions(where))
    record = Record.load(layout.record_file)
    report(*doctor_install.manifests(layout, record))
    report(doctor_install.host(layout))
    report(doctor_install.service(layout, record, commands))
    report(doctor_install.tray(record))
    if config is not None:
        report(*doctor_state.models(config))
        report(doctor_state.compute(config))
    report(doctor_state.disk(where))
    return done


def format_check(check: Check) -> str:
    line = f"{check.status:<4}  {check.name:<20} {check.detail}"
    if check.fix and check.status in ("FAIL", "warn"):
        line += f"  -> fix: {check.fix}"
    return line


def doctor(layout: Layout, where: paths.Paths, commands: services.Commands, say: Say) -> int:
    found = run_checks(layout, where, commands, say)
    failed = [c.name for c in found if c.failed]
    say(f"{len(failed)} problem(s): {', '.join(failed)}" if failed else "everything looks fine")
    return 1 if failed else 0
