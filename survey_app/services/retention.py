"""Retention: delete raw answers N months after a round closes, keep the aggregated scores.

Before the raw answers of a round go, its scored result is stored as JSON in
`RoundScoreSnapshot`: every statistic exactly as the dashboard showed it (groups below
the minimum group size are stored as suppressed, never as numbers), without comments and
without any answer. `services.results.round_analysis` serves that stored result for such
a round, so the dashboard, reports, exports of scores and comparisons across years keep
working. The raw data is deleted only when the stored result reproduces the live one
exactly.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from survey_app.core.agreement import Agreement
from survey_app.core.analysis import Analysis
from survey_app.core.anonymity import Suppressed, SuppressionReason
from survey_app.core.highlights import strengths_and_weaknesses
from survey_app.core.instruments import FactorRole, ItemKind, Measure
from survey_app.core.profile import phase_profile
from survey_app.core.recommendations import next_steps
from survey_app.core.scoring import (
    Band,
    ChoiceResult,
    ElementResult,
    ItemResult,
    ItemStat,
    Level,
    NumberResult,
    RoundResult,
    Stat,
)
from survey_app.core.stats import Summary
from survey_app.extensions import db
from survey_app.models import (
    Draft,
    Initiative,
    InvitationCode,
    Response,
    Round,
    RoundScoreSnapshot,
    RoundStatus,
    SubmissionKey,
)
from survey_app.services.definitions import RoundDefinitions, round_definitions

FORMAT_VERSION = 1
STORED_FIELDS = (
    "k",
    "k_comments",
    "n_responses",
    "responses_by_instrument",
    "items",
    "elements",
    "choices",
    "numbers",
    "breakdown_groups",
    "ignored_answers",
    "method",
)
CHECKED_FRAMES = ("elements", "items", "choices", "numbers")
_DATACLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Stat,
        ItemStat,
        Suppressed,
        ItemResult,
        ElementResult,
        ChoiceResult,
        NumberResult,
        Measure,
        Summary,
    )
}
_ENUMS: dict[str, type[Enum]] = {
    cls.__name__: cls for cls in (Band, Agreement, Level, FactorRole, SuppressionReason, ItemKind)
}
CACHE_SIZE = 64
_cache: OrderedDict[tuple[object, ...], Analysis] = OrderedDict()
_cache_lock = threading.Lock()


class RetentionError(RuntimeError):
    """The stored aggregates would not reproduce the round's result; nothing is deleted."""


# --- the codec -------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """A JSON-ready form of a result value; dataclasses and enums carry their type name."""
    if isinstance(value, Enum):
        return {"$enum": type(value).__name__, "value": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _DATACLASSES.get(name) is not type(value):
            raise TypeError(f"cannot store a {name}")
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": name, "fields": fields}
    if isinstance(value, Mapping):
        return {"$map": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def _decode(value: Any) -> Any:
    """The inverse of `_encode` (sequences come back as tuples)."""
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if not isinstance(value, dict):
        return value
    if "$enum" in value:
        return _ENUMS[value["$enum"]](value["value"])
    if "$dataclass" in value:
        cls = _DATACLASSES[value["$dataclass"]]
        return cls(**{name: _decode(item) for name, item in value["fields"].items()})
    return {_decode(key): _decode(item) for key, item in value["$map"]}


def encode_result(result: RoundResult) -> str:
    """The stored JSON of a round result: statistics only, no comments, no definitions."""
    payload = {name: _encode(getattr(result, name)) for name in STORED_FIELDS}
    return json.dumps({"format": FORMAT_VERSION, "result": payload}, sort_keys=True)


def decode_result(text: str, definitions: RoundDefinitions) -> RoundResult:
    """Rebuild a round result from its stored JSON and the round's definitions."""
    document = json.loads(text)
    if document.get("format") != FORMAT_VERSION:
        raise RetentionError(f"unknown stored result format {document.get('format')!r}")
    fields = {name: _decode(value) for name, value in document["result"].items()}
    return RoundResult(
        framework=definitions.framework,
        instruments=tuple(definitions.instruments),
        comments=(),
        **fields,
    )


def _check_round_trip(result: RoundResult, text: str, definitions: RoundDefinitions) -> None:
    """Raise RetentionError unless the stored text gives back exactly the same tables."""
    restored = decode_result(text, definitions)
    if encode_result(restored) != text:
        raise RetentionError("the stored result does not encode back to itself")
    for table in CHECKED_FRAMES:
        try:
            pd.testing.assert_frame_equal(result.to_frame(table), restored.to_frame(table))
        except AssertionError as error:
            raise RetentionError(f"the stored {table} differ from the live ones") from error


# --- minimum group size raised after the raw answers were deleted -------------------------


def _gate_stat(value: Any, k: int) -> Any:
    if isinstance(value, Stat) and value.n < k:
        return Suppressed(SuppressionReason.BELOW_K, k)
    return value


def _gate_breakdowns(element: ElementResult, k: int) -> dict[str, dict[str, Any]]:
    """Hide a whole breakdown when any of its groups falls below k (no subtraction)."""
    gated = {}
    for name, groups in element.breakdowns.items():
        small = any(isinstance(v, Stat) and v.n < k for v in groups.values())
        hidden = Suppressed(SuppressionReason.COMPLEMENTARY, k)
        gated[name] = {group: (hidden if small else value) for group, value in groups.items()}
    return gated


def regate(result: RoundResult, k: int) -> RoundResult:
    """The stored result under a larger minimum group size than it was stored with.

    Raw answers are gone, so suppression cannot be recomputed; this hides more, never
    less: every statistic of a group below k, and every breakdown with such a group.
    """
    if k <= result.k:
        return result
    elements = tuple(
        dataclasses.replace(
            element,
            overall=_gate_stat(element.overall, k),
            breakdowns=_gate_breakdowns(element, k),
        )
        for element in result.elements
    )
    items = tuple(dataclasses.replace(item, stat=_gate_stat(item.stat, k)) for item in result.items)
    hidden = Suppressed(SuppressionReason.BELOW_K, k)
    choices = tuple(
        dataclasses.replace(choice, counts=hidden, n=hidden)
        if isinstance(choice.n, int) and choice.n < k
        else choice
        for choice in result.choices
    )
    numbers = tuple(
        dataclasses.replace(number, summary=hidden)
        if isinstance(number.summary, Summary) and number.summary.n < k
        else number
        for number in result.numbers
    )
    return dataclasses.replace(
        result, k=k, elements=elements, items=items, choices=choices, numbers=numbers
    )


# --- serving the stored result -------------------------------------------------------------


def analysis_of(result: RoundResult) -> Analysis:
    """Profile, highlights and next steps of a (stored) result."""
    profile = phase_profile(result)
    return Analysis(result, profile, strengths_and_weaknesses(result), next_steps(result, profile))


def raw_deleted_on(round_: Round) -> date | None:
    """The day a round's raw answers were deleted under retention, or None."""
    return db.session.scalar(
        select(RoundScoreSnapshot.raw_deleted_on).where(RoundScoreSnapshot.round_id == round_.id)
    )


def stored_analysis(round_: Round) -> Analysis | None:
    """The analysis from the stored aggregates, for a round whose raw answers are gone."""
    row = db.session.execute(
        select(RoundScoreSnapshot.id, RoundScoreSnapshot.checksum).where(
            RoundScoreSnapshot.round_id == round_.id
        )
    ).first()
    if row is None:
        return None
    k = round_.initiative.min_group_size
    key = (round_.id, row.checksum, k)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    text = db.session.scalar(
        select(RoundScoreSnapshot.result_json).where(RoundScoreSnapshot.id == row.id)
    )
    analysis = analysis_of(regate(decode_result(text or "", round_definitions(round_)), k))
    with _cache_lock:
        _cache[key] = analysis
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return analysis


# --- the retention run ---------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionOutcome:
    """What retention deleted from one round (or would delete, in a dry run)."""

    round_id: int
    round_name: str
    initiative_name: str
    closed_on: date
    responses: int
    answers: int
    codes: int


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def due_rounds(today: date) -> list[Round]:
    """Closed rounds whose initiative's retention period has passed, raw data still there."""
    query = (
        select(Round)
        .join(Initiative)
        .where(
            Initiative.retention_months.is_not(None),
            Round.status == RoundStatus.CLOSED,
            Round.closed_on.is_not(None),
            ~select(RoundScoreSnapshot.id).where(RoundScoreSnapshot.round_id == Round.id).exists(),
        )
        .order_by(Round.id)
    )
    return [
        round_
        for round_ in db.session.scalars(query)
        if round_.closed_on < months_before(today, round_.initiative.retention_months or 0)
    ]


def store_aggregates(round_: Round, today: date) -> None:
    """Store the round's scored result, after checking it reproduces exactly."""
    from survey_app.services.results import round_analysis

    definitions = round_definitions(round_)
    result = round_analysis(round_).result
    text = encode_result(result)
    _check_round_trip(result, text, definitions)
    db.session.add(
        RoundScoreSnapshot(
            round_id=round_.id,
            format_version=FORMAT_VERSION,
            checksum=hashlib.sha256(text.encode()).hexdigest(),
            result_json=text,
            raw_deleted_on=today,
        )
    )


def _outcome(round_: Round) -> RetentionOutcome:
    """What retention deletes from a round, counted now."""
    from survey_app.services.deletion import round_counts

    counts = round_counts([round_.id])
    return RetentionOutcome(
        round_.id,
        round_.name,
        round_.initiative.name,
        round_.closed_on or date.min,
        counts.responses,
        counts.answers,
        counts.codes,
    )


def delete_raw_data(round_: Round) -> RetentionOutcome:
    """Delete a round's responses, answers, drafts, codes and submission keys."""
    from survey_app.services.deletion import delete_rows

    outcome = _outcome(round_)
    for model in (Response, Draft, InvitationCode, SubmissionKey):
        table = model.__table__
        delete_rows(table, table.c.round_id == round_.id)  # type: ignore[arg-type]
    return outcome


def apply(round_: Round, today: date) -> RetentionOutcome:
    """Store the aggregates of one round, then delete its raw data (caller commits)."""
    from survey_app.services import audit

    store_aggregates(round_, today)
    db.session.flush()
    outcome = delete_raw_data(round_)
    detail = f"{outcome.responses} responses, {outcome.answers} answers, {outcome.codes} codes"
    audit.record(audit.RAW_DATA_DELETED, round_, detail=detail)
    return outcome


def run(today: date | None = None, *, dry_run: bool = False) -> list[RetentionOutcome]:
    """Apply retention to every due round, one transaction per round; idempotent."""
    from survey_app.services.results import clear_cache

    today = today or date.today()
    outcomes = []
    for round_ in due_rounds(today):
        if dry_run:
            outcomes.append(_outcome(round_))
            continue
        try:
            outcomes.append(apply(round_, today))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    clear_cache()
    return outcomes
