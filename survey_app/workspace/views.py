"""Routes of the facilitators' workspace. Every id is resolved through services.access."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from survey_app.extensions import db
from survey_app.models import InvitationCode, RoundStatus
from survey_app.security import attachment
from survey_app.services import access, audit, distribution, initiatives, retention, rounds
from survey_app.services import comparison as comparison_service
from survey_app.services import exports as export_service
from survey_app.services.definitions import current_library
from survey_app.services.results import round_analysis
from survey_app.workspace import bp, presenters
from survey_app.workspace.forms import (
    ActionForm,
    CodesForm,
    ExportForm,
    InitiativeForm,
    LinkForm,
    MemberForm,
    RoundForm,
)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every workspace page needs a logged-in facilitator or admin."""


def round_url(token: str) -> str:
    """The address partners open, on the configured public host if there is one."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if base:
        return base + url_for("survey.intro", token=token)
    return url_for("survey.intro", token=token, _external=True)


@bp.route("/initiatives")
def initiative_list() -> ResponseReturnValue:
    """The initiatives the user works on."""
    return render_template(
        "workspace/initiatives.html", initiatives=access.visible_initiatives(current_user)
    )


@bp.route("/initiatives/new", methods=["GET", "POST"])
def initiative_new() -> ResponseReturnValue:
    """Create an initiative; its creator becomes owner."""
    form = InitiativeForm()
    if form.validate_on_submit():
        initiative = initiatives.create_initiative(
            current_user,
            form.name.data or "",
            form.description.data or "",
            form.language.data or "da",
            form.min_group_size.data or 5,
        )
        audit.record(audit.INITIATIVE_CREATED, initiative)
        db.session.commit()
        flash(_("The initiative is created."), "info")
        return redirect(url_for("workspace.initiative_view", initiative_id=initiative.id))
    return render_template("workspace/initiative_form.html", form=form, initiative=None)


@bp.route("/initiatives/<int:initiative_id>")
def initiative_view(initiative_id: int) -> ResponseReturnValue:
    """An initiative with its rounds."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    counts = {round_.id: rounds.received_responses(round_) for round_ in initiative.rounds}
    return render_template(
        "workspace/initiative.html",
        initiative=initiative,
        counts=counts,
        can_manage=access.can_manage_members(current_user, initiative.id),
    )


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
def initiative_edit(initiative_id: int) -> ResponseReturnValue:
    """Edit name, description, language and minimum group size."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    form = InitiativeForm(obj=initiative)
    if form.validate_on_submit():
        form.populate_obj(initiative)
        audit.record(audit.INITIATIVE_UPDATED, initiative)
        db.session.commit()
        flash(_("Your changes are saved."), "info")
        return redirect(url_for("workspace.initiative_view", initiative_id=initiative.id))
    return render_template("workspace/initiative_form.html", form=form, initiative=initiative)


@bp.route("/initiatives/<int:initiative_id>/members", methods=["GET", "POST"])
def members(initiative_id: int) -> ResponseReturnValue:
    """See members; owners and admins add and remove them."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    can_manage = access.can_manage_members(current_user, initiative.id)
    form = MemberForm()
    if request.method == "POST":
        if not can_manage:
            abort(403)
        if form.validate_on_submit():
            try:
                added = initiatives.add_member(
                    initiative, form.email.data or "", form.is_owner.data
                )
                owner = " (owner)" if added.is_owner else ""
                audit.record(audit.MEMBER_ADDED, initiative, detail=added.user.email + owner)
                db.session.commit()
                flash(_("The member is added."), "info")
                return redirect(url_for("workspace.members", initiative_id=initiative.id))
            except initiatives.MembershipError:
                db.session.rollback()
                form.email.errors = [_("No facilitator account has this e-mail.")]
    return render_template(
        "workspace/members.html",
        initiative=initiative,
        members=initiatives.members(initiative),
        form=form,
        remove_form=ActionForm(),
        can_manage=can_manage,
    )


@bp.route("/initiatives/<int:initiative_id>/members/<int:membership_id>/remove", methods=["POST"])
def member_remove(initiative_id: int, membership_id: int) -> ResponseReturnValue:
    """Remove a member (never the last owner)."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    if not access.can_manage_members(current_user, initiative.id):
        abort(403)
    if ActionForm().validate_on_submit():
        try:
            email = next(
                (m.user.email for m in initiative.memberships if m.id == membership_id), ""
            )
            initiatives.remove_member(initiative, membership_id)
            audit.record(audit.MEMBER_REMOVED, initiative, detail=email)
            db.session.commit()
            flash(_("The member is removed."), "info")
        except initiatives.MembershipError:
            db.session.rollback()
            flash(_("The last owner cannot be removed."), "error")
    return redirect(url_for("workspace.members", initiative_id=initiative.id))


def _instrument_choices() -> list[SelectChoice]:
    library = current_library()
    return [
        SelectChoice(instrument_id, instrument.title.get(_current_language()))
        for instrument_id, instrument in library.instruments.items()
    ]


def _current_language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "da")


@bp.route("/initiatives/<int:initiative_id>/rounds/new", methods=["GET", "POST"])
def round_new(initiative_id: int) -> ResponseReturnValue:
    """Create a draft round; all instruments are chosen by default."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    form = RoundForm()
    form.instruments.choices = _instrument_choices()
    if request.method == "GET":
        form.instruments.data = [choice.value for choice in form.instruments.choices]
    if form.validate_on_submit():
        round_ = rounds.create_round(
            initiative,
            form.name.data or "",
            form.instruments.data,
            planned_start=form.planned_start.data,
            planned_end=form.planned_end.data,
        )
        audit.record(audit.ROUND_CREATED, round_)
        db.session.commit()
        flash(_("The round is created as a draft. Open it when partners may answer."), "info")
        return redirect(url_for("workspace.round_view", round_id=round_.id))
    return render_template(
        "workspace/round_form.html", form=form, initiative=initiative, round=None, locked=False
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def round_edit(round_id: int) -> ResponseReturnValue:
    """Edit a round; its instruments are fixed once it has responses."""
    round_ = access.round_or_404(current_user, round_id)
    locked = rounds.instruments_locked(round_)
    form = RoundForm(obj=round_)
    form.instruments.choices = _instrument_choices()
    if request.method == "GET":
        form.instruments.data = [entry.instrument_id for entry in round_.instruments]
    if locked:
        form.instruments.data = [entry.instrument_id for entry in round_.instruments]
    if form.validate_on_submit():
        round_.name = form.name.data or ""
        round_.planned_start = form.planned_start.data
        round_.planned_end = form.planned_end.data
        if not locked:
            rounds.set_instruments(round_, form.instruments.data or [])
        db.session.commit()
        flash(_("Your changes are saved."), "info")
        return redirect(url_for("workspace.round_view", round_id=round_.id))
    return render_template(
        "workspace/round_form.html",
        form=form,
        initiative=round_.initiative,
        round=round_,
        locked=locked,
    )


@bp.route("/rounds/<int:round_id>")
def round_view(round_id: int) -> ResponseReturnValue:
    """A round: its state, live response count and the way to its results."""
    round_ = access.round_or_404(current_user, round_id)
    status = rounds.live_status(round_)
    return render_template(
        "workspace/round.html",
        round=round_,
        status=status,
        action_form=ActionForm(),
        url=round_url(round_.link_token),
    )


ROUND_ACTIONS = {
    "open": audit.ROUND_OPENED,
    "close": audit.ROUND_CLOSED,
    "reopen": audit.ROUND_REOPENED,
}


@bp.route("/rounds/<int:round_id>/<any(open, close, reopen):action>", methods=["POST"])
def round_state(round_id: int, action: str) -> ResponseReturnValue:
    """Open, close or reopen a round."""
    round_ = access.round_or_404(current_user, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action != "close" and retention.raw_deleted_on(round_):
        flash(_("The raw answers of this round are deleted: it cannot open again."), "error")
        return redirect(url_for("workspace.round_view", round_id=round_.id))
    try:
        if action == "close":
            rounds.close_round(round_)
            message = _("The round is closed. Unfinished answers were deleted.")
        else:
            rounds.open_round(round_)
            message = _("The round is open for answers.")
        audit.record(ROUND_ACTIONS[action], round_)
        db.session.commit()
        flash(message, "info")
    except rounds.RoundStateError:
        db.session.rollback()
        flash(_("The round cannot do that in its current state."), "error")
    return redirect(url_for("workspace.round_view", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/distribute")
def distribute(round_id: int) -> ResponseReturnValue:
    """The link, its QR code, the poster, and invitation codes."""
    round_ = access.round_or_404(current_user, round_id)
    used, total = rounds.used_code_count(round_.id)
    return render_template(
        "workspace/distribute.html",
        round=round_,
        url=round_url(round_.link_token),
        codes_form=CodesForm(),
        link_form=LinkForm(obj=round_),
        used=used,
        total=total,
    )


@bp.route("/rounds/<int:round_id>/codes", methods=["POST"])
def codes_create(round_id: int) -> ResponseReturnValue:
    """Generate invitation codes."""
    round_ = access.round_or_404(current_user, round_id)
    form = CodesForm()
    if form.validate_on_submit():
        created = rounds.generate_codes(round_, form.count.data or 0)
        audit.record(audit.CODES_GENERATED, round_, detail=f"{len(created)} codes")
        db.session.commit()
        flash(_("%(n)d new codes are ready.", n=len(created)), "info")
    else:
        flash(_("Choose a number of codes from 1 to 2000."), "error")
    return redirect(url_for("workspace.distribute", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/link", methods=["POST"])
def link_toggle(round_id: int) -> ResponseReturnValue:
    """Turn the open link on or off (codes keep working)."""
    round_ = access.round_or_404(current_user, round_id)
    form = LinkForm()
    if form.validate_on_submit():
        round_.link_enabled = bool(form.link_enabled.data)
        db.session.commit()
        flash(_("Your changes are saved."), "info")
    return redirect(url_for("workspace.distribute", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/qr.<any(png, svg):kind>")
def round_qr(round_id: int, kind: str) -> ResponseReturnValue:
    """The QR code of the round link."""
    round_ = access.round_or_404(current_user, round_id)
    url = round_url(round_.link_token)
    if kind == "png":
        return Response(distribution.qr_png(url), mimetype="image/png")
    return Response(distribution.qr_svg(url), mimetype="image/svg+xml")


@bp.route("/rounds/<int:round_id>/poster")
def poster(round_id: int) -> ResponseReturnValue:
    """A printable A4 poster with the QR code for the meeting room."""
    round_ = access.round_or_404(current_user, round_id)
    return render_template("workspace/poster.html", round=round_, url=round_url(round_.link_token))


def _round_codes(round_id: int) -> list[str]:
    query = (
        select(InvitationCode.code)
        .where(InvitationCode.round_id == round_id)
        .order_by(InvitationCode.id)
    )
    return list(db.session.scalars(query))


@bp.route("/rounds/<int:round_id>/codes.csv")
def codes_csv(round_id: int) -> ResponseReturnValue:
    """All invitation codes of a round as CSV."""
    round_ = access.round_or_404(current_user, round_id)
    body = distribution.codes_csv(_round_codes(round_.id), round_.name)
    audit.record_now(audit.CODES_DOWNLOADED, round_, detail="csv")
    return attachment(body, "text/csv", f"codes-round-{round_.id}.csv")


@bp.route("/rounds/<int:round_id>/codes/print")
def codes_print(round_id: int) -> ResponseReturnValue:
    """The unused codes as cut-out slips."""
    round_ = access.round_or_404(current_user, round_id)
    query = select(InvitationCode.code).where(
        InvitationCode.round_id == round_.id, InvitationCode.used.is_(False)
    )
    codes = list(db.session.scalars(query.order_by(InvitationCode.id)))
    audit.record_now(audit.CODES_DOWNLOADED, round_, detail=f"print, {len(codes)} unused")
    return render_template(
        "workspace/code_slips.html",
        round=round_,
        codes=codes,
        code_url=url_for("survey.enter_code", _external=True),
        is_open=round_.status is RoundStatus.OPEN,
    )


@bp.route("/rounds/<int:round_id>/results")
def results(round_id: int) -> ResponseReturnValue:
    """The round dashboard: profile, agreement, strengths and weaknesses, next steps."""
    round_ = access.round_or_404(current_user, round_id)
    analysis = round_analysis(round_)
    language = _current_language()
    return render_template(
        "workspace/results.html",
        round=round_,
        view=presenters.dashboard(analysis, language),
        language=language,
    )


@bp.route("/rounds/<int:round_id>/exports")
def exports(round_id: int) -> ResponseReturnValue:
    """The export page: what each table holds, and the warning about raw answers."""
    round_ = access.round_or_404(current_user, round_id)
    return render_template(
        "workspace/exports.html",
        round=round_,
        form=ExportForm(),
        responses=rounds.response_count(round_.id),
    )


@bp.route("/rounds/<int:round_id>/export", methods=["POST"])
def export_download(round_id: int) -> ResponseReturnValue:
    """Download one table as CSV or XLSX (POST: downloads are recorded, never cached)."""
    round_ = access.round_or_404(current_user, round_id)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    download = export_service.download(round_, form.table.data, form.file_format.data)
    audit.record(audit.EXPORT_DOWNLOADED, round_, detail=download.filename)
    db.session.commit()
    return attachment(download.body, download.mimetype, download.filename)


@bp.route("/initiatives/<int:initiative_id>/compare")
def compare(initiative_id: int) -> ResponseReturnValue:
    """Compare two or more rounds of an initiative: trends, changes, phase movement."""
    initiative = access.initiative_or_404(current_user, initiative_id)
    chosen = request.args.getlist("rounds", type=int)
    view = comparison_service.compare(initiative, chosen, _current_language())
    return render_template("workspace/compare.html", initiative=initiative, view=view)
