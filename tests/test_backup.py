"""`survey-app backup` while partners submit, and `survey-app restore`, on SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from survey_app.extensions import db
from survey_app.models import Round
from survey_app.services import storage
from survey_app.services.definitions import round_definitions
from tests.conftest import make_app
from tests.workspace_helpers import add_responses, make_workspace

WRITES_BEFORE_BACKUP = 5
WRITES_AFTER_BACKUP = 5
TIMEOUT_S = 60


@pytest.fixture()
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite file, whatever database the suite runs on."""
    app = make_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "instance")
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


class Writer(threading.Thread):
    """Stores one response after another, each in its own transaction, until stopped."""

    def __init__(self, app: Flask, round_id: int) -> None:
        super().__init__(daemon=True)
        self.app, self.round_id = app, round_id
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                round_ = db.session.get(Round, self.round_id)
                while not self.stop.is_set():
                    add_responses(round_, 1, seed=self.written)
                    db.session.commit()
                    self.written += 1
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            self.error = error

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while self.written < count and self.error is None:
            assert time.monotonic() < deadline, "the writer got stuck"
            time.sleep(0.01)
        assert self.error is None, self.error


def _answers_per_response(path: Path, round_id: int) -> list[int]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT COUNT(a.item_id) FROM responses r LEFT JOIN answers a "
            "ON a.response_id = r.id WHERE r.round_id = ? GROUP BY r.id",
            (round_id,),
        )
        return [count for (count,) in rows]
    finally:
        connection.close()


def test_backup_during_writes_then_restore_gives_the_same_rows(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    space = make_workspace(sqlite_app, responses=(3,), instruments=["consensus"])
    round_id = space.round_ids[0]
    with sqlite_app.app_context():
        items = sum(
            len(instrument.scored_items())
            for instrument in round_definitions(db.session.get(Round, round_id)).instruments
        )
    writer = Writer(sqlite_app, round_id)
    writer.start()
    try:
        writer.wait_for(WRITES_BEFORE_BACKUP)
        started_with = writer.written
        target = tmp_path / "backup.db"
        result = sqlite_app.test_cli_runner().invoke(args=["backup", "-o", str(target)])
        assert result.exit_code == 0, result.output
        writer.wait_for(writer.written + WRITES_AFTER_BACKUP)  # writers went on meanwhile
    finally:
        writer.stop.set()
        writer.join(TIMEOUT_S)
    assert writer.error is None, writer.error

    storage.check_database(target)
    counts = _answers_per_response(target, round_id)
    assert 3 + started_with <= len(counts) < 3 + writer.written
    assert set(counts) == {items}  # every response whole: one consistent snapshot
    backed_up = storage.table_checksums(target)

    live = storage.sqlite_file(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    assert storage.table_checksums(live) != backed_up  # later writes are in the live file
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert storage.table_checksums(live) == backed_up
    assert backed_up["responses"][0] == len(counts)
    with sqlite_app.app_context():
        assert len(db.session.get(Round, round_id).instruments) == 1  # the app reads it


def test_restore_asks_first(sqlite_app: Flask, tmp_path: Path) -> None:
    make_workspace(sqlite_app, responses=(3,), instruments=["consensus"])
    target = tmp_path / "backup.db"
    assert sqlite_app.test_cli_runner().invoke(args=["backup", "-o", str(target)]).exit_code == 0
    with sqlite_app.app_context():
        add_responses(db.session.scalars(db.select(Round)).first(), 2)
        db.session.commit()
    live = storage.sqlite_file(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    before = storage.table_checksums(live)
    refused = sqlite_app.test_cli_runner().invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0 and "Replace everything" in refused.output
    assert storage.table_checksums(live) == before


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_app: Flask, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0 and "not an SQLite database" in result.output
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(empty), "--yes"])
    assert result.exit_code != 0 and "not a database of this application" in result.output


def test_postgres_gets_the_documented_commands(tmp_path: Path) -> None:
    url = "postgresql+psycopg://survey:s3cret-pw@db.internal:5432/survey"
    app = make_app(url, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["backup", "-o", "/backups/survey.dump"])
    assert result.exit_code == 2
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    assert "db.internal" in result.output and "s3cret-pw" not in result.output
