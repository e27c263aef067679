"""Routes of the public survey. Views parse, call the survey service, and render."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey_app.extensions import db, limiter
from survey_app.models import Draft, Round, RoundStatus
from survey_app.services import survey as service
from survey_app.survey import bp
from survey_app.survey.forms import (
    CodeForm,
    SurveyPageForm,
    background_form_class,
    field_name,
    section_form_class,
)

DRAFTS_KEY = "drafts"


def _code_limit() -> str:
    return current_app.config["CODE_LIMIT_PER_IP"]


def _submit_limit() -> str:
    return current_app.config["SUBMIT_LIMIT_PER_IP"]


def _remember_draft(round_id: int, draft: Draft) -> None:
    drafts = dict(session.get(DRAFTS_KEY, {}))
    drafts[str(round_id)] = draft.id
    session[DRAFTS_KEY] = drafts


def _forget_draft(round_id: int) -> None:
    drafts = dict(session.get(DRAFTS_KEY, {}))
    drafts.pop(str(round_id), None)
    session[DRAFTS_KEY] = drafts


def _session_draft(round_id: int) -> Draft | None:
    return service.load_draft(session.get(DRAFTS_KEY, {}).get(str(round_id)), round_id)


def _not_open(round_: Round | None) -> ResponseReturnValue:
    return render_template("survey/not_open.html", round=round_), 409


def _refusal(round_: Round | None) -> ResponseReturnValue | None:
    """None for an open round; 404 for no round; the 'not open' page for any other."""
    if round_ is None:
        abort(404)
    return _not_open(round_) if round_.status is not RoundStatus.OPEN else None


def _open_round_or_page(round_id: int) -> tuple[Round | None, ResponseReturnValue | None]:
    round_ = db.session.get(Round, round_id)
    refusal = _refusal(round_)
    return (None, refusal) if refusal is not None else (round_, None)


def _round_and_draft(round_id: int) -> tuple[Round, Draft, ResponseReturnValue | None]:
    """The open round and this browser's draft, or the page that explains why not."""
    round_, refusal = _open_round_or_page(round_id)
    if refusal is not None:
        return round_, None, refusal  # type: ignore[return-value]
    draft = _session_draft(round_id)
    if draft is None:
        return round_, None, (render_template("survey/no_draft.html"), 410)  # type: ignore[return-value]
    return round_, draft, None


@bp.route("/s/<token>")
def intro(token: str) -> ResponseReturnValue:
    """The intro page behind the open round link."""
    round_ = service.round_by_link(token)
    refusal = _refusal(round_)
    if refusal is not None:
        return refusal
    plan = service.survey_plan(round_)
    return render_template(
        "survey/intro.html",
        round=round_,
        plan=plan,
        form=SurveyPageForm(),
        resuming=_session_draft(round_.id) is not None,
        token=token,
    )


@bp.route("/s/<token>/start", methods=["POST"])
def start(token: str) -> ResponseReturnValue:
    """Begin (or continue) answering through the open link."""
    round_ = service.round_by_link(token)
    refusal = _refusal(round_)
    if refusal is not None:
        return refusal
    form = SurveyPageForm()
    if not form.validate():
        return redirect(url_for("survey.intro", token=token))
    draft = _session_draft(round_.id) or service.start_draft(round_)
    db.session.commit()
    _remember_draft(round_.id, draft)
    return redirect(url_for("survey.page", round_id=round_.id, number=_resume_page(draft)))


def _resume_page(draft: Draft) -> int:
    return int(service.draft_state(draft).get("page", 1))


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit(
    _code_limit, methods=["POST"], scope="survey-code", deduct_when=lambda r: r.status_code != 302
)
def enter_code() -> ResponseReturnValue:
    """Let a partner start or resume with a one-time invitation code."""
    form = CodeForm()
    if form.validate_on_submit():
        record = service.code_record(form.code.data or "")
        round_ = db.session.get(Round, record.round_id) if record else None
        if record is None or round_ is None:
            form.code.errors = [_("We do not know this code. Please check it and try again.")]
        elif record.used:
            form.code.errors = [_("This code has been used. Each code gives one answer.")]
        elif round_.status is not RoundStatus.OPEN:
            return _not_open(round_)
        else:
            draft = service.start_draft(round_, record)
            db.session.commit()
            _remember_draft(round_.id, draft)
            return redirect(url_for("survey.page", round_id=round_.id, number=_resume_page(draft)))
    return render_template("survey/enter_code.html", form=form)


def page_form(page: service.Page, plan: service.SurveyPlan) -> SurveyPageForm:
    """The WTForms form that validates one survey page (bound to the request's data)."""
    if page.is_background:
        return background_form_class(plan.definitions.framework.background)()
    return section_form_class(page.instrument, page.section.id)()  # type: ignore[union-attr,arg-type]


def _page_item_ids(page: service.Page, plan: service.SurveyPlan) -> list[str]:
    if page.is_background:
        return [question.id for question in plan.definitions.framework.background]
    return [item.id for item in page.section.items]  # type: ignore[union-attr]


def _reject_malformed_post(form: SurveyPageForm) -> None:
    """A single-choice answer sent twice is not something a browser does (NUL bytes are
    refused for every route by security.reject_nul_bytes)."""
    for key in request.form:
        if len(request.form.getlist(key)) > 1 and key.startswith("q_"):
            item_field = form._fields.get(key)
            if item_field is None or item_field.type != "SelectMultipleField":
                abort(400)


def _valid_answers(form: SurveyPageForm, item_ids: list[str]) -> dict[str, Any]:
    answers = {}
    for item_id in item_ids:
        item_field = form[field_name(item_id)]
        if not item_field.errors:
            answers[item_id] = item_field.data
    return answers


def _posted_values(form: SurveyPageForm, item_ids: list[str]) -> dict[str, Any]:
    values = {}
    for item_id in item_ids:
        name = field_name(item_id)
        is_multiple = form[name].type == "SelectMultipleField"
        values[item_id] = request.form.getlist(name) if is_multiple else request.form.get(name)
    return values


@bp.route("/r/<int:round_id>/page/<int:number>", methods=["GET", "POST"])
def page(round_id: int, number: int) -> ResponseReturnValue:
    """One page of the survey: show it with the saved answers, or save and move on."""
    round_, draft, refusal = _round_and_draft(round_id)
    if refusal is not None:
        return refusal
    plan = service.survey_plan(round_)
    current = plan.page(number)
    if current is None:
        abort(404)
    if request.method == "GET":
        # No form object on GET: the template needs only the saved values.
        return _render_page(round_, plan, current, {}, service.saved_answers(draft, current))
    form = page_form(current, plan)
    item_ids = _page_item_ids(current, plan)

    _reject_malformed_post(form)
    valid = form.validate()
    posted = _posted_values(form, item_ids)
    if form.csrf_token.errors:
        # The page sat open too long: keep what was typed and let the partner send it again.
        return _render_page(round_, plan, current, {}, posted, expired=True), 200
    language = request.form.get("switch_language")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    action = request.form.get("action", "next")
    target = _target_page(action, number, len(plan.pages)) if valid else number
    service.save_answers(draft, current, _valid_answers(form, item_ids), target or number)
    db.session.commit()
    if not valid:
        return _render_page(round_, plan, current, form.errors, posted), 200
    if language:
        return redirect(url_for("survey.page", round_id=round_id, number=number))
    if action == "later":
        return render_template(
            "survey/saved.html", round=round_, has_code=draft.code_id is not None
        )
    if target is None:
        return redirect(url_for("survey.review", round_id=round_id))
    return redirect(url_for("survey.page", round_id=round_id, number=target))


def _target_page(action: str, number: int, page_count: int) -> int | None:
    """The page to go to after a valid post; None means the review page."""
    if action == "back":
        return max(1, number - 1)
    if action != "next":
        return number
    return number + 1 if number < page_count else None


def _render_page(
    round_: Round,
    plan: service.SurveyPlan,
    current: service.Page,
    errors: dict[str, list[str]],
    values: dict[str, Any],
    *,
    expired: bool = False,
) -> str:
    return render_survey_page(
        plan,
        current,
        errors,
        values,
        round_.initiative.min_group_size,
        round_=round_,
        expired=expired,
    )


def render_survey_page(
    plan: service.SurveyPlan,
    current: service.Page,
    errors: dict[str, list[str]],
    values: dict[str, Any],
    min_group_size: int,
    *,
    round_: Round | None = None,
    expired: bool = False,
    form_action: str | None = None,
) -> str:
    """Render one survey page; the library's preview uses it too, with a form_action."""
    return render_template(
        "survey/page.html",
        round=round_,
        plan=plan,
        page=current,
        errors={name: messages for name, messages in errors.items() if name != "csrf_token"},
        values=values,
        expired=expired,
        framework=plan.definitions.framework,
        min_group_size=min_group_size,
        preview=form_action is not None,
        form_action=form_action,
    )


@bp.route("/r/<int:round_id>/review")
def review(round_id: int) -> ResponseReturnValue:
    """Every answer on one page, with links back to change them, and the submit button."""
    round_, draft, refusal = _round_and_draft(round_id)
    if refusal is not None:
        return refusal
    plan = service.survey_plan(round_)
    state = service.draft_state(draft)
    return render_template(
        "survey/review.html",
        round=round_,
        plan=plan,
        answers=state["answers"],
        key=state["key"],
        form=SurveyPageForm(),
        background_key=service.BACKGROUND,
    )


@bp.route("/r/<int:round_id>/submit", methods=["POST"])
@limiter.limit(_submit_limit, scope="survey-submit")
def submit(round_id: int) -> ResponseReturnValue:
    """Store the response once; a double click shows 'already received'."""
    form = SurveyPageForm()
    if not form.validate():
        return redirect(url_for("survey.review", round_id=round_id))
    draft_id = session.get(DRAFTS_KEY, {}).get(str(round_id), "")
    key = request.form.get("submission_key", "")
    outcome = service.submit(round_id, draft_id, key)
    if outcome in {service.SubmitOutcome.STORED, service.SubmitOutcome.ALREADY_RECEIVED}:
        _forget_draft(round_id)
        return redirect(
            url_for(
                "survey.thanks",
                round_id=round_id,
                again=int(outcome is service.SubmitOutcome.ALREADY_RECEIVED),
            )
        )
    round_ = db.session.get(Round, round_id)
    if outcome is service.SubmitOutcome.ROUND_CLOSED:
        return _not_open(round_)
    if outcome is service.SubmitOutcome.CODE_USED:
        _forget_draft(round_id)
        return render_template("survey/code_used.html"), 409
    return render_template("survey/no_draft.html"), 410


@bp.route("/r/<int:round_id>/thanks")
def thanks(round_id: int) -> ResponseReturnValue:
    """The thank-you page."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    again = request.args.get("again") == "1"
    return render_template("survey/thanks.html", round=round_, again=again)
