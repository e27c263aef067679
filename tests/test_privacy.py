"""The privacy notice and the accessibility statement, and the links to them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Date

from survey_app.models import Answer, Draft, InvitationCode, Response
from tests.survey_helpers import answer_all, open_round, start_by_code, start_by_link, submit_review
from tests.workspace_helpers import facilitator_client

SURVEY_TEMPLATES = Path(__file__).resolve().parent.parent / "survey_app" / "templates" / "survey"
PRIVACY_LINK = 'href="/privacy"'
ACCESSIBILITY_LINK = 'href="/accessibility"'


def _english(client: FlaskClient) -> FlaskClient:
    with client.session_transaction() as session:
        session["language"] = "en"
    return client


def test_every_survey_page_template_uses_the_layout_with_the_link() -> None:
    pages = [path for path in SURVEY_TEMPLATES.glob("*.html") if not path.name.startswith("_")]
    assert len(pages) >= 8
    for page in pages:
        assert page.read_text().startswith('{% extends "survey/_layout.html" %}'), page.name
    layout = (SURVEY_TEMPLATES / "_layout.html").read_text()
    footer = layout[layout.index("{% block footer %}") :]
    assert "url_for('legal.privacy')" in footer and "url_for('legal.accessibility')" in footer


def test_privacy_notice_is_linked_from_every_survey_page_a_partner_sees(app: Flask) -> None:
    opened = open_round(app, instruments=["consensus"], codes=2)
    partner = app.test_client()
    seen = []
    intro = partner.get(f"/s/{opened.token}")
    seen.append(intro)
    first = start_by_link(partner, opened.token)
    seen.append(partner.get(first))
    review = answer_all(partner, first)
    seen.append(partner.get(review))
    thanks = submit_review(partner, review)
    seen.append(partner.get(thanks.headers["Location"]))
    code_client = app.test_client()
    seen.append(code_client.get("/code"))
    seen.append(code_client.get(start_by_code(code_client, opened.codes[0])))
    seen.append(app.test_client().get(f"/r/{opened.round_id}/review"))  # no draft any more
    for response in seen:
        html = response.get_data(True)
        assert PRIVACY_LINK in html and ACCESSIBILITY_LINK in html, response.request.path


def test_accessibility_statement_is_linked_from_every_other_page(app: Flask) -> None:
    facilitator = facilitator_client(app, "fac@example.org")
    for client, url in (
        (app.test_client(), "/login"),
        (facilitator, "/initiatives"),
        (facilitator, "/account/password"),
        (app.test_client(), "/no-such-page"),
        (app.test_client(), "/privacy"),
    ):
        assert ACCESSIBILITY_LINK in client.get(url).get_data(True), url


def test_privacy_page_names_the_controller_in_both_languages(app: Flask) -> None:
    app.config.update(CONTROLLER_NAME="Nordby Kommune", CONTROLLER_EMAIL="dpo@nordby.dk")
    for client in (app.test_client(), _english(app.test_client())):
        response = client.get("/privacy")
        html = response.get_data(True)
        assert response.status_code == 200
        assert "Nordby Kommune" in html and 'href="mailto:dpo@nordby.dk"' in html
    english = _english(app.test_client()).get("/privacy").get_data(True)
    for fact in ("IP address", "time of day", "the day only", "sector", "role", "draft", "code"):
        assert fact in english, fact
    statement = _english(app.test_client()).get("/accessibility").get_data(True)
    assert "WCAG" in statement and "2.1" in statement and "AA" in statement and "axe" in statement
    assert "dpo@nordby.dk" in statement


def test_without_a_configured_controller_the_page_says_whom_to_ask(app: Flask) -> None:
    html = _english(app.test_client()).get("/privacy").get_data(True)
    assert "mailto:" not in html and "invited you" in html


def _columns(model: type) -> set[str]:
    return {column.name for column in model.__table__.columns}


def test_the_privacy_notice_matches_the_data_model() -> None:
    """A new column about partners must be described on the privacy page first.

    If this fails, update templates/legal/privacy.html to say what the new column
    stores, then update the sets below.
    """
    assert _columns(Response) == {"id", "round_id", "submitted_on", "sector", "role"}
    assert _columns(Answer) == {
        "response_id",
        "instrument_id",
        "item_id",
        "value",
        "dont_know",
        "text",
    }
    assert _columns(InvitationCode) == {"id", "round_id", "code", "used"}
    assert _columns(Draft) == {"id", "round_id", "code_id", "answers_json", "updated_on"}
    for column in (Response.__table__.c.submitted_on, Draft.__table__.c.updated_on):
        assert type(column.type) is Date  # the day only, never the time of day
