"""Retention: raw answers go after N months, the aggregated scores stay exactly the same."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from survey_app.core.anonymity import Suppressed
from survey_app.core.scoring import Stat
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Draft,
    Initiative,
    InvitationCode,
    Response,
    Round,
    RoundScoreSnapshot,
    RoundStatus,
    SubmissionKey,
)
from survey_app.services import rounds
from survey_app.services.comparison import compare
from survey_app.services.exports import table
from survey_app.services.results import clear_cache, round_analysis
from survey_app.services.retention import months_before, regate, run
from tests.workspace_helpers import add_responses, facilitator_client, make_workspace

TODAY = date(2027, 6, 15)
SECTORS = ["public", "private", "civil_society"]


def _frames(app: Flask, round_id: int) -> dict[str, pd.DataFrame]:
    with app.app_context():
        analysis = round_analysis(db.session.get(Round, round_id))
        return {
            "elements": analysis.result.to_frame("elements"),
            "items": analysis.result.to_frame("items"),
            "steps": pd.DataFrame([repr(step) for step in analysis.steps]),
            "phase": pd.DataFrame([repr(analysis.profile)]),
        }


def _raw_rows(app: Flask, round_id: int) -> dict[str, int]:
    with app.app_context():
        responses = select(Response.id).where(Response.round_id == round_id)
        return {
            "responses": db.session.scalar(select(func.count()).select_from(responses.subquery())),
            "answers": db.session.scalar(
                select(func.count()).where(Answer.response_id.in_(responses))
            ),
            "codes": db.session.scalar(
                select(func.count(InvitationCode.id)).where(InvitationCode.round_id == round_id)
            ),
            "drafts": db.session.scalar(
                select(func.count(Draft.id)).where(Draft.round_id == round_id)
            ),
            "keys": db.session.scalar(
                select(func.count()).where(SubmissionKey.round_id == round_id)
            ),
        }


def _workspace(app: Flask, months: int | None = 12) -> tuple[int, int, int]:
    """An initiative with an old closed round (with breakdowns), a recent one; returns ids."""
    space = make_workspace(app, responses=(0, 9), instruments=["consensus", "readiness"])
    old, recent = space.round_ids
    with app.app_context():
        round_ = db.session.get(Round, old)
        add_responses(round_, 16, seed=7, sectors=SECTORS)
        rounds.generate_codes(round_, 4)
        db.session.add(SubmissionKey(key="k-old", round_id=old))
        db.session.get(Initiative, space.initiative_id).retention_months = months
        db.session.execute(update(Round).where(Round.id == old).values(closed_on=date(2026, 5, 1)))
        db.session.execute(
            update(Round).where(Round.id == recent).values(closed_on=date(2027, 1, 1))
        )
        db.session.commit()
    return space.initiative_id, old, recent


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert months_before(date(2027, 1, 15), 12) == date(2026, 1, 15)
    assert months_before(date(2027, 1, 15), 13) == date(2025, 12, 15)


def test_retention_keeps_the_scores_and_removes_every_raw_answer(app: Flask) -> None:
    initiative_id, old, recent = _workspace(app)
    before = _frames(app, old)
    with app.app_context():
        comparison_before = compare(db.session.get(Initiative, initiative_id), [old, recent], "da")
    assert _raw_rows(app, old)["answers"] > 0

    result = app.test_cli_runner().invoke(args=["retention", "run", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"round {old} " in result.output and "16 responses" in result.output
    assert f"round {recent} " not in result.output  # closed less than 12 months ago

    assert _raw_rows(app, old) == dict.fromkeys(
        ("responses", "answers", "codes", "drafts", "keys"), 0
    )
    assert _raw_rows(app, recent)["responses"] == 9
    clear_cache()
    after = _frames(app, old)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name])
    with app.app_context():
        initiative = db.session.get(Initiative, initiative_id)
        comparison_after = compare(initiative, [old, recent], "da")
        assert comparison_after.changes == comparison_before.changes
        assert comparison_after.component_trends == comparison_before.component_trends
        stored = db.session.scalar(select(RoundScoreSnapshot.result_json))
        assert '"comments"' not in stored
        analysis = round_analysis(db.session.get(Round, old))
        assert analysis.result.n_responses == 16 and analysis.result.comments == ()
        round_ = db.session.get(Round, old)
        assert table(round_, "long").empty and not table(round_, "scores").empty

    again = app.test_cli_runner().invoke(args=["retention", "run", "--today", TODAY.isoformat()])
    assert again.exit_code == 0 and "0 round(s) processed" in again.output


def test_dashboard_and_round_page_say_the_raw_data_is_gone(app: Flask) -> None:
    initiative_id, old, _recent = _workspace(app)
    with app.app_context():
        run(TODAY)
    owner = facilitator_client(app, "owner@example.org")
    dashboard = owner.get(f"/rounds/{old}/results").get_data(True)
    assert "2027-06-15" in dashboard and "16" in dashboard
    round_page = owner.get(f"/rounds/{old}").get_data(True)
    assert "2027-06-15" in round_page
    assert '<p class="big-number">16</p>' in round_page  # counted from the stored scores
    initiative_page = owner.get(f"/initiatives/{initiative_id}").get_data(True)
    assert re.search(rf'round_id={old}|/rounds/{old}"', initiative_page)
    row = initiative_page.split(f'/rounds/{old}"')[1].split("</tr>")[0]
    assert "<td>16</td>" in row
    assert "2027-06-15" in owner.get(f"/initiatives/{initiative_id}/data").get_data(True)
    page = owner.get(f"/rounds/{old}")
    token = page.get_data(True).split('name="csrf_token" value="')[1].split('"')[0]
    owner.post(f"/rounds/{old}/reopen", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Round, old).status is RoundStatus.CLOSED  # cannot reopen


def test_nothing_happens_without_a_retention_period_or_in_a_dry_run(app: Flask) -> None:
    _initiative_id, old, _recent = _workspace(app, months=None)
    with app.app_context():
        assert run(TODAY) == []
        db.session.get(Round, old).initiative.retention_months = 1
        db.session.commit()
    dry = app.test_cli_runner().invoke(
        args=["retention", "run", "--dry-run", "--today", TODAY.isoformat()]
    )
    assert "Would delete" in dry.output and "16 responses" in dry.output
    assert _raw_rows(app, old)["responses"] == 16
    with app.app_context():
        assert db.session.scalar(select(func.count(RoundScoreSnapshot.id))) == 0


def test_open_rounds_are_never_touched(app: Flask) -> None:
    _initiative_id, old, _recent = _workspace(app)
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == old).values(status=RoundStatus.OPEN))
        db.session.commit()
        assert run(TODAY) == []
    assert _raw_rows(app, old)["responses"] == 16


def test_retention_settings_page(app: Flask) -> None:
    initiative_id, _old, _recent = _workspace(app, months=None)
    owner = facilitator_client(app, "owner@example.org")
    page = owner.get(f"/initiatives/{initiative_id}/data").get_data(True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/initiatives/{initiative_id}/retention"
    assert owner.post(url, data={"csrf_token": token, "retention_months": "0"}).status_code == 400
    assert owner.post(url, data={"csrf_token": token, "retention_months": "24"}).status_code == 302
    with app.app_context():
        assert db.session.get(Initiative, initiative_id).retention_months == 24
    owner.post(url, data={"csrf_token": token, "retention_months": ""})
    with app.app_context():
        assert db.session.get(Initiative, initiative_id).retention_months is None


def test_a_larger_minimum_group_size_hides_more_of_the_stored_scores(app: Flask) -> None:
    _initiative_id, old, _recent = _workspace(app)
    with app.app_context():
        run(TODAY)
        round_ = db.session.get(Round, old)
        stored = round_analysis(round_).result
        stricter = regate(stored, 6)  # sector groups hold 5 or 6 respondents
    shown_before = [e for e in stored.elements if e.breakdowns.get("sector")]
    assert any(
        isinstance(value, Stat) for e in shown_before for value in e.breakdowns["sector"].values()
    )
    for element in stricter.elements:
        sectors = list(element.breakdowns.get("sector", {}).values())
        assert all(isinstance(value, Suppressed) for value in sectors)  # 6/5/5: all hidden
        assert not (isinstance(element.overall, Stat) and element.overall.n < 6)
    assert stricter.k == 6


@pytest.mark.parametrize("months", [1, 120])
def test_due_only_after_the_period(app: Flask, months: int) -> None:
    _initiative_id, old, recent = _workspace(app, months=months)
    with app.app_context():
        done = run(TODAY)
    assert [outcome.round_id for outcome in done] == ([old, recent] if months == 1 else [])
