"""Deleting rounds and initiatives with everything that refers to them.

Deletion follows the foreign keys in the metadata rather than a hand-kept list, so a
table added later that refers to a round (or to a response, a code, …) is emptied too:
rows that refer with ON DELETE SET NULL keep living with the reference cleared (the
audit log keeps the fact of a deletion, not the content); every other referring row is
deleted first, depth first. SQLite runs with secure_delete, so the content is zeroed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, delete, func, select, update

from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Draft,
    Initiative,
    InvitationCode,
    Response,
    Round,
)
from survey_app.services import results


@dataclass(frozen=True)
class RoundCounts:
    """What deleting a round removes."""

    responses: int
    answers: int
    drafts: int
    codes: int


@dataclass(frozen=True)
class DeletedRound:
    """What was deleted, for the audit log and the message to the user."""

    round_id: int
    initiative_id: int
    name: str
    counts: RoundCounts


@dataclass(frozen=True)
class DeletedInitiative:
    """What was deleted with an initiative."""

    initiative_id: int
    name: str
    rounds: int
    counts: RoundCounts


def _count(query: object) -> int:
    return int(db.session.scalar(query) or 0)  # type: ignore[arg-type]


def round_counts(round_ids: list[int]) -> RoundCounts:
    """Responses, answers, drafts and codes of the given rounds."""
    if not round_ids:
        return RoundCounts(0, 0, 0, 0)
    responses = select(Response.id).where(Response.round_id.in_(round_ids))
    return RoundCounts(
        responses=_count(select(func.count()).select_from(responses.subquery())),
        answers=_count(select(func.count()).where(Answer.response_id.in_(responses))),
        drafts=_count(select(func.count(Draft.id)).where(Draft.round_id.in_(round_ids))),
        codes=_count(
            select(func.count(InvitationCode.id)).where(InvitationCode.round_id.in_(round_ids))
        ),
    )


def delete_rows(table: Table, condition: ColumnElement[bool]) -> int:
    """Delete the rows of `table` matching `condition` and, first, everything referring to them.

    Returns the number of rows deleted from `table` itself.
    """
    for referring in db.metadata.sorted_tables:
        for foreign_key in referring.foreign_keys:
            if foreign_key.column.table is not table:
                continue
            targets = select(foreign_key.column).where(condition)
            if (foreign_key.ondelete or "").upper() == "SET NULL":
                db.session.execute(
                    update(referring)
                    .where(foreign_key.parent.in_(targets))
                    .values({foreign_key.parent.name: None})
                )
            elif referring is not table:
                delete_rows(referring, foreign_key.parent.in_(targets))
    result = db.session.execute(delete(table).where(condition))
    return int(result.rowcount or 0)


def delete_round(round_: Round) -> DeletedRound:
    """Delete a round with its responses, answers, drafts, codes and submission keys."""
    deleted = DeletedRound(round_.id, round_.initiative_id, round_.name, round_counts([round_.id]))
    rounds_table = Round.__table__
    db.session.expunge(round_)
    delete_rows(rounds_table, rounds_table.c.id == deleted.round_id)  # type: ignore[arg-type]
    db.session.expire_all()
    results.clear_cache()
    return deleted


def delete_initiative(initiative: Initiative) -> DeletedInitiative:
    """Delete an initiative with its memberships and every round's data."""
    round_ids = [round_.id for round_ in initiative.rounds]
    deleted = DeletedInitiative(
        initiative.id, initiative.name, len(round_ids), round_counts(round_ids)
    )
    table = Initiative.__table__
    db.session.expunge(initiative)
    delete_rows(table, table.c.id == deleted.initiative_id)  # type: ignore[arg-type]
    db.session.expire_all()
    results.clear_cache()
    return deleted
