"""Helpers for the administration and data-protection tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, func, insert, inspect, select, text

from survey_app.extensions import db
from survey_app.models import Answer, AuditEntry, Response, Round
from survey_app.services.storage import sqlite_file
from tests.conftest import csrf_token_from

COMMENT_INSTRUMENT = "consensus"
COMMENT_ITEM = "consensus_comment"


def add_comments(app: Flask, round_id: int, texts: Iterable[str]) -> None:
    """Give responses of a round without a comment yet a free-text comment each."""
    with app.app_context():
        commented = select(Answer.response_id).where(Answer.item_id == COMMENT_ITEM)
        response_ids = db.session.scalars(
            select(Response.id)
            .where(Response.round_id == round_id, Response.id.not_in(commented))
            .order_by(Response.id)
        ).all()
        rows = [
            {
                "response_id": response_id,
                "instrument_id": COMMENT_INSTRUMENT,
                "item_id": COMMENT_ITEM,
                "value": None,
                "dont_know": False,
                "text": comment,
            }
            for response_id, comment in zip(response_ids, texts, strict=False)
        ]
        db.session.execute(insert(Answer.__table__), rows)
        db.session.commit()


def post_with_token(client: FlaskClient, page_url: str, post_url: str, **data: object):  # noqa: ANN201
    """GET a page for its CSRF token, then POST to another address like the page's form."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(post_url, data={**data, "csrf_token": token})


def audit_count(app: Flask) -> int:
    """Number of audit entries."""
    with app.app_context():
        return int(db.session.scalar(select(func.count(AuditEntry.id))) or 0)


def audit_entries_since(app: Flask, after_id: int) -> list[AuditEntry]:
    """Audit entries newer than `after_id`, oldest first (detached, attributes loaded)."""
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
        ).all()
        db.session.expunge_all()
        return list(entries)


def last_audit_id(app: Flask) -> int:
    """Id of the newest audit entry (0 when there is none)."""
    with app.app_context():
        return int(db.session.scalar(select(func.max(AuditEntry.id))) or 0)


def database_dump(app: Flask) -> str:
    """Every row of every table in the database (not only the models') as text."""
    with app.app_context():
        names = inspect(db.session.connection()).get_table_names()
        lines = []
        for name in sorted(names):
            for row in db.session.execute(text(f'SELECT * FROM "{name}"')):  # noqa: S608
                lines.append(f"{name}: {tuple(row)!r}")
        return "\n".join(lines)


def database_file_bytes(app: Flask) -> bytes | None:
    """The raw bytes of an SQLite database and its write-ahead log; None on PostgreSQL."""
    with app.app_context():
        path = sqlite_file(str(db.engine.url))
    if path is None:
        return None
    parts = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def _referring_keys(table: Table, ids: set[object], column: str) -> dict[str, set[object]]:
    """Primary keys of every row that refers, directly or through others, to the given rows."""
    found: dict[str, set[object]] = {}
    for referring in db.metadata.sorted_tables:
        for foreign_key in referring.foreign_keys:
            if foreign_key.column.table is not table or foreign_key.column.name != column:
                continue
            rows = db.session.execute(
                select(referring).where(foreign_key.parent.in_(list(ids)))
            ).all()
            if not rows:
                continue
            primary = list(referring.primary_key.columns)
            keys = {tuple(getattr(row, c.name) for c in primary) for row in rows}
            found.setdefault(referring.name, set()).update(keys)
            if len(primary) == 1:
                nested = _referring_keys(referring, {k[0] for k in keys}, primary[0].name)
                for name, more in nested.items():
                    found.setdefault(name, set()).update(more)
    return found


def references_to(app: Flask, table_name: str, ids: Iterable[int]) -> dict[str, int]:
    """Rows in any table that refer to the given rows of `table_name`.

    Follows every foreign key in the metadata, transitively (responses → answers, codes →
    drafts, …), and also counts any column named `round_id` / `initiative_id` holding one of
    the ids, in every table of the database, foreign key or not.
    """
    wanted = set(ids)
    with app.app_context():
        table = db.metadata.tables[table_name]
        counts = {name: len(keys) for name, keys in _referring_keys(table, wanted, "id").items()}
        column = {"rounds": "round_id", "initiatives": "initiative_id"}[table_name]
        inspector = inspect(db.session.connection())
        for name in inspector.get_table_names():
            columns = {c["name"] for c in inspector.get_columns(name)}
            if column in columns:
                query = text(f'SELECT COUNT(*) FROM "{name}" WHERE "{column}" IN :ids')  # noqa: S608
                query = query.bindparams(db.bindparam("ids", expanding=True))
                found = int(db.session.scalar(query, {"ids": list(wanted)}) or 0)
                if found:
                    counts[f"{name}.{column}"] = found
        return {name: count for name, count in counts.items() if count}


def round_exists(app: Flask, round_id: int) -> bool:
    """Whether the round is still there."""
    with app.app_context():
        return db.session.get(Round, round_id) is not None


def partner_submits(client: FlaskClient, first_url: str, comment: str = "") -> None:
    """Answer every scale item with 4, write `comment` where the comment item is, and send."""
    from tests.survey_helpers import post_page, scale_items, submit_review

    url = first_url
    while "/page/" in url:
        html = client.get(url).get_data(True)
        answers: dict[str, str | list[str]] = {name: "4" for name in scale_items(html)}
        if comment and f'name="q_{COMMENT_ITEM}"' in html:
            answers[COMMENT_ITEM] = comment
        response = post_page(client, url, answers)
        assert response.status_code == 302, response.get_data(True)[:500]
        url = response.headers["Location"]
    assert submit_review(client, url).status_code == 302
