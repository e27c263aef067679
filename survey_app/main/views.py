"""Routes of the main blueprint."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.main import bp
from survey_app.security import is_safe_next


@bp.route("/")
def index() -> ResponseReturnValue:
    """Facilitators land on their start page; visitors are asked to log in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("workspace.initiative_list"))


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    """Remember the chosen language in the session and go back where the user was."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))
