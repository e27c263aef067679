"""Round results: load answers from the database, score them once, cache until they change.

Every view of results (dashboard, report, PDF, exports) goes through `round_analysis`, so
their numbers can never disagree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from sqlalchemy import func, select

from survey_app.core.analysis import Analysis, analyse_round
from survey_app.extensions import db
from survey_app.models import Answer, Response, Round
from survey_app.services import retention
from survey_app.services.definitions import round_definitions

ANSWER_COLUMNS = ["response_id", "instrument_id", "item_id", "value", "dont_know", "text"]
RESPONDENT_COLUMNS = ["response_id", "sector", "role"]
CACHE_SIZE = 64

_cache: OrderedDict[tuple[object, ...], Analysis] = OrderedDict()
_cache_lock = threading.Lock()


def answers_frame(round_id: int) -> pd.DataFrame:
    """Every answer of a round's submitted responses, one row per answered item."""
    rows = db.session.execute(
        select(
            Answer.response_id,
            Answer.instrument_id,
            Answer.item_id,
            Answer.value,
            Answer.dont_know,
            Answer.text,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_id)
    ).all()
    frame = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["dont_know"] = frame["dont_know"].astype(bool)
    return frame


def respondents_frame(round_id: int) -> pd.DataFrame:
    """The optional background of each response of a round."""
    rows = db.session.execute(
        select(Response.id, Response.sector, Response.role).where(Response.round_id == round_id)
    ).all()
    return pd.DataFrame(rows, columns=RESPONDENT_COLUMNS)


def _cache_key(round_: Round) -> tuple[object, ...]:
    # Responses are only ever added or deleted, and each changes the count; answer edits
    # (redaction) bump the round's results revision.
    count = db.session.scalar(select(func.count(Response.id)).where(Response.round_id == round_.id))
    definitions = round_definitions(round_)
    hashes = tuple(instrument.content_hash for instrument in definitions.instruments)
    return (
        round_.id,
        count,
        round_.initiative.min_group_size,
        definitions.framework.content_hash,
        hashes,
        getattr(round_, "results_revision", 0),
    )


def round_analysis(round_: Round) -> Analysis:
    """The scored round with profile, strengths and weaknesses and next steps (cached).

    A round whose raw answers were deleted under retention is served from its stored
    aggregates.
    """
    stored = retention.stored_analysis(round_)
    if stored is not None:
        return stored
    key = _cache_key(round_)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    definitions = round_definitions(round_)
    analysis = analyse_round(
        definitions.framework,
        definitions.instruments,
        answers_frame(round_.id),
        respondents_frame(round_.id),
        k=round_.initiative.min_group_size,
    )
    with _cache_lock:
        _cache[key] = analysis
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return analysis


def clear_cache() -> None:
    """Forget every cached analysis (tests and maintenance commands)."""
    with _cache_lock:
        _cache.clear()
