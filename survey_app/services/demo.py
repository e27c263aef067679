"""A demo initiative with realistic synthetic answers, for trying the platform.

Three closed rounds and one open round. A seeded generator makes the collaboration
visibly improve from round to round, while the pace of the work stays divided: half the
partners agree, half disagree, in every round.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert, select

from survey_app.core.instruments import Instrument, ItemKind
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Response,
    Role,
    Round,
    User,
    new_random_id,
)
from survey_app.services import accounts, initiatives, rounds
from survey_app.services.definitions import round_definitions

DEMO_EMAIL = "demo@example.org"
DIVIDED_FACTOR = "pace"
ROUND_PLAN = (
    ("Efterår 2025", 14, 2.7),
    ("Forår 2026", 16, 3.3),
    ("Sommer 2026", 15, 3.9),
    ("Efterår 2026", 12, 4.3),
)
SECTORS = ("public", "public", "civil_society", "private", "citizen", "other")
ROLES = ("steering_group", "working_group", "partner", "partner", "backbone")
COMMENTS = (
    "Vi mangler tid til at følge op mellem møderne.",
    "Styregruppen er blevet bedre til at træffe beslutninger.",
    "Det er uklart, hvem der samler data ind.",
    "Flere borgere burde være med.",
    "Sekretariatet gør et stort arbejde.",
)


@dataclass(frozen=True)
class DemoLogin:
    """What the demo command prints."""

    email: str
    password: str
    open_round_token: str


def _answer(rng: np.random.Generator, mean: float, points: int) -> int:
    return int(np.clip(np.rint(rng.normal(mean, 0.5)), 1, points))


def _divided(rng: np.random.Generator, points: int) -> int:
    low_or_high = rng.random() < 0.5
    return int(rng.integers(1, 3)) if low_or_high else int(rng.integers(points - 1, points + 1))


def _response_rows(
    rng: np.random.Generator, instruments: tuple[Instrument, ...], level: float, response_id: str
) -> list[dict[str, object]]:
    person = rng.normal(0, 0.25)
    rows: list[dict[str, object]] = []
    for instrument in instruments:
        for item in instrument.items():
            row = {
                "response_id": response_id,
                "instrument_id": instrument.id,
                "item_id": item.id,
                "value": None,
                "dont_know": False,
                "text": None,
            }
            if item.kind is ItemKind.SCALE:
                if rng.random() < 0.03:
                    continue  # skipped
                scale = instrument.scale_of(item)
                if scale.dont_know is not None and rng.random() < 0.03:
                    row["dont_know"] = True
                elif item.measures and item.measures.factor == DIVIDED_FACTOR:
                    row["value"] = float(_divided(rng, scale.points))
                else:
                    value = _answer(rng, level + person, scale.points)
                    row["value"] = float(scale.points + 1 - value if item.reverse else value)
            elif item.kind is ItemKind.NUMBER:
                row["value"] = float(rng.integers(2, 25))
            elif item.kind is ItemKind.COMMENT:
                if rng.random() > 0.35:
                    continue
                row["text"] = COMMENTS[int(rng.integers(len(COMMENTS)))]
            else:
                continue
            rows.append(row)
    return rows


def _fill(round_: Round, count: int, level: float, rng: np.random.Generator, day: date) -> None:
    instruments = round_definitions(round_).instruments
    for _ in range(count):
        response_id = new_random_id()
        db.session.execute(
            insert(Response.__table__).values(
                id=response_id,
                round_id=round_.id,
                submitted_on=day,
                sector=SECTORS[int(rng.integers(len(SECTORS)))] if rng.random() < 0.9 else None,
                role=ROLES[int(rng.integers(len(ROLES)))] if rng.random() < 0.9 else None,
            )
        )
        rows = _response_rows(rng, instruments, level, response_id)
        if rows:
            db.session.execute(insert(Answer.__table__), rows)


def create_demo(seed: int = 2027, today: date | None = None) -> DemoLogin:
    """Create (or recreate) the demo facilitator, initiative and rounds."""
    today = today or date.today()
    rng = np.random.default_rng(seed)
    password = secrets.token_urlsafe(12)
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = accounts.create_user(DEMO_EMAIL, password, role=Role.FACILITATOR, name="Demo")
    else:
        accounts.change_password(user, password)
    initiative = initiatives.create_initiative(
        user,
        "Tryg i Nordby (demo)",
        "Kommune, skoler, boligforening, idrætsforeninger og lokale virksomheder arbejder "
        "sammen om, at flere unge i Nordby gennemfører en uddannelse.",
    )
    open_token = ""
    for index, (name, count, level) in enumerate(ROUND_PLAN):
        start = today - timedelta(days=120 * (len(ROUND_PLAN) - 1 - index) + 14)
        round_ = rounds.create_round(initiative, name, planned_start=start)
        rounds.open_round(round_)
        round_.opened_on = start
        _fill(round_, count, level, rng, start + timedelta(days=7))
        if index < len(ROUND_PLAN) - 1:
            rounds.close_round(round_)
            round_.closed_on = start + timedelta(days=14)
        else:
            open_token = round_.link_token
            rounds.generate_codes(round_, 20)
    db.session.commit()
    return DemoLogin(DEMO_EMAIL, password, open_token)
