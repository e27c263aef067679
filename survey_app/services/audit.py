"""The audit log: who did what to which object, and when.

One function, `record`, is called by the views and services that perform an action, in
the same transaction as the action (the caller commits). Partners' actions are never
recorded, and an entry never holds an answer, an invitation code, a password or an
address: `detail` is a short, non-sensitive description such as "12 codes" or
"scores.xlsx".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, select

from survey_app import database
from survey_app.extensions import db
from survey_app.models import AuditEntry, Initiative, Round, User

DETAIL_LENGTH = 200
EMAIL_LENGTH = 254
PAGE_SIZE = 100
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+$")

# Accounts and sessions
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an action name)
PASSWORD_SET = "password_set"  # noqa: S105  (with a one-time link)
ACCOUNT_CREATED = "account_created"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCOUNT_REACTIVATED = "account_reactivated"
PASSWORD_LINK_ISSUED = "password_link_issued"  # noqa: S105
# Initiatives and members
INITIATIVE_CREATED = "initiative_created"
INITIATIVE_UPDATED = "initiative_updated"
INITIATIVE_DELETED = "initiative_deleted"
RETENTION_CHANGED = "retention_changed"
MEMBER_ADDED = "member_added"
MEMBER_REMOVED = "member_removed"
# Rounds
ROUND_CREATED = "round_created"
ROUND_OPENED = "round_opened"
ROUND_CLOSED = "round_closed"
ROUND_REOPENED = "round_reopened"
ROUND_DELETED = "round_deleted"
CODES_GENERATED = "codes_generated"
CODES_DOWNLOADED = "codes_downloaded"
# Data
EXPORT_DOWNLOADED = "export_downloaded"
REPORT_DOWNLOADED = "report_downloaded"
INITIATIVE_EXPORTED = "initiative_exported"
COMMENT_REDACTED = "comment_redacted"
RAW_DATA_DELETED = "raw_data_deleted"  # by the retention rule

ACTIONS = (
    LOGIN,
    LOGIN_FAILED,
    LOGOUT,
    PASSWORD_CHANGED,
    PASSWORD_SET,
    ACCOUNT_CREATED,
    ACCOUNT_DEACTIVATED,
    ACCOUNT_REACTIVATED,
    PASSWORD_LINK_ISSUED,
    INITIATIVE_CREATED,
    INITIATIVE_UPDATED,
    INITIATIVE_DELETED,
    RETENTION_CHANGED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    ROUND_CREATED,
    ROUND_OPENED,
    ROUND_CLOSED,
    ROUND_REOPENED,
    ROUND_DELETED,
    CODES_GENERATED,
    CODES_DOWNLOADED,
    EXPORT_DOWNLOADED,
    REPORT_DOWNLOADED,
    INITIATIVE_EXPORTED,
    COMMENT_REDACTED,
    RAW_DATA_DELETED,
)

Target = Round | Initiative | User | None


def _current_actor() -> User | None:
    """The logged-in user of the current request, if any (None on the command line)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[attr-defined]
    return None


def _target_fields(target: Round | Initiative | User) -> dict[str, object]:
    """object_type, object_id and the initiative that scopes the entry."""
    if isinstance(target, Round):
        return {
            "object_type": "round",
            "object_id": target.id,
            "initiative_id": target.initiative_id,
        }
    if isinstance(target, Initiative):
        return {"object_type": "initiative", "object_id": target.id, "initiative_id": target.id}
    return {"object_type": "user", "object_id": target.id, "initiative_id": None}


def record(
    action: str,
    target: Target = None,
    *,
    detail: str = "",
    actor: User | None = None,
    email: str | None = None,
    object_type: str = "",
    object_id: int | None = None,
    initiative_id: int | None = None,
) -> AuditEntry:
    """Add one audit entry to the session; the caller's commit stores it with the action.

    The object is `target` (a round, initiative or user); for an object that no longer
    exists give `object_type`, `object_id` and `initiative_id` instead. The actor defaults
    to the logged-in user; `email` replaces the actor's e-mail (a failed login records the
    address typed, see `typed_email`).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor = actor if actor is not None else _current_actor()
    fields = (
        _target_fields(target)
        if target is not None
        else {"object_type": object_type, "object_id": object_id, "initiative_id": initiative_id}
    )
    if email is None:
        email = actor.email if actor is not None else ""
    entry = AuditEntry(
        user_id=actor.id if actor is not None else None,
        user_email=email[:EMAIL_LENGTH],
        action=action,
        detail=detail[:DETAIL_LENGTH],
        **fields,
    )
    db.session.add(entry)
    return entry


def record_now(action: str, target: Target = None, **kwargs: object) -> AuditEntry:
    """Record and commit at once, for actions that write nothing else (downloads).

    Safe in a GET request: the read transaction ends first, and the entry is written in a
    transaction that takes SQLite's write lock at its start.
    """
    db.session.commit()
    with database.write_intent():
        entry = record(action, target, **kwargs)  # type: ignore[arg-type]
        db.session.commit()
    return entry


def typed_email(raw: str) -> str:
    """The address typed into a failed login, or "" if it does not look like an address.

    People sometimes type their password into the e-mail field; such text is not kept.
    """
    cleaned = raw.strip().lower()[:EMAIL_LENGTH]
    return cleaned if _EMAIL_SHAPE.match(cleaned) else ""


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first."""

    entries: Sequence[AuditEntry]
    page: int
    pages: int
    total: int


def entries(initiative_id: int | None = None, page: int = 1) -> AuditPage:
    """Entries newest first: all of them, or only those of one initiative."""
    query = select(AuditEntry)
    count_query = select(func.count(AuditEntry.id))
    if initiative_id is not None:
        query = query.where(AuditEntry.initiative_id == initiative_id)
        count_query = count_query.where(AuditEntry.initiative_id == initiative_id)
    total = int(db.session.scalar(count_query) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return AuditPage(rows, page, pages, total)
