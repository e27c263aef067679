"""Shared fixtures: a real database (an SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Role
from survey_app.services import accounts

TEST_PASSWORD = "correct horse battery staple"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the suite runs on, migrated to head once per session."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = make_app(url, tmp_path_factory.mktemp("instance-migrate"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def make_app(url: str, instance_path: Path, **overrides: Any) -> Flask:
    """An app in testing mode on the given database."""
    config = {
        "TESTING": True,
        "APP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SERVER_NAME": "localhost",
        "INSTANCE_PATH": str(instance_path),
    }
    config.update(overrides)
    os.environ.setdefault("APP_ENV", "testing")
    return create_app(config)


def _empty_all_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on the migrated database, emptied after the test.

    No app context stays pushed during the test: requests made by a test client would
    reuse it and share `g` (and so the logged-in user) between clients.
    """
    application = make_app(database_url, tmp_path / "instance")
    yield application
    with application.app_context():
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a rendered form."""
    match = CSRF_PATTERN.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """GET the form page for its CSRF token, then POST the data like a browser."""
    page = client.get(url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture()
def make_user(app: Flask):  # noqa: ANN201
    """Factory creating users with the test password."""

    def _make(email: str = "fac@example.org", role: Role = Role.FACILITATOR) -> int:
        with app.app_context():
            user = accounts.create_user(email, TEST_PASSWORD, role=role)
            db.session.commit()
            return user.id

    return _make


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    """Log a user in through the real login form."""
    return post_form(client, "/login", {"email": email, "password": password})
