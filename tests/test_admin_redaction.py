"""Redacting a comment removes its text from the database, the exports, every page and the
report (HTML and PDF; skipped while the reports blueprint is missing)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Round
from survey_app.services import redaction, rounds
from survey_app.services.exports import TABLES
from tests.admin_helpers import (
    add_comments,
    database_dump,
    database_file_bytes,
    partner_submits,
    post_with_token,
)
from tests.conftest import csrf_token_from
from tests.survey_helpers import start_by_link
from tests.workspace_helpers import add_responses, facilitator_client, make_workspace

IDENTIFYING = "Lars fra jobcentret på Nørregade 12 svarer aldrig"
HARMLESS = "Mere tid til møderne"
REDACT_LINK = re.compile(r'href="(/rounds/\d+/comments/([0-9a-f]+)/redact)"')


def _round_with_comments(app: Flask) -> tuple[int, FlaskClient]:
    """An open round: the identifying comment sent through the real survey, more answers."""
    space = make_workspace(app, responses=(), instruments=["consensus"])
    with app.app_context():
        from survey_app.models import Initiative

        initiative = db.session.get(Initiative, space.initiative_id)
        round_ = rounds.create_round(initiative, "Forår", ["consensus"])
        rounds.open_round(round_)
        add_responses(round_, 6)
        db.session.commit()
        round_id, token = round_.id, round_.link_token
    partner = app.test_client()
    partner_submits(partner, start_by_link(partner, token), IDENTIFYING)
    add_comments(app, round_id, [HARMLESS, HARMLESS, "Godt samarbejde"])
    return round_id, facilitator_client(app, space.owner)


def _everything_downloadable(owner: FlaskClient, round_id: int, initiative_id: int) -> str:
    """Text of every export (CSV and XLSX of each table) and of the initiative's zip."""
    texts = []
    for name in TABLES:
        for file_format in ("csv", "xlsx"):
            response = post_with_token(
                owner,
                f"/rounds/{round_id}/exports",
                f"/rounds/{round_id}/export",
                table=name,
                file_format=file_format,
            )
            assert response.status_code == 200
            if file_format == "csv":
                texts.append(response.get_data().decode("utf-8-sig"))
            else:
                workbook = load_workbook(io.BytesIO(response.get_data()))
                for sheet in workbook.worksheets:
                    texts.extend(str(c.value) for row in sheet.iter_rows() for c in row)
    archive = post_with_token(
        owner,
        f"/initiatives/{initiative_id}/data",
        f"/initiatives/{initiative_id}/export.zip",
    )
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as files:
        texts.extend(files.read(name).decode("utf-8-sig") for name in files.namelist())
    return "\n".join(texts)


def _pages(owner: FlaskClient, round_id: int) -> str:
    return "\n".join(
        owner.get(url).get_data(True)
        for url in (f"/rounds/{round_id}/results", f"/rounds/{round_id}/comments")
    )


def test_a_redacted_comment_is_nowhere_any_more(app: Flask) -> None:
    round_id, owner = _round_with_comments(app)
    with app.app_context():
        initiative_id = db.session.get(Round, round_id).initiative_id
    assert IDENTIFYING in _pages(owner, round_id)  # the checks below can see it
    assert IDENTIFYING in database_dump(app)
    assert IDENTIFYING in _everything_downloadable(owner, round_id, initiative_id)

    dashboard = owner.get(f"/rounds/{round_id}/results").get_data(True)
    section = dashboard[dashboard.index('id="comments"') :]
    links = REDACT_LINK.findall(section)
    assert len(links) == 4 and len(set(links)) == 3  # one per comment; the same text, same ref
    with app.app_context():
        ref = redaction.comment_ref(round_id, IDENTIFYING)
    url = f"/rounds/{round_id}/comments/{ref}/redact"
    assert url in section
    confirm = owner.get(url)
    assert confirm.status_code == 200 and IDENTIFYING in confirm.get_data(True)
    done = owner.post(url, data={"csrf_token": csrf_token_from(confirm.get_data(True))})
    assert done.status_code == 302

    assert IDENTIFYING not in database_dump(app)
    raw = database_file_bytes(app)
    if raw is not None:  # SQLite: not in free pages or the log either
        assert IDENTIFYING.encode() not in raw
        assert "Nørregade".encode() not in raw
    assert IDENTIFYING not in _everything_downloadable(owner, round_id, initiative_id)
    pages = _pages(owner, round_id)
    assert IDENTIFYING not in pages and HARMLESS in pages
    assert redaction.REDACTED_MARKER in database_dump(app)
    assert owner.get(url).status_code == 404  # nothing left to redact under that reference
    with app.app_context():
        assert db.session.get(Round, round_id).results_revision == 1


def test_identical_comments_are_redacted_together(app: Flask) -> None:
    round_id, owner = _round_with_comments(app)
    with app.app_context():
        ref = redaction.comment_ref(round_id, HARMLESS)
    url = f"/rounds/{round_id}/comments/{ref}/redact"
    page = owner.get(url).get_data(True)
    assert "2" in page
    owner.post(url, data={"csrf_token": csrf_token_from(page)})
    dump = database_dump(app)
    assert HARMLESS not in dump and IDENTIFYING in dump
    with app.app_context():
        from survey_app.models import Answer

        texts = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
    assert texts.count(redaction.REDACTED_MARKER) == 2


def test_comments_hidden_below_the_threshold_cannot_be_listed(app: Flask) -> None:
    space = make_workspace(app, responses=(3,), instruments=["consensus"])
    add_comments(app, space.round_ids[0], [IDENTIFYING])
    owner = facilitator_client(app, space.owner)
    assert IDENTIFYING not in owner.get(f"/rounds/{space.round_ids[0]}/comments").get_data(True)
    with app.app_context():
        ref = redaction.comment_ref(space.round_ids[0], IDENTIFYING)
    assert owner.get(f"/rounds/{space.round_ids[0]}/comments/{ref}/redact").status_code == 404


def test_only_members_can_redact(app: Flask) -> None:
    round_id, _owner = _round_with_comments(app)
    with app.app_context():
        ref = redaction.comment_ref(round_id, IDENTIFYING)
    outsider = facilitator_client(app, "outsider@example.org")
    url = f"/rounds/{round_id}/comments/{ref}/redact"
    assert outsider.get(url).status_code == 404
    token = csrf_token_from(outsider.get("/initiatives").get_data(True))
    assert outsider.post(url, data={"csrf_token": token}).status_code == 404
    assert IDENTIFYING in database_dump(app)


def _report_text(owner: FlaskClient, round_id: int) -> str:
    """The report page and the text of the PDF report."""
    from pypdf import PdfReader

    page = owner.get(f"/rounds/{round_id}/report")
    assert page.status_code == 200
    pdf = post_with_token(owner, f"/rounds/{round_id}/report", f"/rounds/{round_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.get_data()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    return page.get_data(True) + "\n" + text


def _redact_identifying(app: Flask, owner: FlaskClient, round_id: int) -> None:
    """Redact the identifying comment through the confirmation page."""
    with app.app_context():
        ref = redaction.comment_ref(round_id, IDENTIFYING)
    url = f"/rounds/{round_id}/comments/{ref}/redact"
    post_with_token(owner, url, url)


def test_a_redacted_comment_is_not_in_the_report(app: Flask) -> None:
    if "reports.report_pdf" not in app.view_functions:
        pytest.skip("the reports blueprint is not there yet")
    round_id, owner = _round_with_comments(app)
    assert "Nørregade" in _report_text(owner, round_id)  # the check can see it
    _redact_identifying(app, owner, round_id)
    assert "Nørregade" not in _report_text(owner, round_id)


def test_the_report_names_a_redacted_comment_in_its_own_language(app: Flask) -> None:
    round_id, owner = _round_with_comments(app)
    _redact_identifying(app, owner, round_id)
    english = owner.get(f"/rounds/{round_id}/report?lang=en").get_data(True)
    danish = owner.get(f"/rounds/{round_id}/report?lang=da").get_data(True)
    assert "[removed by facilitator]" in english
    assert redaction.REDACTED_MARKER not in english
    assert redaction.REDACTED_MARKER in danish
