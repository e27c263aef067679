"""Routes of the report. Every id is resolved through services.access."""

from __future__ import annotations

import logging
import math

from flask import Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from survey_app.extensions import db
from survey_app.models import Round
from survey_app.reports import bp
from survey_app.reports.model import build_report
from survey_app.reports.pdf import ReportRenderError, ReportTimeout
from survey_app.reports.render import RenderOptions, produce, timeout_of
from survey_app.security import attachment
from survey_app.services import access, audit

log = logging.getLogger(__name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Reports are for logged-in facilitators and admins only."""


def report_language(round_: Round, requested: str | None) -> str:
    """The asked-for language if the app has it, else the initiative's language."""
    languages = current_app.config["LANGUAGES"]
    if requested in languages:
        return str(requested)
    if round_.initiative.language in languages:
        return round_.initiative.language
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def static_url() -> str:
    """The address prefix of the static folder ("/static", behind any script root)."""
    return url_for("static", filename="").rstrip("/")


def _screen_options(round_: Round, compare_ids: list[int]) -> RenderOptions:
    def report_url(language: str) -> str:
        return url_for(
            "reports.report_page", round_id=round_.id, lang=language, compare=compare_ids
        )

    return RenderOptions(
        mode="screen",
        static_folder=str(current_app.static_folder),
        static_url=static_url(),
        dashboard_url=url_for("workspace.results", round_id=round_.id),
        report_url=url_for("reports.report_page", round_id=round_.id),
        pdf_action=url_for("reports.report_pdf", round_id=round_.id),
        csrf_token=generate_csrf(),
        language_urls={language: report_url(language) for language in ("da", "en")},
    )


def _unavailable(round_: Round) -> ResponseReturnValue:
    """The 503 page shown when a report runs out of time."""
    seconds = math.ceil(timeout_of(current_app))
    body = render_template(
        "reports/unavailable.html",
        seconds=seconds,
        back_url=url_for("workspace.results", round_id=round_.id),
    )
    return Response(body, status=503, mimetype="text/html", headers={"Retry-After": "30"})


def _make(
    round_: Round, values: MultiDict[str, str], options: RenderOptions | None
) -> tuple[str | bytes | None, str]:
    """Gather and render a report (PDF unless `options` say otherwise), and its language.

    The body is None when rendering ran out of time.
    """
    language = report_language(round_, values.get("lang"))
    compare_ids = values.getlist("compare", type=int)
    report = build_report(round_, compare_ids, language)
    if options is None:
        options = RenderOptions(
            mode="pdf", static_folder=str(current_app.static_folder), static_url=static_url()
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return produce(app, report, options), language
    except ReportTimeout as error:
        log.warning("report for round %s: %s", round_.id, error)
        return None, language
    except ReportRenderError:
        log.exception("report for round %s could not be made", round_.id)
        abort(500)


@bp.route("/rounds/<int:round_id>/report")
def report_page(round_id: int) -> ResponseReturnValue:
    """The print-friendly report (`?compare=<id>` earlier rounds, `?lang=da|en`)."""
    round_ = access.round_or_404(current_user, round_id)
    compare_ids = request.args.getlist("compare", type=int)
    html, _language = _make(round_, request.args, _screen_options(round_, compare_ids))
    if html is None:
        return _unavailable(round_)
    return Response(html, mimetype="text/html")


@bp.route("/rounds/<int:round_id>/report.pdf", methods=["POST"])
def report_pdf(round_id: int) -> ResponseReturnValue:
    """Download the report as PDF (POST with CSRF token: downloads will be audited)."""
    round_ = access.round_or_404(current_user, round_id)
    pdf, language = _make(round_, request.form, None)
    if pdf is None:
        return _unavailable(round_)
    filename = f"report-round-{round_.id}-{language}.pdf"
    audit.record(audit.REPORT_DOWNLOADED, round_, detail=filename)
    db.session.commit()
    return attachment(pdf, "application/pdf", filename)
