"""Helpers for facilitator workspace tests: accounts, an initiative with answered rounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from survey_app.extensions import db
from survey_app.models import Answer, Response, Role, Round, new_random_id
from survey_app.services import accounts, initiatives, rounds
from survey_app.services.definitions import round_definitions
from tests.conftest import TEST_PASSWORD, login


@dataclass(frozen=True)
class Workspace:
    """Ids a workspace test needs."""

    owner: str
    initiative_id: int
    round_ids: tuple[int, ...]


def add_responses(
    round_: Round, count: int, seed: int = 1, level: float = 3.5, sectors: list[str] | None = None
) -> None:
    """Store `count` synthetic responses answering every scale item of the round."""
    rng = np.random.default_rng(seed)
    instruments = round_definitions(round_).instruments
    for index in range(count):
        response_id = new_random_id()
        sector = sectors[index % len(sectors)] if sectors else None
        db.session.execute(
            insert(Response.__table__).values(id=response_id, round_id=round_.id, sector=sector)
        )
        rows = []
        for instrument in instruments:
            for item in instrument.scored_items():
                points = instrument.scale_of(item).points
                value = float(np.clip(np.rint(rng.normal(level, 0.6)), 1, points))
                rows.append(
                    {
                        "response_id": response_id,
                        "instrument_id": instrument.id,
                        "item_id": item.id,
                        "value": value,
                        "dont_know": False,
                        "text": None,
                    }
                )
        db.session.execute(insert(Answer.__table__), rows)


def make_workspace(
    app: Flask, responses: tuple[int, ...] = (8, 9), instruments: list[str] | None = None
) -> Workspace:
    """An owner facilitator with an initiative and closed rounds holding answers."""
    with app.app_context():
        owner = accounts.create_user("owner@example.org", TEST_PASSWORD)
        initiative = initiatives.create_initiative(owner, "Tryg i Nordby")
        round_ids = []
        for index, count in enumerate(responses):
            round_ = rounds.create_round(initiative, f"Runde {index + 1}", instruments)
            rounds.open_round(round_)
            add_responses(round_, count, seed=index + 1, level=3.0 + 0.5 * index)
            rounds.close_round(round_)
            round_ids.append(round_.id)
        db.session.commit()
        return Workspace(owner.email, initiative.id, tuple(round_ids))


def facilitator_client(app: Flask, email: str, role: Role = Role.FACILITATOR) -> FlaskClient:
    """A client logged in as (a possibly new) account with this e-mail."""
    with app.app_context():
        if accounts.authenticate(email, TEST_PASSWORD) is None:
            accounts.create_user(email, TEST_PASSWORD, role=role)
            db.session.commit()
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client
