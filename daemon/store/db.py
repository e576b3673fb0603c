"""The SQLite state store: WAL mode, numbered migrations, one writer."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from panza.daemon.errors import StoreError
from panza.daemon.paths import PRIVATE_FILE, ensure_private_dir, tighten
from panza.daemon.store.migrations import MIGRATIONS, Migration

# The store's clock in SQL, in the format of every ``*_at`` column.
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class Store:
    """One connection used as the single writer; readers may open their own."""

    def __init__(self, path: Path, migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
        self.path = path
        _private_files(path)
        try:
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._migrate(migrations)

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, migrations: tuple[Migration, ...]) -> None:
        current = self.schema_version
        newest = max((m.number for m in migrations), default=0)
        if current > newest:
            raise StoreError(
                f"{self.path} was written by a newer Panza (schema {current} > {newest}); "
                "upgrade Panza"
            )
        for migration in sorted(migrations):
            if migration.number <= current:
                continue
            with self.write():
                for statement in _statements(migration.sql):
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {int(migration.number)}")

    @contextmanager
    def write(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); ``durable`` syncs fully on commit.

        Sync cursors advance in a durable transaction together with the data they cover.
        """
        with self._lock:
            if durable:
                self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                if durable:
                    self._conn.execute("PRAGMA synchronous=NORMAL")

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for reads (writes go through :meth:`write`)."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def now(conn: sqlite3.Connection) -> str:
    """The store's clock, in the format of ``added_at`` (to find rows stored after it)."""
    return str(conn.execute(f"SELECT {NOW}").fetchone()[0])


def count(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> int:
    """The number a ``SELECT count(*) ...`` query answers."""
    return int(conn.execute(sql, params).fetchone()[0])


@dataclass(frozen=True)
class FileCheck:
    """What a read-only look at a database file found: its schema and SQLite's verdict."""

    schema_version: int
    verdict: str  # "ok", or what ``PRAGMA quick_check`` found damaged


def check_file(path: Path) -> FileCheck:
    """Open ``path`` read-only (no migration, no WAL change) and run SQLite's quick check.

    Raises :class:`sqlite3.Error` when the file cannot be opened or read.
    """
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return FileCheck(version, str(conn.execute("PRAGMA quick_check").fetchone()[0]))
    finally:
        conn.close()


def _statements(sql: str) -> list[str]:
    """Split a migration script; ``executescript`` would commit our transaction.

    Pieces between semicolons are joined until SQLite calls them complete, so a
    semicolon inside a string or a trigger body does not split a statement.
    """
    out: list[str] = []
    buf = ""
    for piece in sql.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n\t;"):
                out.append(buf.strip())
            buf = ""
    return out


def _private_files(path: Path) -> None:
    """The database is born 0600 in a 0700 folder; one found more open is tightened.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode, so creating
    the database ourselves makes them private too, whatever the process umask.
    """
    ensure_private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for suffix in ("", "-wal", "-shm"):
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE)
