"""Survey rounds: creation, the open/close state machine, invitation codes."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Draft,
    Initiative,
    InvitationCode,
    Response,
    Round,
    RoundInstrument,
    RoundStatus,
)
from survey_app.services import retention
from survey_app.services.definitions import current_library, snapshot_round

# No 0/O, 1/I/L, U or V: codes are typed from paper and read aloud.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_GROUPS = (4, 4, 2)
MAX_CODES_PER_REQUEST = 2000


class RoundStateError(ValueError):
    """A state change that the round's current state does not allow."""


def create_round(
    initiative: Initiative,
    name: str,
    instrument_ids: Sequence[str] | None = None,
    *,
    planned_start: date | None = None,
    planned_end: date | None = None,
) -> Round:
    """Create a draft round asking the given instruments (default: all shipped ones)."""
    library = current_library()
    chosen = list(instrument_ids) if instrument_ids else library.instrument_ids()
    unknown = [
        instrument_id for instrument_id in chosen if instrument_id not in library.instruments
    ]
    if unknown:
        raise ValueError(f"unknown instruments: {', '.join(unknown)}")
    round_ = Round(
        initiative=initiative, name=name, planned_start=planned_start, planned_end=planned_end
    )
    round_.instruments = [
        RoundInstrument(instrument_id=instrument_id, position=index)
        for index, instrument_id in enumerate(chosen)
    ]
    db.session.add(round_)
    db.session.flush()
    return round_


def open_round(round_: Round) -> None:
    """Open a draft or closed round for answers; snapshots its definitions the first time."""
    if round_.status is RoundStatus.OPEN:
        raise RoundStateError("the round is open already")
    snapshot_round(round_)
    round_.status = RoundStatus.OPEN
    round_.opened_on = round_.opened_on or date.today()
    round_.closed_on = None


def close_round(round_: Round) -> int:
    """Close an open round and delete its unfinished drafts; returns how many were deleted."""
    if round_.status is not RoundStatus.OPEN:
        raise RoundStateError("only an open round can be closed")
    round_.status = RoundStatus.CLOSED
    round_.closed_on = date.today()
    result = db.session.execute(delete(Draft).where(Draft.round_id == round_.id))
    return int(result.rowcount or 0)


def response_count(round_id: int) -> int:
    """Submitted responses of a round that are stored as raw answers."""
    query = select(func.count(Response.id)).where(Response.round_id == round_id)
    return db.session.scalar(query) or 0


def received_responses(round_: Round) -> int:
    """Responses a round received, also after retention deleted its raw answers."""
    counted = response_count(round_.id)
    if counted:
        return counted
    stored = retention.stored_analysis(round_)
    return stored.result.n_responses if stored is not None else 0


def new_code() -> str:
    """A random invitation code like K7QF-9MXT-2B (49 bits)."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(size)) for size in CODE_GROUPS)
    return "-".join(groups)


def normalise_code(raw: str) -> str:
    """Accept codes typed in lower case, with spaces or without dashes."""
    compact = "".join(char for char in raw.upper() if char.isalnum())
    if len(compact) != sum(CODE_GROUPS):
        return compact
    parts, start = [], 0
    for size in CODE_GROUPS:
        parts.append(compact[start : start + size])
        start += size
    return "-".join(parts)


def generate_codes(round_: Round, count: int) -> list[str]:
    """Create `count` new single-use codes for a round and return them."""
    if not 1 <= count <= MAX_CODES_PER_REQUEST:
        raise ValueError(f"between 1 and {MAX_CODES_PER_REQUEST} codes at a time")
    codes: set[str] = set()
    while len(codes) < count:
        # Ask the database only about the new candidates: with 49 bits a clash is rare,
        # and all codes ever made need not be loaded.
        candidates = {new_code() for _ in range(count - len(codes))} - codes
        taken = db.session.scalars(
            select(InvitationCode.code).where(InvitationCode.code.in_(candidates))
        )
        codes |= candidates - set(taken)
    made = sorted(codes)
    db.session.add_all(InvitationCode(round_id=round_.id, code=code) for code in made)
    db.session.flush()
    return made


def used_code_count(round_id: int) -> tuple[int, int]:
    """(used, total) invitation codes of a round; never which code gave which response."""
    total = db.session.scalar(
        select(func.count(InvitationCode.id)).where(InvitationCode.round_id == round_id)
    )
    used = db.session.scalar(
        select(func.count(InvitationCode.id)).where(
            InvitationCode.round_id == round_id, InvitationCode.used.is_(True)
        )
    )
    return int(used or 0), int(total or 0)


def instruments_locked(round_: Round) -> bool:
    """A round's instruments are fixed once it has responses (or snapshots)."""
    return response_count(round_.id) > 0 or any(e.snapshot_id for e in round_.instruments)


def set_instruments(round_: Round, instrument_ids: Sequence[str]) -> None:
    """Replace a round's instruments while that is still allowed."""
    if instruments_locked(round_):
        raise RoundStateError("the instruments of a round with responses cannot change")
    library = current_library()
    unknown = [
        instrument_id
        for instrument_id in instrument_ids
        if instrument_id not in library.instruments
    ]
    if unknown:
        raise ValueError(f"unknown instruments: {', '.join(unknown)}")
    round_.instruments.clear()
    db.session.flush()
    round_.instruments.extend(
        RoundInstrument(instrument_id=instrument_id, position=index)
        for index, instrument_id in enumerate(instrument_ids)
    )


@dataclass(frozen=True)
class LiveStatus:
    """How a round is going: responses so far, drafts in progress, completion."""

    responses: int
    drafts: int
    min_group_size: int
    completion: dict[str, int]  # instrument id -> responses with at least one answer there

    @property
    def missing_for_results(self) -> int:
        """How many more responses are needed before any result is shown."""
        return max(0, self.min_group_size - self.responses)


def live_status(round_: Round) -> LiveStatus:
    """Counts for the round page; never anything about individual responses.

    After retention deleted the raw answers, the counts come from the stored scores.
    """
    stored = retention.stored_analysis(round_)
    if stored is not None:
        return LiveStatus(
            responses=stored.result.n_responses,
            drafts=0,
            min_group_size=round_.initiative.min_group_size,
            completion=dict(stored.result.responses_by_instrument),
        )
    drafts = db.session.scalar(select(func.count(Draft.id)).where(Draft.round_id == round_.id))
    per_instrument = db.session.execute(
        select(Answer.instrument_id, func.count(func.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_.id)
        .group_by(Answer.instrument_id)
    )
    return LiveStatus(
        responses=response_count(round_.id),
        drafts=int(drafts or 0),
        min_group_size=round_.initiative.min_group_size,
        completion={instrument_id: int(count) for instrument_id, count in per_instrument},
    )
