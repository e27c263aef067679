"""Data protection of an initiative: retention, full export, deletion, comment redaction."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import ConfirmForm, RetentionForm
from survey_app.admin.guards import owned_initiative, owned_round
from survey_app.extensions import db
from survey_app.models import Round
from survey_app.security import attachment
from survey_app.services import access, audit, deletion, portability, redaction, retention
from survey_app.services.redaction import comment_ref


@bp.app_template_global("comment_ref")
def _comment_ref_global(round_id: int, text: str) -> str:
    """Templates link a shown comment to its redaction page by this reference."""
    return comment_ref(round_id, text)


@bp.app_template_global("raw_deleted_on")
def _raw_deleted_on_global(round_: Round) -> date | None:
    """The day a round's raw answers were deleted under retention, or None."""
    return retention.raw_deleted_on(round_)


@bp.app_template_global("may_manage_initiative")
def _may_manage_initiative(initiative_id: int) -> bool:
    """Whether the logged-in user owns the initiative (or is an admin)."""
    return current_user.is_authenticated and access.can_manage_members(current_user, initiative_id)


@bp.app_template_global("redacted_marker")
def _redacted_marker() -> str:
    return redaction.REDACTED_MARKER


@bp.route("/initiatives/<int:initiative_id>/data")
def initiative_data(initiative_id: int) -> ResponseReturnValue:
    """Retention, full export, audit log and deletion of an initiative (owners)."""
    initiative = owned_initiative(initiative_id)
    return render_template(
        "admin/initiative_data.html",
        initiative=initiative,
        retention_form=RetentionForm(obj=initiative),
        action_form=ConfirmForm(),
        removed={r.id: retention.raw_deleted_on(r) for r in initiative.rounds},
    )


@bp.route("/initiatives/<int:initiative_id>/retention", methods=["POST"])
def retention_update(initiative_id: int) -> ResponseReturnValue:
    """Set or clear the retention period."""
    initiative = owned_initiative(initiative_id)
    form = RetentionForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/initiative_data.html",
            initiative=initiative,
            retention_form=form,
            action_form=ConfirmForm(),
            removed={r.id: retention.raw_deleted_on(r) for r in initiative.rounds},
        ), 400
    initiative.retention_months = form.retention_months.data
    months = initiative.retention_months
    audit.record(
        audit.RETENTION_CHANGED, initiative, detail=f"{months} months" if months else "keep"
    )
    db.session.commit()
    flash(_("Your changes are saved."), "info")
    return redirect(url_for("admin.initiative_data", initiative_id=initiative.id))


@bp.route("/initiatives/<int:initiative_id>/export.zip", methods=["POST"])
def initiative_export(initiative_id: int) -> ResponseReturnValue:
    """All data of the initiative as one zip file (POST: recorded, never cached)."""
    initiative = owned_initiative(initiative_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    body = portability.initiative_zip(initiative)
    audit.record(audit.INITIATIVE_EXPORTED, initiative, detail="zip")
    db.session.commit()
    return attachment(body, "application/zip", portability.zip_filename(initiative))


@bp.route("/initiatives/<int:initiative_id>/delete", methods=["GET", "POST"])
def initiative_delete(initiative_id: int) -> ResponseReturnValue:
    """Confirm, then delete an initiative with all its rounds and answers."""
    initiative = owned_initiative(initiative_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        deleted = deletion.delete_initiative(initiative)
        audit.record(
            audit.INITIATIVE_DELETED,
            object_type="initiative",
            object_id=deleted.initiative_id,
            detail=_deletion_detail(deleted.name, deleted.counts.responses, deleted.rounds),
        )
        db.session.commit()
        flash(
            _("The initiative “%(name)s” and all its data are deleted.", name=deleted.name), "info"
        )
        return redirect(url_for("workspace.initiative_list"))
    round_ids = [round_.id for round_ in initiative.rounds]
    return render_template(
        "admin/confirm_delete.html",
        initiative=initiative,
        round=None,
        counts=deletion.round_counts(round_ids),
        rounds=len(round_ids),
        form=form,
    )


@bp.route("/rounds/<int:round_id>/delete", methods=["GET", "POST"])
def round_delete(round_id: int) -> ResponseReturnValue:
    """Confirm, then delete a round with its answers, drafts and codes."""
    round_ = owned_round(round_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        initiative_id = round_.initiative_id
        deleted = deletion.delete_round(round_)
        audit.record(
            audit.ROUND_DELETED,
            object_type="round",
            object_id=deleted.round_id,
            initiative_id=initiative_id,
            detail=_deletion_detail(deleted.name, deleted.counts.responses),
        )
        db.session.commit()
        flash(_("The round “%(name)s” and its answers are deleted.", name=deleted.name), "info")
        return redirect(url_for("workspace.initiative_view", initiative_id=initiative_id))
    return render_template(
        "admin/confirm_delete.html",
        initiative=round_.initiative,
        round=round_,
        counts=deletion.round_counts([round_.id]),
        rounds=1,
        form=form,
    )


def _deletion_detail(name: str, responses: int, rounds: int | None = None) -> str:
    """What the audit log keeps of a deletion: the name and how much, never the content."""
    counted = (
        f"{responses} responses" if rounds is None else f"{rounds} rounds, {responses} responses"
    )
    return f"“{name[:120]}”: {counted}"


@bp.route("/rounds/<int:round_id>/comments")
def comments(round_id: int) -> ResponseReturnValue:
    """The round's shown comments, each with a button to redact it."""
    round_ = access.round_or_404(current_user, round_id)
    return render_template(
        "admin/comments.html", round=round_, comments=redaction.round_comments(round_)
    )


@bp.route("/rounds/<int:round_id>/comments/<ref>/redact", methods=["GET", "POST"])
def comment_redact(round_id: int, ref: str) -> ResponseReturnValue:
    """Confirm, then replace a comment that identifies a person by a visible marker."""
    round_ = access.round_or_404(current_user, round_id)
    comment = redaction.find_comment(round_, ref)
    if comment is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        changed = redaction.redact(round_, ref)
        item = f"{comment.instrument_id}/{comment.item_id}"
        audit.record(audit.COMMENT_REDACTED, round_, detail=f"{changed} in {item}")
        db.session.commit()
        redaction.forget_old_text()
        flash(
            ngettext("%(num)d comment is redacted.", "%(num)d comments are redacted.", changed),
            "info",
        )
        return redirect(url_for("workspace.results", round_id=round_.id, _anchor="comments"))
    return render_template("admin/confirm_redact.html", round=round_, comment=comment, form=form)
