"""Parsed round definitions are shared, so caches keyed by them hit by identity."""

from __future__ import annotations

from flask import Flask

from survey_app.extensions import db
from survey_app.models import Round
from survey_app.services import survey
from survey_app.services.definitions import round_definitions
from tests.survey_helpers import open_round


def test_rounds_on_the_same_snapshots_share_one_definitions_object(app: Flask) -> None:
    first = open_round(app, ["consensus", "resources"], codes=0)
    second = open_round(app, ["consensus", "resources"], codes=0)
    other = open_round(app, ["consensus"], codes=0)
    with app.app_context():
        one, two, three = (
            round_definitions(db.session.get(Round, opened.round_id))
            for opened in (first, second, other)
        )
        # Equal definitions are one object: a cache lookup never compares them deeply.
        assert one is two
        assert one.framework is three.framework
        assert one.instrument("consensus") is three.instrument("consensus")
        assert three is not one
        assert survey.survey_plan(db.session.get(Round, second.round_id)) is survey.survey_plan(
            db.session.get(Round, first.round_id)
        )
