"""Every admin route that takes an id checks who is asking."""

from __future__ import annotations

import re

from flask import Flask

from survey_app.extensions import db
from survey_app.models import Initiative, Round, RoundStatus
from survey_app.services import initiatives
from tests.admin_helpers import round_exists
from tests.conftest import csrf_token_from
from tests.workspace_helpers import facilitator_client, make_workspace

SCOPED = ("initiative_id", "round_id")
# Pages a plain member (not an owner) of the initiative may use.
MEMBER_ENDPOINTS = {"admin.comments", "admin.comment_redact"}


def _routes(app: Flask) -> list[tuple[str, set[str], str]]:
    """(rule, methods, endpoint) of every admin route with an initiative or round id."""
    return [
        (rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"}, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and set(rule.arguments) & set(SCOPED)
    ]


def _fill(rule: str, initiative_id: int, round_id: int) -> str:
    url = rule.replace("<int:initiative_id>", str(initiative_id))
    url = url.replace("<int:round_id>", str(round_id)).replace("<ref>", "0" * 32)
    return re.sub(r"<any\(([a-z]+)[^>]*\):\w+>", lambda m: m.group(1), url)


def test_scoped_routes_are_enumerated(app: Flask) -> None:
    endpoints = {endpoint for _rule, _methods, endpoint in _routes(app)}
    assert {
        "admin.round_delete",
        "admin.initiative_delete",
        "admin.initiative_export",
        "admin.retention_update",
        "admin.initiative_audit_log",
        "admin.comment_redact",
        "admin.comments",
        "admin.initiative_data",
    } <= endpoints


def test_outsiders_get_404_members_403_and_nothing_changes(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    outsider = facilitator_client(app, "outsider@example.org")
    member = facilitator_client(app, "member@example.org")
    with app.app_context():
        initiatives.add_member(
            db.session.get(Initiative, space.initiative_id), "member@example.org"
        )
        db.session.commit()
    checked = 0
    for client, expected in ((outsider, 404), (member, 403)):
        token = csrf_token_from(client.get("/initiatives").get_data(True))
        for rule, methods, endpoint in _routes(app):
            url = _fill(rule, space.initiative_id, space.round_ids[0])
            wanted = 404 if endpoint == "admin.comment_redact" else expected
            if expected == 403 and endpoint in MEMBER_ENDPOINTS:
                continue
            for method in methods:
                data = {"csrf_token": token, "retention_months": "1"}
                response = client.open(url, method=method, data=data if method == "POST" else None)
                assert response.status_code == wanted, (client, method, url, response.status_code)
                checked += 1
    assert checked >= 18
    assert round_exists(app, space.round_ids[0])
    with app.app_context():
        initiative = db.session.get(Initiative, space.initiative_id)
        assert initiative.retention_months is None
        assert db.session.get(Round, space.round_ids[0]).status is RoundStatus.CLOSED


def test_owner_and_admin_reach_every_page(app: Flask) -> None:
    from survey_app.models import Role

    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    for client in (
        facilitator_client(app, space.owner),
        facilitator_client(app, "admin@example.org", role=Role.ADMIN),
    ):
        for rule, methods, endpoint in _routes(app):
            if "GET" in methods and endpoint != "admin.comment_redact":
                url = _fill(rule, space.initiative_id, space.round_ids[0])
                assert client.get(url).status_code == 200, url
