"""Redacting free-text comments that identify a person.

The dashboard shows comments sorted and without any link to their response, and so does
this module: a comment is referred to by a keyed hash of its round and its text, never by
its response. Redacting replaces the stored text of every comment answer in the round with
exactly that text by a visible marker, in place (UPDATE), bumps the round's results
revision so cached analyses are recomputed, and on SQLite checkpoints the write-ahead log
so the old text does not linger there (secure_delete zeroes the freed space).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, tuple_, update

from survey_app.core.anonymity import Suppressed
from survey_app.core.instruments import ItemKind
from survey_app.extensions import db
from survey_app.models import Answer, Response, Round
from survey_app.services import results
from survey_app.services.definitions import round_definitions

REDACTED_MARKER = "[fjernet af facilitator]"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comment:
    """A comment as the redaction page lists it: a reference, its item and its text."""

    ref: str
    instrument_id: str
    item_id: str
    text: str
    count: int  # identical comments in the round


def comment_ref(round_id: int, text: str) -> str:
    """The reference of a comment text in a round (keyed, so it reveals nothing)."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"comment:{round_id}:{text.strip()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def is_redacted(text: str) -> bool:
    """True for the marker that replaced a redacted comment."""
    return text.strip() == REDACTED_MARKER


def _comment_items(round_: Round) -> set[tuple[str, str]]:
    """(instrument id, item id) of the round's free-text items whose comments are shown."""
    shown = {
        (comment.instrument_id, comment.item_id)
        for comment in results.round_analysis(round_).result.comments
        if not isinstance(comment.comments, Suppressed)
    }
    return {
        (instrument.id, item.id)
        for instrument in round_definitions(round_).instruments
        for item in instrument.items()
        if item.kind is ItemKind.COMMENT and (instrument.id, item.id) in shown
    }


def comment_answers(round_: Round) -> list[tuple[tuple[str, str, str], str]]:
    """(answer key, text) of every shown, non-empty comment of the round."""
    items = _comment_items(round_)
    if not items:
        return []
    rows = db.session.execute(
        select(Answer.response_id, Answer.instrument_id, Answer.item_id, Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.round_id == round_.id,
            tuple_(Answer.instrument_id, Answer.item_id).in_(sorted(items)),
        )
    ).all()
    return [
        ((row.response_id, row.instrument_id, row.item_id), row.text.strip())
        for row in rows
        if row.text and row.text.strip()
    ]


def round_comments(round_: Round) -> list[Comment]:
    """The round's shown comments that can still be redacted, sorted by item and text."""
    grouped: dict[tuple[str, str, str], int] = {}
    for (_response, instrument_id, item_id), text in comment_answers(round_):
        if not is_redacted(text):
            key = (instrument_id, item_id, text)
            grouped[key] = grouped.get(key, 0) + 1
    return [
        Comment(comment_ref(round_.id, text), instrument_id, item_id, text, count)
        for (instrument_id, item_id, text), count in sorted(grouped.items())
    ]


def find_comment(round_: Round, ref: str) -> Comment | None:
    """The comment with this reference, if it is shown and not yet redacted."""
    return next((c for c in round_comments(round_) if hmac.compare_digest(c.ref, ref)), None)


def redact(round_: Round, ref: str) -> int:
    """Replace every comment of the round with the referenced text by the marker.

    Returns how many answers changed (0 when the reference matches nothing). The caller
    commits, then calls `forget_old_text`.
    """
    keys = [
        key
        for key, text in comment_answers(round_)
        if not is_redacted(text) and hmac.compare_digest(comment_ref(round_.id, text), ref)
    ]
    if not keys:
        return 0
    db.session.execute(
        update(Answer)
        .where(tuple_(Answer.response_id, Answer.instrument_id, Answer.item_id).in_(keys))
        .values(text=REDACTED_MARKER)
    )
    round_.results_revision = (round_.results_revision or 0) + 1
    return len(keys)


def forget_old_text() -> None:
    """After the commit: drop cached analyses and push SQLite's log into the zeroed file."""
    results.clear_cache()
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        busy, _log_frames, _done = raw.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(TRUNCATE)"
        ).fetchone()
        if busy:
            log.warning("the SQLite log is in use; the old text goes at the next checkpoint")
    finally:
        raw.close()
