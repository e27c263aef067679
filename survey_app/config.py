"""Configuration read from the environment, with safe defaults for each environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised when the app cannot start safely with the given configuration."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def environment_config(instance_path: Path) -> dict[str, Any]:
    """Build the configuration from environment variables."""
    app_env = os.environ.get("APP_ENV", "production").strip().lower()
    relaxed = app_env in {"development", "testing"}
    default_db = f"sqlite:///{instance_path / 'survey.db'}"
    return {
        "APP_ENV": app_env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "20 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "CODE_LIMIT_PER_IP": os.environ.get("CODE_LIMIT_PER_IP", "30 per minute;300 per hour"),
        "SUBMIT_LIMIT_PER_IP": os.environ.get("SUBMIT_LIMIT_PER_IP", "600 per minute"),
        "SESSION_COOKIE_SECURE": _flag("COOKIE_SECURE", not relaxed),
        "REMEMBER_COOKIE_SECURE": _flag("COOKIE_SECURE", not relaxed),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        "INSTRUMENTS_DIR": os.environ.get("INSTRUMENTS_DIR", str(PROJECT_ROOT / "instruments")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "REPORT_TIMEOUT": float(os.environ.get("REPORT_TIMEOUT", "30")),
        **_admin_config(),
    }


def _admin_config() -> dict[str, Any]:
    """Mail, one-time password links and the data controller named on the privacy page."""
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        "SET_PASSWORD_LINK_HOURS": int(os.environ.get("SET_PASSWORD_LINK_HOURS", "72")),
        "CONTROLLER_NAME": os.environ.get("CONTROLLER_NAME", ""),
        "CONTROLLER_EMAIL": os.environ.get("CONTROLLER_EMAIL", ""),
    }


BASE_CONFIG: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "da",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
    "LANGUAGES": ("da", "en"),
    "RATELIMIT_HEADERS_ENABLED": False,
    "RATELIMIT_STRATEGY": "fixed-window",
}


def resolve_secret_key(config: dict[str, Any], instance_path: Path) -> str:
    """Return a usable SECRET_KEY or refuse to start.

    Development and tests get a key generated once and kept in the instance folder,
    so sessions survive a restart; production must be given a real one.
    """
    key = str(config.get("SECRET_KEY") or "")
    if key and key.lower() not in PLACEHOLDER_SECRETS and len(key) >= MIN_SECRET_LENGTH:
        return key
    if config.get("APP_ENV") in {"development", "testing"} or config.get("TESTING"):
        return _instance_secret(instance_path)
    raise ConfigError(
        "SECRET_KEY is missing or too weak: set it to a random string of at least "
        f"{MIN_SECRET_LENGTH} characters (e.g. python -c 'import secrets; "
        "print(secrets.token_urlsafe(48))'), or set APP_ENV=development on a developer machine."
    )


def _instance_secret(instance_path: Path) -> str:
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()
