"""Accounts in the browser: one-time password links, deactivation, the account list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import PasswordLink, Role, User, utcnow
from survey_app.services import account_admin
from tests.conftest import TEST_PASSWORD, csrf_token_from, login
from tests.workspace_helpers import facilitator_client, make_workspace

NEW_PASSWORD = "a brand new long password"
LINK = re.compile(r'href="(http[^"]*/password/([A-Za-z0-9_-]+))"')


def _admin(app: Flask) -> FlaskClient:
    return facilitator_client(app, "admin@example.org", role=Role.ADMIN)


def _create_account(admin: FlaskClient, email: str = "new@example.org") -> tuple[str, str]:
    """Create an account through the page; returns (link, token) shown to the admin."""
    page = admin.get("/admin/accounts").get_data(True)
    response = admin.post(
        "/admin/accounts",
        data={
            "csrf_token": csrf_token_from(page),
            "email": email,
            "name": "Ny",
            "role": "facilitator",
        },
    )
    assert response.status_code == 200, response.get_data(True)[:500]
    match = LINK.search(response.get_data(True))
    assert match, "the one-time link is not shown"
    return match.group(1), match.group(2)


def _set_password(client: FlaskClient, token: str, password: str = NEW_PASSWORD):  # noqa: ANN202
    page = client.get(f"/password/{token}")
    if page.status_code != 200:
        return page
    return client.post(
        f"/password/{token}",
        data={
            "csrf_token": csrf_token_from(page.get_data(True)),
            "password": password,
            "confirm": password,
        },
    )


def test_one_time_link_sets_the_password_once(app: Flask) -> None:
    admin = _admin(app)
    link, token = _create_account(admin)
    assert link.startswith("http://localhost/password/")
    with app.app_context():
        stored = db.session.scalars(select(PasswordLink.token_hash)).all()
    assert token not in stored and account_admin.token_hash(token) in stored

    visitor = app.test_client()
    assert login(visitor, "new@example.org", NEW_PASSWORD).status_code == 200  # no password yet
    response = _set_password(visitor, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert login(visitor, "new@example.org", NEW_PASSWORD).status_code == 302

    again = _set_password(app.test_client(), token, "another long password here")
    assert again.status_code == 410
    assert (
        login(app.test_client(), "new@example.org", "another long password here").status_code == 200
    )


def test_expired_link_does_not_work(app: Flask) -> None:
    _link, token = _create_account(_admin(app))
    with app.app_context():
        db.session.execute(update(PasswordLink).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert _set_password(app.test_client(), token).status_code == 410


def test_link_lifetime_comes_from_the_configuration(app: Flask) -> None:
    app.config["SET_PASSWORD_LINK_HOURS"] = 5
    _create_account(_admin(app))
    with app.app_context():
        link = db.session.scalars(select(PasswordLink)).one()
        lifetime = account_admin._aware(link.expires_at) - account_admin._aware(link.created_at)
    assert timedelta(hours=4, minutes=59) < lifetime <= timedelta(hours=5)


def test_a_new_link_cancels_the_old_one(app: Flask) -> None:
    admin = _admin(app)
    _link, first = _create_account(admin)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "new@example.org"))
    page = admin.get("/admin/accounts").get_data(True)
    reset = admin.post(
        f"/admin/accounts/{user_id}/reset", data={"csrf_token": csrf_token_from(page)}
    )
    second = LINK.search(reset.get_data(True)).group(2)
    assert second != first
    assert _set_password(app.test_client(), first).status_code == 410
    assert _set_password(app.test_client(), second).status_code == 302


def test_reset_link_ends_the_sessions_of_the_old_password(app: Flask) -> None:
    facilitator = facilitator_client(app, "fac@example.org")
    admin = _admin(app)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "fac@example.org"))
    page = admin.get("/admin/accounts").get_data(True)
    reset = admin.post(
        f"/admin/accounts/{user_id}/reset", data={"csrf_token": csrf_token_from(page)}
    )
    token = LINK.search(reset.get_data(True)).group(2)
    assert facilitator.get("/initiatives").status_code == 200  # a link alone changes nothing
    assert _set_password(app.test_client(), token).status_code == 302
    assert facilitator.get("/initiatives").status_code == 302
    assert login(app.test_client(), "fac@example.org", TEST_PASSWORD).status_code == 200


def test_deactivated_facilitator_cannot_log_in_and_their_session_ends(app: Flask) -> None:
    facilitator = facilitator_client(app, "fac@example.org")
    assert facilitator.get("/initiatives").status_code == 200
    admin = _admin(app)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "fac@example.org"))
    page = admin.get("/admin/accounts").get_data(True)
    token = csrf_token_from(page)
    assert (
        admin.post(f"/admin/accounts/{user_id}/deactivate", data={"csrf_token": token}).status_code
        == 302
    )

    assert facilitator.get("/initiatives").status_code == 302
    assert login(app.test_client(), "fac@example.org").status_code == 200  # refused
    with app.app_context():
        assert db.session.get(User, user_id).active is False

    admin.post(f"/admin/accounts/{user_id}/reactivate", data={"csrf_token": token})
    assert login(app.test_client(), "fac@example.org").status_code == 302


def test_deactivation_cancels_outstanding_links(app: Flask) -> None:
    admin = _admin(app)
    _link, token = _create_account(admin)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "new@example.org"))
    page = admin.get("/admin/accounts").get_data(True)
    admin.post(f"/admin/accounts/{user_id}/deactivate", data={"csrf_token": csrf_token_from(page)})
    assert _set_password(app.test_client(), token).status_code == 410


def test_admin_cannot_deactivate_themselves(app: Flask) -> None:
    admin = _admin(app)
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@example.org"))
    page = admin.get("/admin/accounts").get_data(True)
    admin.post(f"/admin/accounts/{admin_id}/deactivate", data={"csrf_token": csrf_token_from(page)})
    assert admin.get("/admin/accounts").status_code == 200
    with app.app_context():
        assert db.session.get(User, admin_id).active is True


def test_the_last_active_admin_cannot_be_deactivated(app: Flask) -> None:
    with app.app_context():
        only = account_admin.create_account("only@example.org", role=Role.ADMIN)
        other = account_admin.create_account("other@example.org", role=Role.ADMIN)
        account_admin.deactivate(other, by=only)
        with pytest.raises(account_admin.AccountError):
            account_admin.deactivate(only, by=other)
        db.session.rollback()


def test_account_list_shows_role_initiatives_and_last_login(app: Flask) -> None:
    make_workspace(app, responses=(), instruments=["consensus"])
    owner = app.test_client()
    login(owner, "owner@example.org")
    admin = _admin(app)
    with admin.session_transaction() as session:
        session["language"] = "en"
    page = admin.get("/admin/accounts").get_data(True)
    row = page[page.index("owner@example.org") :]
    row = row[: row.index("</tr>")]
    assert "Tryg i Nordby (owner)" in row and "Facilitator" in row
    with app.app_context():
        last = db.session.scalar(
            select(User.last_login_on).where(User.email == "owner@example.org")
        )
    assert last is not None and str(last) in row


def test_facilitators_and_visitors_cannot_manage_accounts(app: Flask) -> None:
    facilitator = facilitator_client(app, "fac@example.org")
    token = csrf_token_from(facilitator.get("/initiatives").get_data(True))
    assert facilitator.get("/admin/accounts").status_code == 403
    assert facilitator.get("/admin/audit").status_code == 403
    for url in ("/admin/accounts", "/admin/accounts/1/deactivate", "/admin/accounts/1/reset"):
        assert (
            facilitator.post(url, data={"csrf_token": token, "email": "x@example.org"}).status_code
            == 403
        )
    visitor = app.test_client()
    response = visitor.get("/admin/accounts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "x@example.org")) is None


def test_link_is_emailed_when_smtp_is_configured(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[object] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            self.host = host

        def starttls(self, context: object) -> None:
            pass

        def login(self, user: str, password: str) -> None:
            pass

        def send_message(self, message: object) -> None:
            sent.append(message)

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_FROM="noreply@example.org")
    admin = _admin(app)
    page = admin.get("/admin/accounts").get_data(True)
    response = admin.post(
        "/admin/accounts",
        data={
            "csrf_token": csrf_token_from(page),
            "email": "mailed@example.org",
            "role": "facilitator",
        },
    )
    assert response.status_code == 302  # the link is not shown on screen
    assert len(sent) == 1
    message = sent[0]
    assert message["To"] == "mailed@example.org"
    token = re.search(r"/password/([A-Za-z0-9_-]+)", message.get_content()).group(1)
    assert _set_password(app.test_client(), token).status_code == 302


def test_failed_mail_shows_the_link_instead(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr("smtplib.SMTP", refuse)
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_FROM="noreply@example.org")
    _link, token = _create_account(_admin(app))
    assert _set_password(app.test_client(), token).status_code == 302
