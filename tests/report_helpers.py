"""Rounds with answers shaped for report tests: divided questions, comments, sectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from flask import Flask
from sqlalchemy import insert

from survey_app.core.instruments import ItemKind
from survey_app.extensions import db
from survey_app.models import Answer, Response, Round, new_random_id
from survey_app.services import accounts, initiatives, rounds
from survey_app.services.definitions import round_definitions
from tests.conftest import TEST_PASSWORD
from tests.workspace_helpers import Workspace

INITIATIVE_NAME = "Fælles løft på Østerbro og i Århus"


@dataclass(frozen=True)
class Group:
    """Respondents of one sector answering around `level` (None: every answer is `fixed`)."""

    count: int
    sector: str | None = None
    level: float = 3.6
    fixed: int | None = None


def add_answers(
    round_: Round,
    groups: Sequence[Group],
    seed: int = 1,
    divided_share: float = 0.15,
    comments: Sequence[str] = (),
    comment_every: int = 1,
    comment_items: int | None = None,
) -> None:
    """Store responses: every scale item answered; some items split partners in two camps.

    Every `comment_every`-th response answers each comment item with the next text of
    `comments` (cycled), so hostile text can be planted; `comment_items` limits how many
    comment items (in instrument order) get it.
    """
    rng = np.random.default_rng(seed)
    instruments = round_definitions(round_).instruments
    scored = [(i, item) for i in instruments for item in i.scored_items()]
    divided = {(i.id, item.id) for i, item in scored if rng.random() < divided_share}
    comment_keys = [
        (i.id, item.id) for i in instruments for item in i.items() if item.kind is ItemKind.COMMENT
    ][:comment_items]
    index = 0
    for group in groups:
        for _ in range(group.count):
            response_id = new_random_id()
            db.session.execute(
                insert(Response.__table__).values(
                    id=response_id, round_id=round_.id, sector=group.sector
                )
            )
            rows = [
                _scale_row(response_id, instrument, item, group, rng, divided)
                for instrument, item in scored
            ]
            if comments and index % comment_every == 0:
                text = comments[(index // comment_every) % len(comments)]
                rows += [_comment_row(response_id, key, text) for key in comment_keys]
            db.session.execute(insert(Answer.__table__), rows)
            index += 1


def _scale_row(response_id, instrument, item, group, rng, divided) -> dict:  # noqa: ANN001
    points = instrument.scale_of(item).points
    if group.fixed is not None:
        value = float(group.fixed)
    elif (instrument.id, item.id) in divided:
        value = float(rng.choice([1, 2, 4, 5], p=[0.25, 0.25, 0.25, 0.25]))
    else:
        value = float(np.clip(np.rint(rng.normal(group.level, 0.55)), 1, points))
    return {
        "response_id": response_id,
        "instrument_id": instrument.id,
        "item_id": item.id,
        "value": value,
        "dont_know": False,
        "text": None,
    }


def _comment_row(response_id: str, key: tuple[str, str], text: str) -> dict:
    return {
        "response_id": response_id,
        "instrument_id": key[0],
        "item_id": key[1],
        "value": None,
        "dont_know": False,
        "text": text,
    }


def make_report_space(
    app: Flask,
    rounds_groups: Sequence[Sequence[Group]],
    instruments: list[str] | None = None,
    comments: Sequence[str] = (),
    codes: tuple[int, int] = (0, 0),
    owner_email: str = "owner@example.org",
    comment_every: int = 1,
    comment_items: int | None = None,
) -> Workspace:
    """An owner with an initiative and one closed round per entry of `rounds_groups`.

    `codes` = (used, total) invitation codes made for the last round.
    """
    with app.app_context():
        owner = accounts.create_user(owner_email, TEST_PASSWORD)
        initiative = initiatives.create_initiative(owner, INITIATIVE_NAME)
        round_ids = []
        for index, groups in enumerate(rounds_groups):
            round_ = rounds.create_round(initiative, f"Runde {index + 1} – forår", instruments)
            rounds.open_round(round_)
            add_answers(
                round_,
                groups,
                seed=index + 1,
                comments=comments,
                comment_every=comment_every,
                comment_items=comment_items,
            )
            rounds.close_round(round_)
            round_ids.append(round_.id)
        used, total = codes
        if total:
            _make_codes(db.session.get(Round, round_ids[-1]), used, total)
        db.session.commit()
        return Workspace(owner.email, initiative.id, tuple(round_ids))


def _make_codes(round_: Round, used: int, total: int) -> None:
    from survey_app.models import InvitationCode

    rounds.generate_codes(round_, total)
    db.session.flush()
    chosen = db.session.scalars(
        db.select(InvitationCode.id).where(InvitationCode.round_id == round_.id).limit(used)
    ).all()
    if chosen:
        db.session.execute(
            db.update(InvitationCode).where(InvitationCode.id.in_(chosen)).values(used=True)
        )
