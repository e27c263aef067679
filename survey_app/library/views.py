"""Routes of the instrument library. Everyone logged in may look; admins may upload."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from survey_app.extensions import db
from survey_app.library import bp
from survey_app.security import attachment
from survey_app.services import exports, library
from survey_app.services import survey as survey_service
from survey_app.services.definitions import RoundDefinitions, current_library
from survey_app.survey.views import page_form, render_survey_page


class UploadForm(FlaskForm):
    """An instrument YAML file."""

    file = FileField(validators=[FileRequired()])


@bp.before_request
@login_required
def _require_login() -> None:
    """The library is for facilitators and admins."""


def _language() -> str:
    chosen = request.args.get("lang")
    return chosen if chosen in ("da", "en") else str(get_locale() or "da")


def _stored_or_404(instrument_id: str, number: int) -> library.StoredVersion:
    stored = library.version(instrument_id, number)
    if stored is None:
        abort(404)
    return stored


@bp.route("/")
def index() -> ResponseReturnValue:
    """Every instrument and version with its size, coverage and the rounds that used it."""
    current = current_library()
    return render_template(
        "library/index.html",
        framework=current.framework,
        grouped=library.versions_by_id(current),
        usage=library.usage(),
        coverage=library.coverage,
        errors=current.errors,
        language=_language(),
    )


@bp.route("/<instrument_id>/<int:number>")
def detail(instrument_id: str, number: int) -> ResponseReturnValue:
    """One version: sections and items, with links to preview, download and compare."""
    stored = _stored_or_404(instrument_id, number)
    others = [
        v for v in library.versions_by_id(current_library())[instrument_id] if v is not stored
    ]
    return render_template(
        "library/detail.html",
        stored=stored,
        instrument=stored.instrument,
        framework=current_library().framework,
        others=others,
        rounds=library.usage().get((instrument_id, number), []),
        language=_language(),
    )


@bp.route("/<instrument_id>/<int:number>/preview", methods=["GET", "POST"])
def preview(instrument_id: str, number: int) -> ResponseReturnValue:
    """The instrument exactly as partners see it; nothing typed here is ever stored."""
    stored = _stored_or_404(instrument_id, number)
    definitions = RoundDefinitions(current_library().framework, (stored.instrument,))
    plan = survey_service.plan_for(definitions)
    page_number = request.args.get("page", 1, type=int)
    page = plan.page(page_number) or plan.page(1)
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    language = request.form.get("switch_language")
    if request.method == "POST" and language in ("da", "en"):
        return redirect(
            url_for(
                "library.preview",
                instrument_id=instrument_id,
                number=number,
                page=page.number,
                lang=language,
            )
        )
    if request.method == "POST":
        form = page_form(page, plan)
        if form.validate():
            target = page.number + (-1 if request.form.get("action") == "back" else 1)
            target = max(1, min(target, len(plan.pages)))
            return redirect(
                url_for(
                    "library.preview",
                    instrument_id=instrument_id,
                    number=number,
                    page=target,
                    lang=request.args.get("lang"),
                )
            )
        errors = {name: list(messages) for name, messages in form.errors.items()}
        values = {key[2:]: request.form.get(key) for key in request.form if key.startswith("q_")}
    return render_survey_page(
        plan,
        page,
        errors,
        values,
        definitions.framework.thresholds.min_group_size,
        form_action=url_for(
            "library.preview",
            instrument_id=instrument_id,
            number=number,
            page=page.number,
            lang=request.args.get("lang"),
        ),
    )


@bp.route("/<instrument_id>/<int:number>.yaml")
def download(instrument_id: str, number: int) -> ResponseReturnValue:
    """The exact text of a version, to edit and upload again."""
    stored = _stored_or_404(instrument_id, number)
    return attachment(stored.text(), "application/yaml", f"{instrument_id}-v{number}.yaml")


@bp.route("/<instrument_id>/<int:number>/codebook.<any(csv, xlsx):file_format>")
def codebook(instrument_id: str, number: int, file_format: str) -> ResponseReturnValue:
    """The codebook of one version."""
    stored = _stored_or_404(instrument_id, number)
    frame = exports.codebook_frame([stored.instrument])
    name = f"codebook-{instrument_id}-v{number}.{file_format}"
    if file_format == "csv":
        body, mimetype = exports.to_csv(frame), "text/csv"
    else:
        body, mimetype = exports.to_xlsx({"codebook": frame}), exports.XLSX_MIMETYPE
    return attachment(body, mimetype, name)


@bp.route("/<instrument_id>/diff")
def diff(instrument_id: str) -> ResponseReturnValue:
    """What changed between two versions, side by side in both languages."""
    version_a = request.args.get("a", type=int)
    version_b = request.args.get("b", type=int)
    if version_a is None or version_b is None:
        abort(404)
    result = library.diff(instrument_id, version_a, version_b)
    if result is None:
        abort(404)
    return render_template("library/diff.html", diff=result, language=_language())


@bp.route("/upload", methods=["GET", "POST"])
def upload() -> ResponseReturnValue:
    """Admins upload a new instrument or version; every error is shown, nothing is saved."""
    if not current_user.is_admin:
        abort(403)
    form = UploadForm()
    problems: list[library.Excerpt] = []
    if form.validate_on_submit():
        uploaded = form.file.data
        filename = uploaded.filename or "upload.yaml"
        try:
            instrument, text = library.validate_upload(filename, uploaded.read())
            outcome = library.store_upload(instrument, text, current_user)
            db.session.commit()
        except library.UploadRejected as rejected:
            db.session.rollback()
            problems = library.excerpts(rejected)
        else:
            messages = {
                library.UploadOutcome.STORED: _("The new version is stored."),
                library.UploadOutcome.REPLACED: _("The unused version was replaced."),
                library.UploadOutcome.IDENTICAL: _("This version is already stored unchanged."),
            }
            flash(messages[outcome], "info")
            return redirect(
                url_for("library.detail", instrument_id=instrument.id, number=instrument.version)
            )
    status = 422 if problems else 200
    return render_template("library/upload.html", form=form, problems=problems), status
