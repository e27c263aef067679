"""Database engine tuning: SQLite for several server processes, safe engines across fork."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
_engines_to_reset: list[Engine] = []
# Reads (GET requests) begin deferred so they never wait for a writer's lock; everything
# else, CLI commands included, begins IMMEDIATE.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Set the pragmas a multi-process SQLite server needs on every new connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite's own implicit BEGIN would start a deferred transaction that can fail with
    # "database is locked" on its first write; we issue BEGIN IMMEDIATE ourselves instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    # Deleted and overwritten content (redacted comments, deleted rounds) is zeroed on
    # disk instead of lingering in free space.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock at the start of a write transaction, so writers queue up."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def set_write_intent(writes: bool) -> Token[bool]:
    """Declare whether the transactions of the current request may write."""
    return _write_intent.set(writes)


def reset_write_intent(token: Token[bool]) -> None:
    """Restore the intent in force before the request (so it cannot leak to later work)."""
    _write_intent.reset(token)


@contextmanager
def write_intent() -> Iterator[None]:
    """Let a read-only request open a writing transaction (e.g. to fill a cache)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def reset_after_fork(engine: Engine) -> None:
    """Make a forked worker open its own connections instead of sharing the parent's."""
    if not _engines_to_reset:
        os.register_at_fork(after_in_child=_dispose_all)
    _engines_to_reset.append(engine)


def _dispose_all() -> None:
    for engine in _engines_to_reset:
        engine.dispose(close=False)
