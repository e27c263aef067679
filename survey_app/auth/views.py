"""Routes of the auth blueprint."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey_app.auth import bp
from survey_app.auth.forms import ChangePasswordForm, LoginForm, SetupForm
from survey_app.extensions import db, limiter
from survey_app.models import Role
from survey_app.security import is_safe_next, verify_password
from survey_app.services import accounts, audit


def _login_failed(response: object) -> bool:
    """Only failed attempts count towards the login limits (a success redirects)."""
    return getattr(response, "status_code", 200) != 302


def _account_key() -> str:
    return "login-account:" + accounts.normalise_email(request.form.get("email", ""))


def _ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_login_failed, scope="login-ip")
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_login_failed,
    scope="login-account",
)
def login() -> ResponseReturnValue:
    """Show the login form and log a user in."""
    next_target = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_target if is_safe_next(next_target) else url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            accounts.record_login(user)
            audit.record(audit.LOGIN, actor=user)
            db.session.commit()
            login_user(user)
            return redirect(next_target if is_safe_next(next_target) else url_for("main.index"))
        audit.record(audit.LOGIN_FAILED, email=audit.typed_email(form.email.data or ""))
        db.session.commit()
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Log out and invalidate every earlier session cookie of this user."""
    accounts.end_all_sessions(current_user)
    audit.record(audit.LOGOUT)
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str) -> ResponseReturnValue:
    """Create the first administrator with the one-time token printed by the server."""
    if not accounts.setup_token_matches(current_app.instance_path, token):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = accounts.create_user(
            form.email.data or "",
            form.password.data or "",
            role=Role.ADMIN,
            name=form.name.data or "",
        )
        audit.record(audit.ACCOUNT_CREATED, user, actor=user, detail="first administrator")
        db.session.commit()
        accounts.consume_setup_token(current_app.instance_path)
        login_user(user)
        flash(_("The administrator account is created."), "info")
        return redirect(url_for("main.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Let a user change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors = [_("The current password is wrong.")]
        else:
            accounts.change_password(current_user, form.password.data or "")
            audit.record(audit.PASSWORD_CHANGED)
            db.session.commit()
            login_user(current_user)  # this session continues with the new version
            flash(_("Your password is changed. Other sessions are logged out."), "info")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
