"""Accounts managed in the browser: creation, one-time password links, (de)activation.

A one-time link carries a random token (256 bits); only its SHA-256 is stored. A link
expires after SET_PASSWORD_LINK_HOURS, works once, and issuing a new one for the same
account cancels the older ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update

from survey_app.extensions import db
from survey_app.models import Initiative, Membership, PasswordLink, Role, User, utcnow
from survey_app.services import accounts
from survey_app.services.accounts import AccountError

DEFAULT_LINK_HOURS = 72


def token_hash(token: str) -> str:
    """The stored form of a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_account(email: str, name: str = "", role: Role = Role.FACILITATOR) -> User:
    """A new account without a usable password; give it a link with `issue_password_link`."""
    return accounts.create_user(email, secrets.token_urlsafe(48), role=role, name=name)


def issue_password_link(user: User, hours: int = DEFAULT_LINK_HOURS) -> str:
    """A new one-time link token for the user; older unused links stop working."""
    if not user.active:
        raise AccountError("the account is deactivated")
    _cancel_links(user)
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordLink(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return token


def _cancel_links(user: User) -> None:
    db.session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))


def valid_link(token: str) -> PasswordLink | None:
    """The link behind a token if it is unused, unexpired and its account active."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        select(PasswordLink).where(PasswordLink.token_hash == token_hash(token))
    )
    if link is None or link.used_at is not None or _aware(link.expires_at) <= utcnow():
        return None
    user = db.session.get(User, link.user_id)
    return link if user is not None and user.active else None


def use_password_link(token: str, new_password: str) -> User | None:
    """Set the password through a link, once; None if the link is not (or no longer) valid."""
    link = valid_link(token)
    if link is None:
        return None
    claimed = db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # the same link used at the same moment elsewhere
        return None
    user = db.session.get(User, link.user_id)
    if user is None:
        return None
    accounts.change_password(user, new_password)
    return user


def _active_admins() -> int:
    query = select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    return int(db.session.scalar(query) or 0)


def deactivate(user: User, by: User) -> None:
    """Deactivate an account: it cannot log in, its sessions and links end."""
    if user.id == by.id:
        raise AccountError("you cannot deactivate your own account")
    if user.is_admin and user.active and _active_admins() <= 1:
        raise AccountError("the last active administrator cannot be deactivated")
    user.active = False
    accounts.end_all_sessions(user)
    _cancel_links(user)


def reactivate(user: User) -> None:
    """Let a deactivated account log in again (with its old password)."""
    user.active = True


@dataclass(frozen=True)
class AccountRow:
    """One line of the account list."""

    id: int
    email: str
    name: str
    role: Role
    active: bool
    last_login_on: date | None
    initiatives: tuple[str, ...]
    owner_of: tuple[str, ...]


def account_rows() -> list[AccountRow]:
    """Every account with its role, state, initiatives and last login date."""
    memberships: dict[int, list[tuple[str, bool]]] = {}
    query = select(Membership.user_id, Initiative.name, Membership.is_owner).join(Initiative)
    for user_id, name, is_owner in db.session.execute(query.order_by(Initiative.name)):
        memberships.setdefault(user_id, []).append((name, is_owner))
    rows = []
    for user in db.session.scalars(select(User).order_by(User.email)):
        joined = memberships.get(user.id, [])
        rows.append(
            AccountRow(
                id=user.id,
                email=user.email,
                name=user.name,
                role=user.role,
                active=user.active,
                last_login_on=user.last_login_on,
                initiatives=tuple(name for name, _owner in joined),
                owner_of=tuple(name for name, owner in joined if owner),
            )
        )
    return rows
