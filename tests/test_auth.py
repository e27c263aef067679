"""Login, logout, session invalidation, first-run setup and the login rate limits."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Role, User
from survey_app.services import accounts
from tests.conftest import TEST_PASSWORD, login, make_app, post_form


def test_login_success_redirects_to_start_page(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    response = login(client, "Anna@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    start = client.get("/", follow_redirects=True)
    assert start.status_code == 200
    body = start.get_data(as_text=True)
    assert "Dine initiativer" in body and "anna@example.org" in body


def test_login_failure_shows_error_and_stays_logged_out(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    response = login(client, "anna@example.org", "wrong password here")
    assert response.status_code == 200
    assert "Forkert e-mail eller adgangskode." in response.get_data(as_text=True)
    assert client.get("/initiatives").status_code == 302


def test_unknown_account_gets_the_same_message(client: FlaskClient) -> None:
    response = login(client, "nobody@example.org", "whatever password")
    assert "Forkert e-mail eller adgangskode." in response.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(app: Flask, client: FlaskClient, make_user) -> None:
    user_id = make_user("off@example.org")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = login(client, "off@example.org")
    assert response.status_code == 200
    assert client.get("/initiatives").status_code == 302


def test_password_is_hashed_with_argon2id(app: Flask, make_user) -> None:
    user_id = make_user("hash@example.org")
    with app.app_context():
        password_hash = db.session.get(User, user_id).password_hash
    assert password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in password_hash


def test_old_session_cookie_is_refused_after_logout(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    login(client, "anna@example.org")
    stolen_cookie = client.get_cookie("session")
    assert stolen_cookie is not None
    page = client.get("/initiatives")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = client.application.test_client()
    replay.set_cookie("session", stolen_cookie.value, domain="localhost")
    response = replay.get("/initiatives")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app: Flask, make_user) -> None:
    make_user("anna@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "anna@example.org")
    login(phone, "anna@example.org")
    new_password = "a brand new password 42"
    response = post_form(
        laptop,
        "/account/password",
        {"current": TEST_PASSWORD, "password": new_password, "confirm": new_password},
    )
    assert response.status_code == 302
    assert laptop.get("/initiatives").status_code == 200
    assert phone.get("/initiatives").status_code == 302
    with app.app_context():
        assert accounts.authenticate("anna@example.org", new_password) is not None


def test_logout_needs_post(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    login(client, "anna@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/initiatives").status_code == 200


def test_post_without_csrf_token_is_rejected(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    response = client.post("/login", data={"email": "anna@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/initiatives").status_code == 302


def test_post_with_foreign_csrf_token_is_rejected(app: Flask, make_user) -> None:
    make_user("anna@example.org")
    other = app.test_client()
    foreign = other.get("/login").get_data(as_text=True)
    token = foreign.split('name="csrf_token" value="')[1].split('"')[0]
    victim = app.test_client()
    victim.get("/login")
    response = victim.post(
        "/login", data={"email": "anna@example.org", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400


class TestFirstRunSetup:
    def test_setup_token_creates_first_admin_once(self, app: Flask, client: FlaskClient) -> None:
        token = accounts.ensure_setup_token(app.instance_path)
        url = f"/setup/{token}"
        assert client.get(url).status_code == 200
        form = {
            "name": "Første Admin",
            "email": "admin@example.org",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        }
        response = post_form(client, url, form)
        assert response.status_code == 302
        with app.app_context():
            admin = db.session.scalars(db.select(User)).one()
            assert admin.role is Role.ADMIN and admin.email == "admin@example.org"
        assert app.test_client().get(url).status_code == 404

    def test_wrong_token_is_404(self, app: Flask, client: FlaskClient) -> None:
        accounts.ensure_setup_token(app.instance_path)
        assert client.get("/setup/not-the-token").status_code == 404

    def test_no_setup_once_a_user_exists(self, app: Flask, client: FlaskClient, make_user) -> None:
        token = accounts.ensure_setup_token(app.instance_path)
        make_user("someone@example.org")
        assert client.get(f"/setup/{token}").status_code == 404


def _create_account(app: Flask, email: str) -> None:
    with app.app_context():
        accounts.create_user(email, TEST_PASSWORD)
        db.session.commit()


def _delete_accounts(app: Flask) -> None:
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()


class TestLoginRateLimits:
    def test_per_account_limit_gives_429(self, database_url: str, tmp_path, make_user) -> None:
        app = make_app(
            database_url,
            tmp_path / "rl",
            LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
            LOGIN_LIMIT_PER_IP="100 per hour",
        )
        _create_account(app, "target@example.org")
        statuses = []
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
            attacker = app.test_client()
            attacker.environ_base["REMOTE_ADDR"] = address
            statuses.append(login(attacker, "target@example.org", "bad guess 123").status_code)
        assert statuses == [200, 200, 200, 429]
        # The right password is refused too while the account is limited.
        refused = login(app.test_client(), "target@example.org")
        assert refused.status_code == 429
        assert "For mange forsøg" in refused.get_data(as_text=True)
        _delete_accounts(app)

    def test_per_ip_limit_gives_429(self, database_url: str, tmp_path) -> None:
        app = make_app(
            database_url,
            tmp_path / "rl",
            LOGIN_LIMIT_PER_IP="2 per hour",
            LOGIN_LIMIT_PER_ACCOUNT="100 per hour",
        )
        client = app.test_client()
        codes = [login(client, f"user{i}@example.org", "bad").status_code for i in range(3)]
        assert codes == [200, 200, 429]

    def test_successful_logins_do_not_count(self, database_url: str, tmp_path) -> None:
        app = make_app(
            database_url,
            tmp_path / "rl",
            LOGIN_LIMIT_PER_ACCOUNT="2 per hour",
        )
        _create_account(app, "fine@example.org")
        for _ in range(4):
            assert login(app.test_client(), "fine@example.org").status_code == 302
        _delete_accounts(app)


@pytest.mark.parametrize(
    "hostile_next",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example/../",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "///evil.example",
        "evil.example",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_hostile_next_never_leaves_the_site(
    client: FlaskClient, make_user, hostile_next: str
) -> None:
    make_user("anna@example.org")
    page = client.get("/login", query_string={"next": hostile_next})
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        query_string={"next": hostile_next},
        data={"email": "anna@example.org", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    # Resolve the redirect the way a browser would (backslashes count as slashes).
    resolved = urlsplit(urljoin("http://localhost/login", location.replace("\\", "/")))
    assert resolved.scheme == "http"
    assert resolved.netloc == "localhost"
    assert location == "/" or location.startswith("/%2F%2Fevil.example")


def test_safe_next_is_followed(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    page = client.get("/login?next=/account/password")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login?next=/account/password",
        data={"email": "anna@example.org", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account/password"
