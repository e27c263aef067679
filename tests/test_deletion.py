"""Deleting a round or an initiative leaves no row that refers to it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Initiative, Round, User
from survey_app.services import audit, initiatives, rounds
from survey_app.services.results import round_analysis
from tests.admin_helpers import partner_submits, references_to, round_exists
from tests.conftest import csrf_token_from, post_form
from tests.survey_helpers import start_by_code, start_by_link
from tests.workspace_helpers import add_responses, facilitator_client, make_workspace

EVERY_KIND = {
    "round_instruments",
    "invitation_codes",
    "drafts",
    "responses",
    "answers",
    "submission_keys",
}


def _busy_round(app: Flask, initiative_id: int) -> int:
    """An open round with responses, answers, a used and unused codes, a draft, a key."""
    with app.app_context():
        initiative = db.session.get(Initiative, initiative_id)
        round_ = rounds.create_round(initiative, "Travl runde", ["consensus"])
        rounds.open_round(round_)
        codes = rounds.generate_codes(round_, 3)
        add_responses(round_, 6)
        audit.record(audit.ROUND_OPENED, round_)
        round_analysis(round_)  # a cached result to forget
        db.session.commit()
        round_id, token = round_.id, round_.link_token
    partner = app.test_client()
    partner_submits(partner, start_by_code(partner, codes[0]), "en kommentar")
    start_by_link(app.test_client(), token)  # a draft that stays unfinished
    start_by_code(app.test_client(), codes[1])  # a draft tied to a code
    return round_id


def test_deleting_a_round_removes_everything_that_refers_to_it(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    round_id = _busy_round(app, space.initiative_id)
    before = references_to(app, "rounds", [round_id])
    assert set(before) >= EVERY_KIND, before  # the check would see leftovers

    owner = facilitator_client(app, space.owner)
    confirm = owner.get(f"/rounds/{round_id}/delete")
    assert confirm.status_code == 200
    assert "7" in confirm.get_data(True)  # 6 + 1 responses are named
    assert round_exists(app, round_id)  # the confirmation page deletes nothing

    response = owner.post(
        f"/rounds/{round_id}/delete", data={"csrf_token": csrf_token_from(confirm.get_data(True))}
    )
    assert response.status_code == 302
    assert not round_exists(app, round_id)
    assert references_to(app, "rounds", [round_id]) == {}
    assert round_exists(app, space.round_ids[0])  # the other round is untouched
    assert references_to(app, "rounds", [space.round_ids[0]])["responses"] == 5
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == audit.ROUND_DELETED)
        ).one()
        assert entry.object_id == round_id and entry.initiative_id == space.initiative_id
        assert "7 responses" in entry.detail and "kommentar" not in entry.detail


def test_deleting_an_initiative_removes_all_its_rounds_and_members(app: Flask) -> None:
    space = make_workspace(app, responses=(5, 6), instruments=["consensus"])
    busy = _busy_round(app, space.initiative_id)
    with app.app_context():
        other_owner = db.session.scalar(select(User).where(User.email == space.owner))
        other = initiatives.create_initiative(other_owner, "Bliver")
        kept_round = rounds.create_round(other, "Bliver også", ["consensus"])
        db.session.commit()
        other_id, kept_round_id = other.id, kept_round.id
    round_ids = [*space.round_ids, busy]
    assert "memberships" in references_to(app, "initiatives", [space.initiative_id])

    owner = facilitator_client(app, space.owner)
    confirm = owner.get(f"/initiatives/{space.initiative_id}/delete").get_data(True)
    assert "18" in confirm  # 5 + 6 + 7 responses
    response = owner.post(
        f"/initiatives/{space.initiative_id}/delete", data={"csrf_token": csrf_token_from(confirm)}
    )
    assert response.status_code == 302

    assert references_to(app, "initiatives", [space.initiative_id]) == {}
    assert references_to(app, "rounds", round_ids) == {}
    with app.app_context():
        assert db.session.get(Initiative, space.initiative_id) is None
        assert all(db.session.get(Round, round_id) is None for round_id in round_ids)
        assert db.session.get(Initiative, other_id) is not None
        assert db.session.get(Round, kept_round_id) is not None
        assert db.session.scalar(select(func.count(User.id))) == 1  # accounts stay
        kept = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == audit.INITIATIVE_DELETED)
        ).one()
        assert kept.object_id == space.initiative_id and kept.initiative_id is None
        opened = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == audit.ROUND_OPENED)
        ).one()
        assert opened.initiative_id is None  # the fact stays, unscoped


def test_deletion_needs_a_post_with_csrf_and_an_owner(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    round_id = space.round_ids[0]
    owner = facilitator_client(app, space.owner)
    assert owner.post(f"/rounds/{round_id}/delete").status_code == 400  # no CSRF token
    assert owner.post(f"/initiatives/{space.initiative_id}/delete").status_code == 400
    assert owner.get(f"/rounds/{round_id}/delete").status_code == 200
    assert round_exists(app, round_id)

    member = facilitator_client(app, "member@example.org")
    with app.app_context():
        initiatives.add_member(
            db.session.get(Initiative, space.initiative_id), "member@example.org"
        )
        db.session.commit()
    assert member.get(f"/rounds/{round_id}/delete").status_code == 403
    token = csrf_token_from(member.get("/initiatives").get_data(True))
    assert member.post(f"/rounds/{round_id}/delete", data={"csrf_token": token}).status_code == 403
    path = f"/initiatives/{space.initiative_id}/delete"
    assert member.post(path, data={"csrf_token": token}).status_code == 403
    outsider = facilitator_client(app, "outsider@example.org")
    assert outsider.get(f"/rounds/{round_id}/delete").status_code == 404
    assert round_exists(app, round_id)


def test_delete_links_are_shown_to_owners_only(app: Flask) -> None:
    space = make_workspace(app, responses=(0,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    assert f"/rounds/{space.round_ids[0]}/delete" in owner.get(
        f"/rounds/{space.round_ids[0]}"
    ).get_data(True)
    initiative_page = owner.get(f"/initiatives/{space.initiative_id}").get_data(True)
    assert f"/initiatives/{space.initiative_id}/delete" in initiative_page
    member = facilitator_client(app, "member@example.org")
    with app.app_context():
        initiatives.add_member(
            db.session.get(Initiative, space.initiative_id), "member@example.org"
        )
        db.session.commit()
    assert "/delete" not in member.get(f"/rounds/{space.round_ids[0]}").get_data(True)
    assert "/delete" not in member.get(f"/initiatives/{space.initiative_id}").get_data(True)


def test_post_form_helper_is_a_real_confirmation(app: Flask) -> None:
    """The confirmation page's own form is what deletes (as a browser would submit it)."""
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    assert post_form(owner, f"/rounds/{space.round_ids[0]}/delete", {}).status_code == 302
    assert not round_exists(app, space.round_ids[0])
