"""Alembic migrations create exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from survey_app.extensions import db
from tests.conftest import make_app


@pytest.fixture()
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database of the kind the suite runs on."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"migr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_head_gives_exactly_the_models_schema(empty_database_url: str, tmp_path) -> None:
    app = make_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables
        db.engine.dispose()


def test_migrated_keys_and_partial_indexes_match_the_models(
    empty_database_url: str, tmp_path
) -> None:
    """Autogenerate compares neither primary keys nor index predicates; this does."""
    app = make_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            migrated = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert migrated == [column.name for column in table.primary_key.columns], table.name
        dialect = db.engine.dialect.name
        draft_indexes = inspector.get_indexes("drafts")
        (code_index,) = [index for index in draft_indexes if index["name"] == "uq_drafts_code_id"]
        predicate = code_index["dialect_options"][f"{dialect}_where"]
        assert "code_id IS NOT NULL" in str(predicate)
        assert code_index["unique"]
        assert not any(index["column_names"] == ["round_id"] for index in draft_indexes)
        db.engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_database_url: str, tmp_path) -> None:
    app = make_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_sqlite_connections_are_tuned_for_several_processes(tmp_path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'tuned.db'}", tmp_path / "instance")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        db.engine.dispose()


def test_write_transactions_take_the_sqlite_write_lock_at_begin(tmp_path) -> None:
    import sqlite3

    path = tmp_path / "lock.db"
    app = make_app(f"sqlite:///{path}", tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))  # a transaction has begun, nothing written
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
            connection.rollback()
        db.engine.dispose()


def test_upgrading_keeps_existing_answers(empty_database_url: str, tmp_path) -> None:
    """Batch migrations copy tables on SQLite; dropping the old copy must not cascade."""
    app = make_app(empty_database_url, tmp_path / "instance")
    tables = ("rounds", "responses", "answers", "drafts", "submission_keys")
    with app.app_context():
        upgrade(revision="0003")
        for statement in (
            "INSERT INTO initiatives (name, description, language, min_group_size, created_at)"
            " VALUES ('I', '', 'da', 5, '2026-01-01')",
            "INSERT INTO rounds (initiative_id, name, status, link_token, created_at, link_enabled)"
            " SELECT id, 'R', 'open', 'token', '2026-01-01', true FROM initiatives",
            "INSERT INTO responses (id, round_id, submitted_on)"
            " SELECT 'response-1', id, '2026-01-01' FROM rounds",
            "INSERT INTO answers (response_id, instrument_id, item_id, value, dont_know)"
            " VALUES ('response-1', 'consensus', 'problem_1', 4, false)",
            "INSERT INTO drafts (id, round_id, answers_json, updated_on)"
            " SELECT 'draft-1', id, '{}', '2026-01-01' FROM rounds",
            "INSERT INTO submission_keys (key, round_id) SELECT 'key-1', id FROM rounds",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        counts = [db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables]  # noqa: S608
        db.session.commit()
        assert counts == [1, 1, 1, 1, 1]
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()
