"""Who may use the admin blueprint's pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.admin import bp
from survey_app.models import Initiative, Round
from survey_app.services import access

P = ParamSpec("P")
R = TypeVar("R")
# The one page reached without logging in: setting a password with a one-time link.
PUBLIC_ENDPOINTS = {"admin.set_password"}


@bp.before_request
def _require_login() -> ResponseReturnValue | None:
    """Every page but the set-password page needs a logged-in user."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Only administrators; others get 403."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def owned_initiative(initiative_id: int) -> Initiative:
    """The initiative if the user owns it (or is an admin): 404 if unseen, 403 if not owner."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    if not access.can_manage_members(current_user, initiative.id):
        abort(403)
    return initiative


def owned_round(round_id: int) -> Round:
    """The round if the user owns its initiative (or is an admin)."""
    round_ = access.round_or_404(current_user, round_id)
    if not access.can_manage_members(current_user, round_.initiative_id):
        abort(403)
    return round_
