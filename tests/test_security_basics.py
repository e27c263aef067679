"""Security headers, cookie flags, error pages and configuration safety."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app import create_app
from survey_app.config import ConfigError
from tests.conftest import login


def _assert_security_headers(response) -> None:  # noqa: ANN001
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/login", "/static/style.css"])
def test_headers_on_normal_responses(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    _assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [("get", "/no-such-page", 404), ("get", "/logout", 405), ("post", "/login", 400)],
)
def test_headers_on_error_pages(client: FlaskClient, method: str, path: str, code: int) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == code
    _assert_security_headers(response)
    assert '<html lang="da">' in response.get_data(as_text=True)


def test_error_page_in_english_after_language_switch(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/language", data={"language": "en", "csrf_token": token, "next": "/login"})
    response = client.get("/missing")
    body = response.get_data(as_text=True)
    assert "The page was not found" in body and '<html lang="en">' in body


def test_no_inline_script_or_third_party_resources(client: FlaskClient) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert "<script" not in body
    assert "http://" not in body and "https://" not in body


def test_413_for_oversized_body(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    _assert_security_headers(response)


def test_session_cookie_flags_in_production(tmp_path: Path, database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path / "i")}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_session_cookie_flags_after_login(client: FlaskClient, make_user) -> None:
    make_user("anna@example.org")
    response = login(client, "anna@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path / "i")})


def test_development_generates_and_keeps_a_secret(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    first = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": url})
    second = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": url})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "i" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a\x00@example.org", "password": "x"}),
        ("/code", {"code": "AAAA\x00"}),
        ("/r/1/submit", {"submission_key": "\x00"}),
        ("/r/1/submit", {"submission_key": ["fine", "\x00"]}),
    ],
)
def test_nul_bytes_are_refused_everywhere(client: FlaskClient, path: str, data: dict) -> None:
    assert client.post(path, data=data).status_code == 400
    assert client.get("/login", query_string={"next": "/\x00"}).status_code == 400
