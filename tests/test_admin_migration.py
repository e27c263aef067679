"""Migration 0005 adds its tables and columns without touching existing rows."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from survey_app.extensions import db
from tests.conftest import make_app
from tests.test_migrations import empty_database_url  # noqa: F401  (the fixture)

ROWS = (
    "INSERT INTO initiatives (id, name, description, language, min_group_size, created_at) "
    "VALUES (1, 'Tryg', '', 'da', 5, CURRENT_TIMESTAMP)",
    "INSERT INTO rounds (id, initiative_id, name, status, link_token, created_at, link_enabled) "
    "VALUES (1, 1, 'Forår', 'closed', 'tok', CURRENT_TIMESTAMP, TRUE)",
    "INSERT INTO responses (id, round_id, submitted_on) VALUES ('r1', 1, CURRENT_DATE)",
    "INSERT INTO answers (response_id, instrument_id, item_id, value, dont_know) "
    "VALUES ('r1', 'consensus', 'q1', 4, FALSE)",
)


def _count(table: str) -> int:
    return int(db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0)  # noqa: S608


def test_upgrade_to_0005_keeps_existing_rows(empty_database_url: str, tmp_path: Path) -> None:  # noqa: F811
    app = make_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0004")
        for statement in ROWS:
            db.session.execute(text(statement))
        db.session.commit()
        upgrade(revision="0005")
        assert [_count(t) for t in ("initiatives", "rounds", "responses", "answers")] == [
            1,
            1,
            1,
            1,
        ]
        revision, months = db.session.execute(
            text(
                "SELECT r.results_revision, i.retention_months FROM rounds r "
                "JOIN initiatives i ON i.id = r.initiative_id"
            )
        ).one()
        assert (revision, months) == (0, None)
        assert _count("audit_entries") == 0
        db.session.commit()
        downgrade(revision="0004")
        assert [_count(t) for t in ("initiatives", "rounds", "responses", "answers")] == [
            1,
            1,
            1,
            1,
        ]
        db.session.commit()
        db.engine.dispose()
