"""Taking a survey: entry by link or code, drafts saved page by page, anonymous submission."""

from __future__ import annotations

import enum
import json
import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from survey_app.core.instruments import Instrument, Item, ItemKind, Section
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Draft,
    InvitationCode,
    Response,
    Round,
    RoundStatus,
    SubmissionKey,
    new_random_id,
)
from survey_app.services.definitions import (
    RoundDefinitions,
    definitions_for_round,
    round_definitions,
)
from survey_app.services.rounds import normalise_code

DONT_KNOW = "dk"
BACKGROUND = "_background"


@dataclass(frozen=True)
class Page:
    """One page of the survey: an instrument section, or the background questions."""

    number: int
    instrument: Instrument | None = None
    section: Section | None = None

    @property
    def is_background(self) -> bool:
        """True for the page of optional questions about the respondent."""
        return self.section is None


@dataclass(frozen=True)
class SurveyPlan:
    """The pages of a round's survey, in order."""

    definitions: RoundDefinitions
    pages: tuple[Page, ...]

    def page(self, number: int) -> Page | None:
        """Page `number` (1-based), or None when out of range."""
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None

    @property
    def minutes(self) -> int:
        """Estimated answering time of all the round's instruments."""
        return sum(instrument.minutes for instrument in self.definitions.instruments)


def survey_plan(round_: Round) -> SurveyPlan:
    """Pages: every section of every instrument, then the background questions."""
    return _plan(round_definitions(round_))


def plan_for(definitions: RoundDefinitions) -> SurveyPlan:
    """The pages for a set of definitions without a round (the library's preview)."""
    return _plan(definitions)


@lru_cache(maxsize=256)
def _plan(definitions: RoundDefinitions) -> SurveyPlan:
    pages: list[Page] = []
    for instrument in definitions.instruments:
        for section in instrument.sections:
            pages.append(Page(len(pages) + 1, instrument, section))
    if definitions.framework.background:
        pages.append(Page(len(pages) + 1))
    return SurveyPlan(definitions, tuple(pages))


# --- entry ---------------------------------------------------------------------------


def round_by_link(token: str) -> Round | None:
    """The round behind an open-link token (whatever its state)."""
    if not token or len(token) > 64:
        return None
    round_ = db.session.scalar(select(Round).where(Round.link_token == token))
    return round_ if round_ is not None and round_.link_enabled else None


def code_record(raw_code: str) -> InvitationCode | None:
    """The invitation code as typed by a partner, or None."""
    code = normalise_code(raw_code)
    if not code or len(code) > 20:
        return None
    return db.session.scalar(select(InvitationCode).where(InvitationCode.code == code))


def new_submission_key() -> str:
    """A random key that makes one submission idempotent."""
    return secrets.token_urlsafe(24)


def start_draft(round_: Round, code: InvitationCode | None = None) -> Draft:
    """A new draft, or the existing draft of this code (resume from any device)."""
    if code is not None:
        existing = _draft_of_code(code.id)
        if existing is not None:
            return existing
    draft = Draft(round_id=round_.id, code_id=code.id if code else None)
    draft.answers_json = json.dumps({"answers": {}, "page": 1, "key": new_submission_key()})
    try:
        with db.session.begin_nested():
            db.session.add(draft)
    except IntegrityError:
        # Someone entered the same code at the same moment: share their draft.
        existing = _draft_of_code(code.id) if code is not None else None
        if existing is None:
            raise
        return existing
    return draft


def _draft_of_code(code_id: int) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.code_id == code_id))


def load_draft(draft_id: str | None, round_id: int) -> Draft | None:
    """The draft with this id if it belongs to the round."""
    if not draft_id or len(draft_id) > 32:
        return None
    return db.session.get(Draft, (round_id, draft_id))


# --- drafts ----------------------------------------------------------------------------


def draft_state(draft: Draft) -> dict[str, Any]:
    """The saved answers and position of a draft."""
    state = json.loads(draft.answers_json or "{}")
    state.setdefault("answers", {})
    state.setdefault("page", 1)
    state.setdefault("key", new_submission_key())
    return state


def page_key(page: Page) -> str:
    """Where a page's answers are kept in the draft."""
    return BACKGROUND if page.is_background else page.instrument.id  # type: ignore[union-attr]


def saved_answers(draft: Draft, page: Page) -> dict[str, Any]:
    """The raw answers saved for a page, by item id."""
    return draft_state(draft)["answers"].get(page_key(page), {})


def save_answers(draft: Draft, page: Page, answers: dict[str, Any], next_page: int) -> None:
    """Merge a page's raw answers into the draft and remember where the partner is."""
    state = draft_state(draft)
    bucket = state["answers"].setdefault(page_key(page), {})
    for item_id, value in answers.items():
        if value in (None, "", []):
            bucket.pop(item_id, None)
        else:
            bucket[item_id] = value
    state["page"] = next_page
    draft.answers_json = json.dumps(state, ensure_ascii=False)
    draft.updated_on = date.today()


# --- submission ------------------------------------------------------------------------


class SubmitOutcome(enum.StrEnum):
    """What happened to a submission."""

    STORED = "stored"
    ALREADY_RECEIVED = "already_received"
    ROUND_CLOSED = "round_closed"
    CODE_USED = "code_used"
    DRAFT_MISSING = "draft_missing"


def _answer_row(
    response_id: str, instrument_id: str, item: Item, raw: Any
) -> dict[str, Any] | None:
    """The stored row of one raw draft answer, or None for an empty one."""
    row = {
        "response_id": response_id,
        "instrument_id": instrument_id,
        "item_id": item.id,
        "value": None,
        "dont_know": False,
        "text": None,
    }
    if item.kind is ItemKind.SCALE:
        if raw == DONT_KNOW:
            row["dont_know"] = True
        else:
            row["value"] = float(int(raw))
    elif item.kind is ItemKind.NUMBER:
        row["value"] = float(str(raw).replace(",", "."))
    else:
        text = "|".join(raw) if item.kind is ItemKind.MULTIPLE else str(raw).strip()
        if not text:
            return None
        row["text"] = text
    return row


def answer_rows(plan: SurveyPlan, state: dict[str, Any], response_id: str) -> list[dict[str, Any]]:
    """Typed answer rows of a draft, ready for one bulk insert."""
    rows = []
    for instrument in plan.definitions.instruments:
        raw_answers = state["answers"].get(instrument.id)
        if not raw_answers:
            continue
        for item in instrument.items():
            if item.id in raw_answers:
                row = _answer_row(response_id, instrument.id, item, raw_answers[item.id])
                if row is not None:
                    rows.append(row)
    return rows


_ROUNDS = Round.__table__
_DRAFTS = Draft.__table__
_CODES = InvitationCode.__table__
# Statements built once: a meeting where everyone presses "send" at the same moment is the
# hot path, so it runs prepared table-level statements on the session's connection.
#
# Taking the draft is one DELETE ... RETURNING that also checks the round is open. Closing
# a round deletes its drafts in the same transaction as the status change, so the draft
# row's lock orders a submission and a close: whichever commits first wins, and nothing
# is stored after a close.
_TAKE_DRAFT = (
    delete(_DRAFTS)
    .where(
        _DRAFTS.c.id == bindparam("draft_id"),
        _DRAFTS.c.round_id == bindparam("round_id"),
        exists().where(_ROUNDS.c.id == bindparam("round_id"), _ROUNDS.c.status == RoundStatus.OPEN),
    )
    .returning(
        _DRAFTS.c.answers_json,
        _DRAFTS.c.code_id,
        select(_ROUNDS.c.framework_snapshot_id)
        .where(_ROUNDS.c.id == bindparam("round_id"))
        .scalar_subquery()
        .label("framework_snapshot_id"),
        select(_ROUNDS.c.created_at)
        .where(_ROUNDS.c.id == bindparam("round_id"))
        .scalar_subquery()
        .label("created_at"),
    )
)
_CLAIM_CODE = (
    update(_CODES)
    .where(_CODES.c.id == bindparam("code_id"), _CODES.c.used.is_(False))
    .values(used=True)
)
_INSERT_KEY = insert(SubmissionKey.__table__)
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_ANSWERS = insert(Answer.__table__)


def submit(round_id: int, draft_id: str, key: str) -> SubmitOutcome:
    """Store a draft as a response in one transaction, at most once per key and code."""
    connection = db.session.connection()
    taken = connection.execute(
        _TAKE_DRAFT, {"round_id": round_id, "draft_id": (draft_id or "")[:32]}
    ).first()
    state = json.loads(taken.answers_json) if taken is not None else None
    if taken is None or not state or state.get("key") != key:
        db.session.rollback()
        return _outcome_without_draft(round_id, key)
    if taken.code_id is not None:
        claimed = connection.execute(_CLAIM_CODE, {"code_id": taken.code_id})
        if claimed.rowcount != 1:  # another transaction used the code first
            db.session.rollback()
            return SubmitOutcome.CODE_USED
    definitions = definitions_for_round(round_id, taken.framework_snapshot_id, taken.created_at)
    try:
        _store_response(connection, round_id, _plan(definitions), state, key)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return SubmitOutcome.ALREADY_RECEIVED
    return SubmitOutcome.STORED


def _store_response(
    connection: Connection, round_id: int, plan: SurveyPlan, state: dict[str, Any], key: str
) -> None:
    """Insert the submission key, the response and its answers (one executemany)."""
    background = state["answers"].get(BACKGROUND, {})
    response_id = new_random_id()
    connection.execute(_INSERT_KEY, {"key": key, "round_id": round_id})
    connection.execute(
        _INSERT_RESPONSE,
        {
            "id": response_id,
            "round_id": round_id,
            "submitted_on": date.today(),
            "sector": background.get("sector"),
            "role": background.get("role"),
        },
    )
    rows = answer_rows(plan, state, response_id)
    if rows:
        connection.execute(_INSERT_ANSWERS, rows)


def _outcome_without_draft(round_id: int, key: str) -> SubmitOutcome:
    """Why no draft could be taken: closed round, a repeated click, or a lost draft."""
    status = db.session.scalar(select(Round.status).where(Round.id == round_id))
    if status is not RoundStatus.OPEN:
        return SubmitOutcome.ROUND_CLOSED
    seen = db.session.scalar(
        select(SubmissionKey.key).where(
            SubmissionKey.key == key, SubmissionKey.round_id == round_id
        )
    )
    return SubmitOutcome.ALREADY_RECEIVED if seen else SubmitOutcome.DRAFT_MISSING
