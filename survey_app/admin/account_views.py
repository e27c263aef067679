"""Accounts in the browser (administrators) and the one-time set-password page (anyone)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import AccountForm, ConfirmForm, SetPasswordForm
from survey_app.admin.guards import admin_required
from survey_app.extensions import db
from survey_app.models import Role, User
from survey_app.services import account_admin, audit, mail
from survey_app.services.accounts import AccountError


def _link_hours() -> int:
    return int(current_app.config.get("SET_PASSWORD_LINK_HOURS") or 72)


def _external(path: str) -> str:
    """An address on the configured public host, or on the host of this request."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return base + path if base else url_for("main.index", _external=True).rstrip("/") + path


def _mail_body(link: str, hours: int) -> tuple[str, str]:
    """Subject and body of the set-password e-mail, in Danish and then English."""
    parts = []
    for language in ("da", "en"):
        with force_locale(language):
            parts.append(
                _(
                    "Open this link to choose your password for Fælles effekt. The link "
                    "works once and expires in %(hours)d hours:",
                    hours=hours,
                )
                + f"\n{link}\n"
            )
    with force_locale("da"):
        subject = _("Choose your password for Fælles effekt")
    return subject, "\n".join(parts)


def _deliver(user: User, token: str) -> ResponseReturnValue:
    """E-mail the link when mail is configured; otherwise (or if sending fails) show it."""
    link = _external(url_for("admin.set_password", token=token))
    config = current_app.config
    if mail.configured(config):
        subject, body = _mail_body(link, _link_hours())
        try:
            mail.send(config, user.email, subject, body)
            flash(_("The link is sent to %(email)s.", email=user.email), "info")
            return redirect(url_for("admin.accounts"))
        except mail.MailError:
            flash(_("The e-mail could not be sent. Hand over the link yourself."), "error")
    return render_template("admin/link.html", user=user, link=link, hours=_link_hours())


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/accounts", methods=["GET", "POST"])
@admin_required
def accounts() -> ResponseReturnValue:
    """List accounts; create a facilitator account and hand over its one-time link."""
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = account_admin.create_account(
                form.email.data or "", form.name.data or "", Role(form.role.data)
            )
            token = account_admin.issue_password_link(user, _link_hours())
            audit.record(audit.ACCOUNT_CREATED, user, detail=f"{user.role.value} {user.email}")
            db.session.commit()
            return _deliver(user, token)
        except AccountError:
            db.session.rollback()
            form.email.errors = [_("An account with this e-mail exists already.")]
    return render_template(
        "admin/accounts.html",
        rows=account_admin.account_rows(),
        form=form,
        action_form=ConfirmForm(),
    )


@bp.route("/admin/accounts/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@admin_required
def account_state(user_id: int, action: str) -> ResponseReturnValue:
    """Deactivate (ending its sessions) or reactivate an account."""
    user = _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "deactivate":
            account_admin.deactivate(user, current_user)
            audit.record(audit.ACCOUNT_DEACTIVATED, user, detail=user.email)
            flash(_("%(email)s is deactivated and logged out.", email=user.email), "info")
        else:
            account_admin.reactivate(user)
            audit.record(audit.ACCOUNT_REACTIVATED, user, detail=user.email)
            flash(_("%(email)s can log in again.", email=user.email), "info")
        db.session.commit()
    except AccountError:
        db.session.rollback()
        flash(_("You cannot deactivate your own account or the last administrator."), "error")
    return redirect(url_for("admin.accounts"))


@bp.route("/admin/accounts/<int:user_id>/reset", methods=["POST"])
@admin_required
def account_reset(user_id: int) -> ResponseReturnValue:
    """Make a new one-time link to set the password; earlier links stop working."""
    user = _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = account_admin.issue_password_link(user, _link_hours())
    except AccountError:
        flash(_("Reactivate the account first."), "error")
        return redirect(url_for("admin.accounts"))
    audit.record(audit.PASSWORD_LINK_ISSUED, user, detail=user.email)
    db.session.commit()
    return _deliver(user, token)


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> ResponseReturnValue:
    """Choose a password with a one-time link (works once, expires)."""
    link = account_admin.valid_link(token)
    if link is None:
        return render_template("admin/link_invalid.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = account_admin.use_password_link(token, form.password.data or "")
        if user is None:
            db.session.rollback()
            return render_template("admin/link_invalid.html"), 410
        audit.record(audit.PASSWORD_SET, user, actor=user)
        db.session.commit()
        flash(_("Your password is set. You can log in now."), "info")
        return redirect(url_for("auth.login"))
    user = db.session.get(User, link.user_id)
    return render_template("admin/set_password.html", form=form, email=user.email if user else "")
