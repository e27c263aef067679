"""The audit log: everything for administrators, one initiative for its owners."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from survey_app.admin import bp
from survey_app.admin.guards import admin_required, owned_initiative
from survey_app.services import audit

ACTION_LABELS = {
    audit.LOGIN: _l("Logged in"),
    audit.LOGIN_FAILED: _l("Failed login"),
    audit.LOGOUT: _l("Logged out"),
    audit.PASSWORD_CHANGED: _l("Changed own password"),
    audit.PASSWORD_SET: _l("Set password with a one-time link"),
    audit.ACCOUNT_CREATED: _l("Created account"),
    audit.ACCOUNT_DEACTIVATED: _l("Deactivated account"),
    audit.ACCOUNT_REACTIVATED: _l("Reactivated account"),
    audit.PASSWORD_LINK_ISSUED: _l("Made a password link"),
    audit.INITIATIVE_CREATED: _l("Created initiative"),
    audit.INITIATIVE_UPDATED: _l("Changed initiative"),
    audit.INITIATIVE_DELETED: _l("Deleted initiative"),
    audit.RETENTION_CHANGED: _l("Changed how long raw answers are kept"),
    audit.MEMBER_ADDED: _l("Added member"),
    audit.MEMBER_REMOVED: _l("Removed member"),
    audit.ROUND_CREATED: _l("Created round"),
    audit.ROUND_OPENED: _l("Opened round"),
    audit.ROUND_CLOSED: _l("Closed round"),
    audit.ROUND_REOPENED: _l("Reopened round"),
    audit.ROUND_DELETED: _l("Deleted round"),
    audit.CODES_GENERATED: _l("Generated codes"),
    audit.CODES_DOWNLOADED: _l("Downloaded or printed codes"),
    audit.EXPORT_DOWNLOADED: _l("Downloaded export"),
    audit.REPORT_DOWNLOADED: _l("Downloaded report"),
    audit.INITIATIVE_EXPORTED: _l("Downloaded all data of the initiative"),
    audit.COMMENT_REDACTED: _l("Redacted comment"),
    audit.RAW_DATA_DELETED: _l("Deleted raw answers (retention)"),
}


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/admin/audit")
@admin_required
def audit_log() -> ResponseReturnValue:
    """Every audit entry, newest first."""
    return render_template(
        "admin/audit.html",
        page=audit.entries(page=_page_number()),
        labels=ACTION_LABELS,
        initiative=None,
    )


@bp.route("/initiatives/<int:initiative_id>/audit")
def initiative_audit_log(initiative_id: int) -> ResponseReturnValue:
    """The audit entries of one initiative, for its owners and administrators."""
    initiative = owned_initiative(initiative_id)
    return render_template(
        "admin/audit.html",
        page=audit.entries(initiative.id, page=_page_number()),
        labels=ACTION_LABELS,
        initiative=initiative,
    )
