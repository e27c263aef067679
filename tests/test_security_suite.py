"""Security properties checked across the whole app: escaping, safe GETs, CSRF on every POST.

The GET and POST checks enumerate app.url_map, so a route added later is covered without
touching this file; an argument name they do not know gets a generic value (1 or "x").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from survey_app.extensions import db
from survey_app.models import Membership, Role, Round
from tests.conftest import login
from tests.survey_helpers import (
    HIDDEN_KEY,
    OpenRound,
    answer_all,
    csrf,
    open_round,
    post_page,
    start_by_link,
)

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"]
FACILITATOR = "fac@example.org"
ADMIN = "admin@example.org"


# --- escaping ----------------------------------------------------------------------------


def _assert_literal(html: str, payload: str) -> None:
    """The payload is shown as text: escaped markup, and no template evaluation."""
    assert str(escape(payload)) in html
    if escape(payload) != payload:
        assert payload not in html
    assert "alert(1)</script>" not in html


def _to_your_time_page(client: FlaskClient, opened: OpenRound) -> str:
    """Start the resources instrument and pass its first page; returns page 2's URL."""
    first = start_by_link(client, opened.token)
    html = client.get(first).get_data(True)
    assert 'name="q_backbone_time_1"' in html
    response = post_page(client, first, {"backbone_time_1": "4"})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_free_text_answer_is_shown_literally_on_the_review(app: Flask, payload: str) -> None:
    opened = open_round(app, ["resources"], codes=0)
    client = app.test_client()
    second = _to_your_time_page(client, opened)
    response = post_page(client, second, {"hours_per_month": "12", "resources_comment": payload})
    assert response.status_code == 302
    review = answer_all(client, response.headers["Location"])
    html = client.get(review).get_data(True)
    _assert_literal(html, payload)
    assert "<dd>" + str(escape(payload)) + "</dd>" in html.replace("\n", "")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_number_answer_is_shown_literally_and_never_stored(app: Flask, payload: str) -> None:
    opened = open_round(app, ["resources"], codes=0)
    client = app.test_client()
    second = _to_your_time_page(client, opened)
    rerendered = post_page(client, second, {"hours_per_month": payload})
    assert rerendered.status_code == 200
    _assert_literal(rerendered.get_data(True), payload)
    review = answer_all(client, post_page(client, second, {}).headers["Location"])
    html = client.get(review).get_data(True)
    assert payload not in html and str(escape(payload)) not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_typed_code_is_shown_literally(app: Flask, payload: str) -> None:
    client = app.test_client()
    page = client.get("/code").get_data(True)
    response = client.post("/code", data={"code": payload, "csrf_token": csrf(page)})
    assert response.status_code == 200
    html = response.get_data(True)
    assert payload not in html or escape(payload) == payload


# --- every route ----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """An open round with codes, a facilitator who owns its initiative, and plausible ids."""

    opened: OpenRound
    values: dict[str, Any]


@pytest.fixture()
def world(app: Flask, make_user: Any) -> World:
    """Ids for every URL argument the app's routes use today."""
    opened = open_round(app, ["resources"], codes=3)
    user_id = make_user(FACILITATOR)
    with app.app_context():
        round_ = db.session.get(Round, opened.round_id)
        membership = Membership(initiative_id=round_.initiative_id, user_id=user_id, is_owner=True)
        db.session.add(membership)
        db.session.commit()
        values = {
            "round_id": opened.round_id,
            "initiative_id": round_.initiative_id,
            "membership_id": membership.id,
            "user_id": user_id,
            "number": 1,
            "token": opened.token,
            "code": opened.codes[2],
            "filename": "style.css",
            "instrument_id": "resources",
        }
    return World(opened, values)


def _argument_choices(rule: Rule, name: str, values: dict[str, Any]) -> list[Any]:
    converter = rule._converters[name]  # noqa: SLF001 (werkzeug keeps them here)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if name in values:
        return [values[name]]
    return [1] if isinstance(converter, IntegerConverter) else ["x"]


def urls_of(rule: Rule, values: dict[str, Any]) -> list[str]:
    """Every URL of a rule: one per choice of its <any(...)> arguments."""
    names = sorted(rule.arguments)
    choices = [_argument_choices(rule, name, values) for name in names]
    urls = []
    for combination in itertools.product(*choices):
        _, path = rule.build(dict(zip(names, combination, strict=True)), append_unknown=False)
        urls.append(path.split("|", 1)[-1])
    return urls


def routes(app: Flask, method: str) -> list[Rule]:
    """The app's rules that accept `method`."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in (rule.methods or set())),
        key=lambda rule: rule.rule,
    )


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for comparing before and after a request."""
    with app.app_context():
        return {
            table.name: sorted(
                (tuple(str(value) for value in row) for row in db.session.execute(select(table))),
            )
            for table in db.metadata.sorted_tables
        }


# Downloads are audited: a facilitator's GET may add audit entries, never change or drop one.
APPEND_ONLY_ON_GET = frozenset({"audit_entries"})


def _changed(
    before: dict[str, list[Any]],
    after: dict[str, list[Any]],
    appendable: AbstractSet[str] = frozenset(),
) -> list[str]:
    """Tables whose rows differ; in `appendable` tables, only lost or altered rows count."""
    changed = []
    for name, rows in before.items():
        if name in appendable:
            if not set(rows) <= set(after[name]):
                changed.append(name)
        elif rows != after[name]:
            changed.append(name)
    return changed


def _logged_in(app: Flask, world: World, email: str) -> FlaskClient:
    """A logged-in browser that has also started the survey."""
    client = app.test_client()
    assert login(client, email).status_code == 302
    start_by_link(client, world.opened.token)
    return client


@pytest.fixture()
def facilitator_client(app: Flask, world: World) -> Iterator[FlaskClient]:
    """A logged-in facilitator who owns the round's initiative."""
    yield _logged_in(app, world, FACILITATOR)


@pytest.fixture()
def admin_client(app: Flask, world: World, make_user: Any) -> Iterator[FlaskClient]:
    """A logged-in administrator."""
    make_user(ADMIN, Role.ADMIN)
    yield _logged_in(app, world, ADMIN)


def test_routes_are_enumerated(app: Flask) -> None:
    """The enumeration sees the survey, the auth pages and the static files."""
    endpoints = {rule.endpoint for rule in routes(app, "GET")}
    assert {"survey.intro", "survey.page", "auth.login", "static"} <= endpoints
    assert {"survey.submit", "auth.logout"} <= {rule.endpoint for rule in routes(app, "POST")}


def test_no_get_request_changes_the_database(
    app: Flask, world: World, facilitator_client: FlaskClient, admin_client: FlaskClient
) -> None:
    anonymous = app.test_client()
    start_by_link(anonymous, world.opened.token)
    clients = (
        (admin_client, APPEND_ONLY_ON_GET),
        (facilitator_client, APPEND_ONLY_ON_GET),
        (anonymous, frozenset()),
    )
    visited = []
    for rule in routes(app, "GET"):
        for url in urls_of(rule, world.values):
            for client, appendable in clients:
                before = snapshot(app)
                status = client.get(url).status_code
                changed = _changed(before, snapshot(app), appendable)
                assert not changed, f"GET {url} ({rule.endpoint}) -> {status} changed {changed}"
                visited.append(url)
    assert len(visited) >= 3 * 20


def _survey_form(client: FlaskClient, world: World, endpoint: str) -> dict[str, str]:
    """Form data that would change something if the survey route did not check CSRF."""
    if endpoint == "survey.enter_code":
        return {"code": world.opened.codes[0]}
    if endpoint == "survey.page":
        html = client.get(f"/r/{world.opened.round_id}/page/1").get_data(True)
        assert 'name="q_backbone_time_1"' in html
        return {"q_backbone_time_1": "5", "action": "next"}
    if endpoint == "survey.submit":
        review = answer_all(client, f"/r/{world.opened.round_id}/page/1")
        key = HIDDEN_KEY.search(client.get(review).get_data(True))
        assert key, "no submission key"
        return {"submission_key": key.group(1)}
    return {}


GENERIC_FORM = {
    "email": "new@example.org",
    "password": "correct horse battery staple",
    "confirm": "correct horse battery staple",
    "current": "correct horse battery staple",
    "name": "Nyt navn",
    "language": "en",
    "next": "/",
    "count": "5",
    "action": "next",
}


STARTING = {"survey.start", "survey.enter_code"}


def test_every_post_route_refuses_a_request_without_csrf_token(app: Flask, world: World) -> None:
    # Starting routes get a browser without a draft, so a forged request would create one.
    with_draft = _logged_in(app, world, FACILITATOR)
    without_draft = app.test_client()
    assert login(without_draft, FACILITATOR).status_code == 302
    checked = []
    for rule in routes(app, "POST"):
        for url in urls_of(rule, world.values):
            client = without_draft if rule.endpoint in STARTING else with_draft
            data = {**GENERIC_FORM, **_survey_form(client, world, rule.endpoint)}
            before = snapshot(app)
            response = client.post(url, data=data)
            changed = _changed(before, snapshot(app))
            where = f"POST {url} ({rule.endpoint}) -> {response.status_code}"
            assert not changed, f"{where} changed {changed}"
            if rule.endpoint.startswith("survey."):
                # Survey forms check the token themselves and keep the answers on screen.
                assert response.status_code in {200, 302}, where
                if response.status_code == 200:
                    assert 'name="csrf_token"' in response.get_data(True), where
            else:
                assert response.status_code == 400, where
            checked.append(rule.endpoint)
    assert {"survey.submit", "survey.page", "survey.enter_code", "auth.login"} <= set(checked)
