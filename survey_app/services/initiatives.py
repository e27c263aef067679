"""Initiatives and their members."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Initiative, Membership, User
from survey_app.services.accounts import normalise_email


class MembershipError(ValueError):
    """A membership change that cannot be made."""


def create_initiative(
    owner: User, name: str, description: str = "", language: str = "da", min_group_size: int = 5
) -> Initiative:
    """Create an initiative with its creator as owner."""
    initiative = Initiative(
        name=name, description=description, language=language, min_group_size=min_group_size
    )
    initiative.memberships.append(Membership(user=owner, is_owner=True))
    db.session.add(initiative)
    db.session.flush()
    return initiative


def members(initiative: Initiative) -> list[Membership]:
    """Memberships of an initiative, owners first."""
    return sorted(initiative.memberships, key=lambda m: (not m.is_owner, m.user.email))


def add_member(initiative: Initiative, email: str, is_owner: bool = False) -> Membership:
    """Give an existing account access to the initiative."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise MembershipError("no account has this e-mail")
    existing = next((m for m in initiative.memberships if m.user_id == user.id), None)
    if existing is not None:
        existing.is_owner = existing.is_owner or is_owner
        return existing
    membership = Membership(initiative=initiative, user=user, is_owner=is_owner)
    db.session.add(membership)
    db.session.flush()
    return membership


def remove_member(initiative: Initiative, membership_id: int) -> None:
    """Remove a member, but never the last owner."""
    membership = next((m for m in initiative.memberships if m.id == membership_id), None)
    if membership is None:
        raise MembershipError("not a member")
    owners = [m for m in initiative.memberships if m.is_owner]
    if membership.is_owner and len(owners) == 1:
        raise MembershipError("the last owner cannot be removed")
    initiative.memberships.remove(membership)
