"""User accounts: creation, authentication, session invalidation, first-run setup token."""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Role, User
from survey_app.security import dummy_verify, hash_password, verify_password

SETUP_TOKEN_FILE = "setup_token"  # noqa: S105  (a file name, not a secret)


class AccountError(ValueError):
    """A user-facing problem with account data (e.g. e-mail already taken)."""


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def create_user(
    email: str, password: str, *, role: Role = Role.FACILITATOR, name: str = ""
) -> User:
    """Create and flush a user; raises AccountError when the e-mail is taken."""
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"a user with e-mail {email} exists already")
    user = User(email=email, password_hash=hash_password(password), role=role, name=name)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same timing either way)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    """Keep only the date of the last login."""
    user.last_login_on = date.today()


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued to the user so far."""
    user.session_version += 1


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end the user's other sessions."""
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def load_user_from_session_id(login_id: str) -> User | None:
    """Resolve Flask-Login's id `user:version`; a stale version gives None."""
    user_part, _, version_part = login_id.partition(":")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    user = db.session.get(User, int(user_part))
    if user is None or user.session_version != int(version_part) or not user.active:
        return None
    return user


def user_count() -> int:
    """Number of user accounts."""
    return db.session.scalar(select(func.count(User.id))) or 0


def setup_token_path(instance_path: str) -> Path:
    """Where the first-run token is kept (shared by all workers of one machine)."""
    return Path(instance_path) / SETUP_TOKEN_FILE


def ensure_setup_token(instance_path: str) -> str:
    """Return the first-run token, creating it once with owner-only permissions."""
    path = setup_token_path(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return token


def setup_token_matches(instance_path: str, candidate: str) -> bool:
    """True when setup is still possible and `candidate` is the token."""
    path = setup_token_path(instance_path)
    if not path.exists() or user_count() > 0:
        return False
    return hmac.compare_digest(path.read_text().strip().encode(), candidate.encode())


def consume_setup_token(instance_path: str) -> None:
    """Remove the token after the first admin exists, so the setup page is gone."""
    setup_token_path(instance_path).unlink(missing_ok=True)
