"""Data and config folders are 0700 and their files 0600, whichever process makes them first.

Each creator runs as a user's session would start it, with the common umask 022:
the store itself, the daemon, the native host and the CLI (the installer's test is
in tests/installer/test_private.py). A mode found too open is corrected and logged.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from panza.daemon import paths
from panza.daemon.store import Store
from tests.daemon_process import stop_daemon, wait_until_answers

CONFIG = '[user]\nname = "Ada Whitfield"\nemails = ["ada@whitfield.example"]\n'
UMASK_022 = ["sh", "-c", 'umask 022; exec "$@"', "sh"]  # a desktop session's usual umask


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_new_parents_are_private_too(tmp_path: Path, umask_022: None) -> None:
    leaf = paths.ensure_private_dir(tmp_path / "share" / "panza" / "logs")
    assert [mode(p) for p in (leaf, leaf.parent, leaf.parent.parent)] == [0o700] * 3


def test_store_database_and_its_wal_and_shm_are_private(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "data" / "panza.db"
    with Store(db) as store:
        with store.write() as conn:
            conn.execute("PRAGMA user_version")
        made = {name: mode(db.with_name(name)) for name in ("panza.db", "panza.db-wal")}
        made["panza.db-shm"] = mode(db.with_name("panza.db-shm"))
    assert made == {"panza.db": 0o600, "panza.db-wal": 0o600, "panza.db-shm": 0o600}
    assert mode(db.parent) == 0o700


def test_open_database_and_folder_are_tightened_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    db = data / "panza.db"
    Store(db).close()
    db.chmod(0o644)
    with caplog.at_level(logging.WARNING), Store(db):
        pass
    assert (mode(data), mode(db)) == (0o700, 0o600)
    assert [r.getMessage() for r in caplog.records] == [
        f"{data} was open to other users (mode 755); made it 700",
        f"{db} was open to other users (mode 644); made it 600",
    ]


def test_daemon_makes_its_data_private_and_closes_an_open_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(0o755)
    home.chmod(0o755)
    (home / "config.toml").write_text(CONFIG)
    (home / "config.toml").chmod(0o644)
    where = paths.resolve({"PANZA_HOME": str(home)})
    err = tmp_path / "daemon.stderr"
    with open(err, "wb") as stderr:
        proc = subprocess.Popen(
            [*UMASK_022, sys.executable, "-m", "panza.daemon.cli", "daemon"],
            env={**os.environ, "PANZA_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until_answers(proc, home, err.read_text)
        seen = {
            p.relative_to(home).as_posix(): mode(p)
            for p in (where.data_dir, where.db_file, where.logs_dir, where.logs_dir / "daemon.log")
        }
        seen["panza.db-wal"] = mode(where.db_file.with_name("panza.db-wal"))
    finally:
        assert stop_daemon(proc) == 0
    assert seen == {
        "data": 0o700,
        "data/panza.db": 0o600,
        "data/logs": 0o700,
        "data/logs/daemon.log": 0o600,
        "panza.db-wal": 0o600,
    }
    assert (mode(home), mode(where.config_file)) == (0o700, 0o600)
    logged = (where.logs_dir / "daemon.log").read_text()
    assert f"{home} was open to other users (mode 755); made it 700" in logged
    assert f"{where.config_file} was open to other users (mode 644); made it 600" in logged


def test_native_host_makes_its_data_private_and_logs_what_it_corrected(tmp_path: Path) -> None:
    from panza.native_host.ids import CHROME_EXTENSION_ID, chrome_origin

    host = [*UMASK_022, sys.executable, "-m", "panza.native_host"]
    home = tmp_path / "home"
    where = paths.resolve({"PANZA_HOME": str(home)})
    for run in ("fresh", "too open"):
        log = where.logs_dir / "native-host.log"
        if run == "too open":
            where.data_dir.chmod(0o755)
            log.chmod(0o644)
        subprocess.run(
            [*host, chrome_origin(CHROME_EXTENSION_ID)],
            env={**os.environ, "PANZA_HOME": str(home)},
            input=b"",
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert (mode(home), mode(where.data_dir), mode(where.logs_dir), mode(log)) == (
            0o700,
            0o700,
            0o700,
            0o600,
        )
    logged = log.read_text()
    assert f"WARNING {where.data_dir} was open to other users (mode 755); made it 700" in logged
    assert f"WARNING {log} was open to other users (mode 644); made it 600" in logged


def test_cli_makes_config_and_database_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "PANZA_HOME": str(home)}
    cli = [*UMASK_022, sys.executable, "-m", "panza.daemon.cli"]
    subprocess.run(
        [*cli, "init", "--name", "Ada", "--email", "ada@whitfield.example"],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    subprocess.run([*cli, "emails"], env=env, capture_output=True, check=True, timeout=120)
    where = paths.resolve({"PANZA_HOME": str(home)})
    assert (mode(home), mode(where.config_file)) == (0o700, 0o600)
    assert (mode(where.data_dir), mode(where.db_file)) == (0o700, 0o600)


def test_a_shared_sticky_folder_is_never_tightened(tmp_path: Path) -> None:
    """PANZA_HOME=/tmp by mistake must not close /tmp to every other user."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    paths.tighten(shared, paths.PRIVATE_DIR)
    paths.ensure_private_dir(shared)
    assert mode(shared) == 0o1777
