"""Anonymity by design, one response per code under concurrency, and hostile input."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from survey_app.extensions import db
from survey_app.models import Answer, Draft, Response
from tests.conftest import make_app
from tests.survey_helpers import (
    answer_all,
    csrf,
    open_round,
    start_by_code,
    start_by_link,
    submit_review,
)

USER_AGENT = "Mozilla/5.0 (TestPhone; Fingerprint 4711)"
IDENTIFYING_COLUMN = re.compile(r"user|ip|addr|agent|referr|code|token|key|time|created|updated")


def _responses(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def _all_rows_as_text(app: Flask, skip: set[str]) -> str:
    with app.app_context():
        chunks = []
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in db.session.execute(table.select()):
                chunks.append(" ".join(str(value) for value in row))
        return "\n".join(chunks)


def test_response_tables_hold_no_identifying_columns(app: Flask) -> None:
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("responses", "answers"):
            columns = [column["name"] for column in inspector.get_columns(table)]
            identifying = [name for name in columns if IDENTIFYING_COLUMN.search(name)]
            assert identifying == [], f"{table} has {identifying}"
            types = {column["name"]: str(column["type"]) for column in inspector.get_columns(table)}
            assert not any("TIME" in kind.upper() for kind in types.values()), types


def test_database_after_submission_holds_no_identifying_value(app: Flask) -> None:
    opened = open_round(app, ["consensus"], codes=1)
    client = app.test_client()
    client.environ_base.update(
        {
            "REMOTE_ADDR": "198.51.100.23",
            "HTTP_USER_AGENT": USER_AGENT,
            "HTTP_REFERER": "https://intranet.example/meeting-notes",
        }
    )
    review = answer_all(client, start_by_code(client, opened.codes[0]))
    assert submit_review(client, review).status_code == 302
    everything = _all_rows_as_text(app, skip=set())
    assert "198.51.100.23" not in everything
    assert "Fingerprint 4711" not in everything
    assert "intranet.example" not in everything
    # The code appears only in the code table, which cannot be joined to a response.
    assert opened.codes[0] not in _all_rows_as_text(app, skip={"invitation_codes"})
    with app.app_context():
        code_columns = {c["name"] for c in inspect(db.engine).get_columns("invitation_codes")}
        assert code_columns == {"id", "round_id", "code", "used"}
        response = db.session.scalars(select(Response)).one()
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", response.id)


def test_response_ids_do_not_follow_insert_order(app: Flask) -> None:
    opened = open_round(app, ["consensus"], codes=0)
    for _ in range(6):
        client = app.test_client()
        assert submit_review(client, answer_all(client, start_by_link(client, opened.token)))
    with app.app_context():
        ids = list(db.session.scalars(select(Response.id)))
        assert len(set(ids)) == 6
        # Answers have a natural key: no sequence column reveals the order of responses.
        columns = inspect(db.session.connection()).get_columns("answers")
        assert "id" not in {column["name"] for column in columns}
        id_column = next(
            c
            for c in inspect(db.session.connection()).get_columns("responses")
            if c["name"] == "id"
        )
        assert "INT" not in str(id_column["type"]).upper()
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", value) for value in ids)


def test_tokens_and_codes_never_reach_the_log(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    opened = open_round(app, ["consensus"], codes=1)
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    submit_review(client, answer_all(client, start_by_link(client, opened.token)))
    other = app.test_client()
    submit_review(other, answer_all(other, start_by_code(other, opened.codes[0])))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert opened.token not in logged
    assert opened.codes[0] not in logged


def test_survey_pages_load_nothing_from_third_parties(app: Flask) -> None:
    opened = open_round(app, ["resources"], codes=0)
    client = app.test_client()
    pages = [client.get(f"/s/{opened.token}").get_data(True), client.get("/code").get_data(True)]
    url = start_by_link(client, opened.token)
    pages.append(client.get(url).get_data(True))
    for html in pages:
        assert "<script" not in html
        assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_twenty_parallel_submissions_with_one_code_store_one(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path / "instance")
    try:
        opened = open_round(app, ["consensus"], codes=1)
        clients = [app.test_client() for _ in range(20)]
        reviews = []
        for client in clients:
            reviews.append(answer_all(client, start_by_code(client, opened.codes[0])))
        pages = [
            client.get(review).get_data(True)
            for client, review in zip(clients, reviews, strict=True)
        ]
        barrier = threading.Barrier(len(clients))
        statuses: list[int] = []

        def submit(client, html: str) -> None:  # noqa: ANN001
            key = html.split('name="submission_key" value="')[1].split('"')[0]
            barrier.wait()
            response = client.post(
                f"/r/{opened.round_id}/submit",
                data={"csrf_token": csrf(html), "submission_key": key},
            )
            statuses.append(response.status_code)

        threads = [
            threading.Thread(target=submit, args=pair) for pair in zip(clients, pages, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(statuses) == 20
        assert all(status < 500 for status in statuses), statuses
        assert _responses(app) == 1
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
    finally:
        with app.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.engine.dispose()


def test_submissions_are_rate_limited_per_address(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path / "instance", SUBMIT_LIMIT_PER_IP="2 per minute")
    try:
        opened = open_round(app, ["consensus"], codes=0)
        statuses = []
        for _ in range(3):
            client = app.test_client()
            statuses.append(
                submit_review(
                    client, answer_all(client, start_by_link(client, opened.token))
                ).status_code
            )
        assert statuses == [302, 302, 429]
        assert _responses(app) == 2
    finally:
        with app.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()


def test_code_guessing_is_rate_limited(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path / "instance", CODE_LIMIT_PER_IP="3 per minute")
    client = app.test_client()
    statuses = []
    for guess in range(4):
        page = client.get("/code").get_data(True)
        statuses.append(
            client.post(
                "/code", data={"code": f"AAAA-BBBB-{guess}C", "csrf_token": csrf(page)}
            ).status_code
        )
    assert statuses == [200, 200, 200, 429]


field_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["1", "5", "6", "0", "-1", "dk", "4.5", "1e9", "", " ", "ø", "\u202e"]),
    st.lists(st.sampled_from(["1", "2", "dk", "x"]), min_size=2, max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fields=st.dictionaries(
        st.one_of(
            st.sampled_from(["q_", "action", "switch_language", "submission_key"]),
            st.text(min_size=1, max_size=20),
        ),
        field_values,
        max_size=8,
    ),
    target=st.sampled_from(["page", "submit", "code", "start"]),
)
def test_fuzzed_posts_never_give_5xx(fuzz_app: tuple[Flask, object], fields, target) -> None:
    app, opened = fuzz_app
    client = app.test_client()
    first = start_by_link(client, opened.token)
    token = csrf(client.get(first).get_data(True))
    url = {
        "page": first,
        "submit": f"/r/{opened.round_id}/submit",
        "code": "/code",
        "start": f"/s/{opened.token}/start",
    }[target]
    data = {key: value for key, value in fields.items()}
    data.setdefault("csrf_token", token)
    response = client.post(url, data=data)
    assert response.status_code < 500


@pytest.fixture(scope="module")
def fuzz_app(database_url: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    app = make_app(
        database_url,
        tmp_path_factory.mktemp("fuzz"),
        SUBMIT_LIMIT_PER_IP="100000 per minute",
        CODE_LIMIT_PER_IP="100000 per minute",
    )
    opened = open_round(app, ["resources", "consensus"], codes=2)
    yield app, opened
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


def test_answers_table_has_natural_key(app: Flask) -> None:
    with app.app_context():
        keys = inspect(db.engine).get_pk_constraint("answers")["constrained_columns"]
        assert sorted(keys) == ["instrument_id", "item_id", "response_id"]
    assert Answer.__table__.c.response_id.primary_key
