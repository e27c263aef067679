"""A backup taken while partners submit restores to a database with the same rows."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.load.backup import (
    answers_per_response_sqlite,
    dump_counts,
    pg_counts,
    pg_dump,
    postgres_tools_missing,
    psql_restore,
    sqlite_backup,
    sqlite_counts,
    sqlite_path,
    sqlite_pragma,
)
from tests.load.crowd import (
    INSTRUMENTS,
    RUN_TIMEOUT_S,
    Prepared,
    assert_clean_log,
    prepare_by_link,
    send,
)
from tests.load.server import Server, fresh_postgres_database, scaled
from tests.survey_helpers import OpenRound, open_round

pytestmark = pytest.mark.load

STAGGER_S = 2.0  # writers start spread over this time, so the backup lands among them
FIRST_RESPONSE_TIMEOUT_S = 60


def _writer(server: Server, opened: OpenRound) -> Callable[[], Prepared]:
    """A partner who starts a little later than the others, answers and sends."""

    def run() -> Prepared:
        time.sleep(random.uniform(0, STAGGER_S))  # noqa: S311 (timing, not security)
        prepared = prepare_by_link(server, opened)
        assert send(prepared).status == 302
        return prepared

    return run


@contextmanager
def writes_in_flight(server: Server, opened: OpenRound, count: int) -> Iterator[list[Future]]:
    """Partners submitting in the background; waits for them (bounded) on leaving."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(_writer(server, opened)) for _ in range(count)]
        deadline = time.monotonic() + FIRST_RESPONSE_TIMEOUT_S
        while server.responses(opened.round_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        yield futures
        done, pending = wait(futures, timeout=RUN_TIMEOUT_S)
        assert not pending, "writers still running"
        for future in done:
            future.result()


def _expected_answers(futures: list[Future]) -> int:
    return {future.result().answered for future in futures}.pop()


def _sqlite_backup_and_restore(server: Server, folder: Path, label: str) -> dict[str, int]:
    """Back up the live file, restore the backup into a new file; both must agree."""
    backup, restored = folder / f"{label}-backup.db", folder / f"{label}-restored.db"
    sqlite_backup(sqlite_path(server.database_url), backup)
    sqlite_backup(backup, restored)
    assert sqlite_pragma(restored, "integrity_check") == ["ok"]
    assert sqlite_pragma(restored, "foreign_key_check") == []
    counts = sqlite_counts(restored)
    assert counts == sqlite_counts(backup)
    return counts


def test_sqlite_online_backup_while_writing(
    server: Server, tmp_path: Path, report: list[str]
) -> None:
    if server.backend != "sqlite":
        pytest.skip("the SQLite backup API applies to SQLite")
    opened = open_round(server.app, INSTRUMENTS, codes=0)
    offset = server.log_offset()
    with writes_in_flight(server, opened, scaled(16, 60)) as futures:
        started = time.monotonic()
        during = _sqlite_backup_and_restore(server, tmp_path, "during")
        seconds = time.monotonic() - started
    expected = _expected_answers(futures)
    after = _sqlite_backup_and_restore(server, tmp_path, "after")
    live = sqlite_counts(sqlite_path(server.database_url))
    report.append(
        f"sqlite: backup + restore of {during['answers']} answers in {seconds:.2f} s "
        f"while writing; {after['responses'] - during['responses']} responses came after it"
    )
    assert after == live
    assert during["responses"] < after["responses"], "the backup was not taken mid-flight"
    restored = tmp_path / "during-restored.db"
    assert set(answers_per_response_sqlite(restored, opened.round_id)) <= {expected}
    assert_clean_log(server, offset)


def _postgres_tools() -> None:
    missing = postgres_tools_missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"{', '.join(missing)} missing (CI is set): apt-get install postgresql-client")
    if missing:
        pytest.skip(f"{', '.join(missing)} missing")


def _answers_per_response_pg(database_url: str, round_id: int) -> set[int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(
                connection.scalars(
                    text(
                        "SELECT COUNT(a.item_id) FROM responses r LEFT JOIN answers a"
                        " ON a.response_id = r.id WHERE r.round_id = :round GROUP BY r.id"
                    ),
                    {"round": round_id},
                )
            )
    finally:
        engine.dispose()


def _pg_dump_and_restore(server: Server, folder: Path, label: str, round_id: int) -> dict[str, int]:
    """Dump the live database, restore the dump into a fresh one; both must agree."""
    dump = folder / f"{label}.sql"
    pg_dump(server.database_url, dump)
    in_dump = dump_counts(dump)
    with fresh_postgres_database(server.database_url, "restore") as restored_url:
        psql_restore(restored_url, dump)
        restored = pg_counts(restored_url)
        complete = _answers_per_response_pg(restored_url, round_id)
    assert restored == in_dump
    assert len(complete) <= 1, f"responses with differing answer counts: {complete}"
    return restored


def test_postgres_dump_while_writing(server: Server, tmp_path: Path, report: list[str]) -> None:
    if server.backend != "postgres":
        pytest.skip("pg_dump applies to PostgreSQL")
    _postgres_tools()
    opened = open_round(server.app, INSTRUMENTS, codes=0)
    offset = server.log_offset()
    with writes_in_flight(server, opened, scaled(16, 60)):
        started = time.monotonic()
        during = _pg_dump_and_restore(server, tmp_path, "during", opened.round_id)
        seconds = time.monotonic() - started
    after = _pg_dump_and_restore(server, tmp_path, "after", opened.round_id)
    report.append(
        f"postgres: pg_dump + psql restore of {during['answers']} answers in {seconds:.2f} s "
        f"while writing; {after['responses'] - during['responses']} responses came after it"
    )
    assert after == pg_counts(server.database_url)
    assert during["responses"] < after["responses"], "the dump was not taken mid-flight"
    assert_clean_log(server, offset)
