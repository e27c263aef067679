"""Helpers for tests that answer surveys through the real pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Initiative
from survey_app.services import rounds

HIDDEN_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
SCALE_ITEM = re.compile(r'type="radio" id="[^"]+" name="q_([a-z0-9_-]+)" value="1"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class OpenRound:
    """What a test needs to reach an open round."""

    round_id: int
    token: str
    codes: tuple[str, ...]


def open_round(
    app: Flask, instruments: list[str] | None = None, codes: int = 3, k: int = 5
) -> OpenRound:
    """Create an initiative with an open round, optionally with invitation codes."""
    with app.app_context():
        initiative = Initiative(name="Tryg i Nordby", min_group_size=k)
        db.session.add(initiative)
        round_ = rounds.create_round(initiative, "Forår 2027", instruments)
        rounds.open_round(round_)
        made = rounds.generate_codes(round_, codes) if codes else []
        db.session.commit()
        return OpenRound(round_.id, round_.link_token, tuple(made))


def csrf(html: str) -> str:
    """The CSRF token of a rendered page."""
    match = CSRF.search(html)
    assert match, "no csrf token"
    return match.group(1)


def start_by_link(client: FlaskClient, token: str) -> str:
    """Open the intro and press start; returns the first page's URL."""
    intro = client.get(f"/s/{token}")
    assert intro.status_code == 200
    response = client.post(f"/s/{token}/start", data={"csrf_token": csrf(intro.get_data(True))})
    assert response.status_code == 302
    return response.headers["Location"]


def start_by_code(client: FlaskClient, code: str) -> str:
    """Enter a code; returns the page URL it leads to."""
    page = client.get("/code")
    response = client.post("/code", data={"code": code, "csrf_token": csrf(page.get_data(True))})
    assert response.status_code == 302, response.get_data(True)
    return response.headers["Location"]


def post_page(
    client: FlaskClient,
    url: str,
    answers: dict[str, str | list[str]],
    action: str = "next",
    **extra: str,
):  # noqa: ANN201
    """Post a survey page with answers keyed by item id."""
    page = client.get(url)
    data: dict[str, object] = {f"q_{key}": value for key, value in answers.items()}
    data.update({"csrf_token": csrf(page.get_data(True)), "action": action, **extra})
    return client.post(url, data=data)


def scale_items(html: str) -> list[str]:
    """Ids of the scale items on a rendered survey page, in page order."""
    return SCALE_ITEM.findall(html)


def answer_all(client: FlaskClient, first_url: str, value: str = "4") -> str:
    """Answer every scale item on every page with `value`; returns the review URL."""
    url = first_url
    while "/page/" in url:
        html = client.get(url).get_data(True)
        response = post_page(client, url, {name: value for name in scale_items(html)})
        assert response.status_code == 302, response.get_data(True)[:2000]
        url = response.headers["Location"]
    return url


def submit_review(client: FlaskClient, review_url: str):  # noqa: ANN201
    """Press 'send' on the review page."""
    html = client.get(review_url).get_data(True)
    key = HIDDEN_KEY.search(html)
    assert key, "no submission key on the review page"
    round_part = review_url.split("/review")[0]
    return client.post(
        f"{round_part}/submit", data={"csrf_token": csrf(html), "submission_key": key.group(1)}
    )
