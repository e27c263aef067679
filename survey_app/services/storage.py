"""Backups and restores of the SQLite database; the documented pg_dump commands otherwise.

A backup uses SQLite's online backup API in one step: it reads one consistent snapshot
while the server keeps writing (WAL lets writers go on), so a response is either wholly
in the backup or not at all.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

BUSY_TIMEOUT_S = 30
REQUIRED_TABLE = "alembic_version"


class StorageError(RuntimeError):
    """A backup or restore that cannot be done."""


def sqlite_file(database_url: str) -> Path | None:
    """The file behind an SQLite URL; None for other databases (or in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def postgres_commands(database_url: str, target: str) -> tuple[str, str]:
    """The pg_dump and pg_restore commands for this database (password left out)."""
    # URL.set() ignores None, so the password is dropped through the named tuple.
    url = make_url(database_url).set(drivername="postgresql")._replace(password=None)
    dsn = url.render_as_string(hide_password=False)
    dump = f"PGPASSWORD=… pg_dump --format=custom --no-owner --file '{target}' '{dsn}'"
    restore = f"PGPASSWORD=… pg_restore --clean --if-exists --no-owner --dbname '{dsn}' '{target}'"
    return dump, restore


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    return connection


def check_database(path: Path) -> None:
    """Raise StorageError unless `path` is an intact database of this application."""
    if not path.is_file():
        raise StorageError(f"{path} does not exist")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{path} is not an SQLite database: {error}") from error
    if status != "ok":
        raise StorageError(f"{path} failed the integrity check: {status}")
    if REQUIRED_TABLE not in tables:
        raise StorageError(f"{path} is not a database of this application")


def backup(source: Path, target: Path) -> None:
    """Copy the live database to `target` (written to a temporary file, then renamed)."""
    if not source.is_file():
        raise StorageError(f"the database {source} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source_connection = _connect(source)
    target_connection = sqlite3.connect(partial)
    try:
        source_connection.backup(target_connection)  # all pages in one consistent step
        target_connection.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target_connection.close()
        source_connection.close()
    check_database(partial)
    os.chmod(partial, 0o600)
    partial.replace(target)


def restore(backup_file: Path, target: Path) -> None:
    """Replace the contents of the database at `target` with the backup's.

    Uses the backup API towards the live file, so the WAL and its index stay coherent;
    stop the server first, since open sessions would see the data change under them.
    """
    check_database(backup_file)
    source_connection = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target_connection = _connect(target)
    try:
        source_connection.backup(target_connection)
        target_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target_connection.close()
        source_connection.close()


def table_checksums(path: Path) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the rows in key order) of every table of an SQLite file."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {name: _checksum(connection, name) for name in names}
    finally:
        connection.close()


def _checksum(connection: sqlite3.Connection, table: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
    order = ", ".join(f'"{column}"' for column in columns)
    for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):  # noqa: S608
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()
