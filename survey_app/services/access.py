"""Who may see and change what. Every route that takes an id goes through here."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Initiative, Membership, Round, User


def _membership(user: User, initiative_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.initiative_id == initiative_id, Membership.user_id == user.id
        )
    )


def can_view(user: User, initiative_id: int) -> bool:
    """Admins see everything; facilitators only initiatives they belong to."""
    return user.is_admin or _membership(user, initiative_id) is not None


def can_manage_members(user: User, initiative_id: int) -> bool:
    """Admins and the initiative's owners manage its membership."""
    if user.is_admin:
        return True
    membership = _membership(user, initiative_id)
    return membership is not None and membership.is_owner


def initiative_or_404(user: User, initiative_id: int) -> Initiative:
    """The initiative if the user may see it; 404 otherwise (its existence is not revealed)."""
    initiative = db.session.get(Initiative, initiative_id)
    if initiative is None or not can_view(user, initiative.id):
        abort(404)
    return initiative


def round_or_404(user: User, round_id: int) -> Round:
    """The round if the user may see its initiative; 404 otherwise."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not can_view(user, round_.initiative_id):
        abort(404)
    return round_


def visible_initiatives(user: User) -> list[Initiative]:
    """The initiatives a user may see, by name."""
    query = select(Initiative).order_by(Initiative.name)
    if not user.is_admin:
        query = query.join(Membership).where(Membership.user_id == user.id)
    return list(db.session.scalars(query))
