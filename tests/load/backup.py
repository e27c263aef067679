"""Backing up and restoring the database the way an operator would, and counting rows."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TOOL_TIMEOUT_S = 120
COPY_START = re.compile(r"^COPY public\.(\w+) \(")
SQLITE_BUSY_TIMEOUT_S = 30


def sqlite_path(database_url: str) -> Path:
    """The file behind an sqlite:/// URL."""
    return Path(make_url(database_url).database or "")


def sqlite_backup(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one consistent snapshot)."""
    source_connection = sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_S)
    target_connection = sqlite3.connect(target)
    try:
        source_connection.backup(target_connection)
    finally:
        target_connection.close()
        source_connection.close()


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per table of an SQLite file."""
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }
    finally:
        connection.close()


def sqlite_pragma(path: Path, pragma: str) -> list[str]:
    """The rows a check pragma (integrity_check, foreign_key_check) returns, as text."""
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        return [" ".join(str(v) for v in row) for row in connection.execute(f"PRAGMA {pragma}")]
    finally:
        connection.close()


def answers_per_response_sqlite(path: Path, round_id: int) -> list[int]:
    """How many answers each response of a round has, in an SQLite file."""
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        rows = connection.execute(
            "SELECT COUNT(a.item_id) FROM responses r LEFT JOIN answers a"
            " ON a.response_id = r.id WHERE r.round_id = ? GROUP BY r.id",
            (round_id,),
        )
        return [row[0] for row in rows]
    finally:
        connection.close()


def postgres_tools_missing() -> list[str]:
    """Which of pg_dump and psql are not on the PATH."""
    return [tool for tool in ("pg_dump", "psql") if shutil.which(tool) is None]


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as pg_dump and psql understand it."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def pg_dump(database_url: str, target: Path) -> None:
    """A plain-SQL dump (pg_dump takes one consistent snapshot, writers keep going)."""
    subprocess.run(  # noqa: S603 (fixed tool, loopback database)
        ["pg_dump", "--no-owner", "--no-privileges", "--file", str(target),
         "--dbname", libpq_url(database_url)],
        check=True, timeout=TOOL_TIMEOUT_S, capture_output=True,
    )  # fmt: skip


def psql_restore(database_url: str, dump: Path) -> None:
    """Load a plain dump into an empty database, stopping at the first error."""
    subprocess.run(  # noqa: S603 (fixed tool, loopback database)
        ["psql", "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--file", str(dump),
         "--dbname", libpq_url(database_url)],
        check=True, timeout=TOOL_TIMEOUT_S, capture_output=True,
    )  # fmt: skip


def dump_counts(dump: Path) -> dict[str, int]:
    """Rows per table in a plain pg_dump file (COPY blocks, one row per line)."""
    counts: dict[str, int] = {}
    table = None
    with dump.open(encoding="utf-8") as handle:
        for line in handle:
            if table is None:
                match = COPY_START.match(line)
                if match:
                    table = match.group(1)
                    counts[table] = 0
            elif line.rstrip("\n") == "\\.":
                table = None
            else:
                counts[table] += 1
    return counts


def pg_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the public schema."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            tables = connection.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
            ).all()
            return {
                table: int(connection.scalar(text(f'SELECT COUNT(*) FROM "{table}"')) or 0)  # noqa: S608
                for table in tables
            }
    finally:
        engine.dispose()
