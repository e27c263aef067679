"""The instrument library: versions, where they are used, uploads, downloads and diffs."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from survey_app.core.diff import InstrumentDiff, diff_instruments
from survey_app.core.instruments import Instrument
from survey_app.core.loader import InstrumentError, ValidationFailed, load_instrument
from survey_app.extensions import db
from survey_app.instrument_files import decode_utf8
from survey_app.models import (
    DefinitionSnapshot,
    Round,
    RoundInstrument,
    UploadedInstrument,
    User,
)
from survey_app.services.definitions import (
    Library,
    StoredVersion,
    current_library,
    used_instrument_hashes,
)

EXCERPT_RADIUS = 2
MAX_UPLOAD_BYTES = 512 * 1024


class UploadOutcome(enum.StrEnum):
    """What an accepted upload did."""

    STORED = "stored"
    REPLACED = "replaced"
    IDENTICAL = "identical"


class UploadRejected(Exception):
    """An upload that is not stored, with every reason located in the file."""

    def __init__(self, errors: list[InstrumentError], text: str = "") -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors
        self.text = text


@dataclass(frozen=True)
class Excerpt:
    """An error with the lines of the file around it."""

    error: InstrumentError
    lines: list[tuple[int, str, bool]]  # number, text, is the error line


def excerpts(rejected: UploadRejected) -> list[Excerpt]:
    """Every error of a rejected upload with the file's lines around it."""
    lines = rejected.text.splitlines()
    shown = []
    for error in rejected.errors:
        first = max(1, error.line - EXCERPT_RADIUS)
        last = min(len(lines), error.line + EXCERPT_RADIUS)
        context = [
            (number, lines[number - 1], number == error.line) for number in range(first, last + 1)
        ]
        shown.append(Excerpt(error, context))
    return shown


def _decode(filename: str, raw: bytes) -> str:
    if len(raw) > MAX_UPLOAD_BYTES:
        message = f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KiB"
        raise UploadRejected([InstrumentError(filename, 1, "file", message)])
    try:
        return decode_utf8(filename, raw)
    except ValidationFailed as failed:
        raise UploadRejected(list(failed.errors)) from failed


def validate_upload(filename: str, raw: bytes) -> tuple[Instrument, str]:
    """Validate an uploaded file with the same validator as `instruments check`."""
    text = _decode(filename, raw)
    try:
        return load_instrument(filename, text, current_library().framework), text
    except ValidationFailed as failed:
        raise UploadRejected(list(failed.errors), text) from failed


def store_upload(instrument: Instrument, text: str, user: User) -> UploadOutcome:
    """Store a validated upload as a new version; never overwrite a used or shipped one."""
    key = (instrument.id, instrument.version)
    library = current_library()
    existing = library.versions.get(key)
    if existing is not None and existing.instrument.content_hash == instrument.content_hash:
        return UploadOutcome.IDENTICAL
    version_error = _version_conflict(instrument, existing, used_instrument_hashes().get(key))
    if version_error is not None:
        raise UploadRejected([version_error], text)
    row = db.session.scalar(
        select(UploadedInstrument).where(
            UploadedInstrument.instrument_id == instrument.id,
            UploadedInstrument.version == instrument.version,
        )
    )
    outcome = UploadOutcome.REPLACED if row is not None else UploadOutcome.STORED
    if row is None:
        row = UploadedInstrument(instrument_id=instrument.id, version=instrument.version)
        db.session.add(row)
    row.content_hash = instrument.content_hash
    row.source_name = instrument.source
    row.source_text = text
    row.uploaded_by_id = user.id
    db.session.flush()
    return outcome


def _version_conflict(
    instrument: Instrument, existing: StoredVersion | None, used: str | None
) -> InstrumentError | None:
    """Why this version number cannot take the new content, if it cannot."""
    message = None
    if used:
        message = (
            f"version {instrument.version} of {instrument.id} has been used by a round and "
            "can never be changed; upload it as a new version"
        )
    elif existing is not None and existing.origin == "file":
        message = (
            f"version {instrument.version} of {instrument.id} is a shipped file; "
            "upload your change as a new version"
        )
    if message is None:
        return None
    return InstrumentError(instrument.source, 1, "version", message)


def usage() -> dict[tuple[str, int], list[Round]]:
    """The rounds that used each instrument version."""
    rows = db.session.execute(
        select(DefinitionSnapshot.definition_id, DefinitionSnapshot.version, Round)
        .join(RoundInstrument, RoundInstrument.snapshot_id == DefinitionSnapshot.id)
        .join(Round, Round.id == RoundInstrument.round_id)
        .order_by(Round.id)
    )
    used: dict[tuple[str, int], list[Round]] = defaultdict(list)
    for definition_id, version, round_ in rows:
        used[(definition_id, version)].append(round_)
    return used


def version(instrument_id: str, number: int) -> StoredVersion | None:
    """One stored version (file or upload), or None."""
    return current_library().versions.get((instrument_id, number))


def versions_by_id(library: Library) -> dict[str, list[StoredVersion]]:
    """Every version of every instrument, newest first."""
    grouped: dict[str, list[StoredVersion]] = defaultdict(list)
    for (_instrument_id, _number), stored in sorted(library.versions.items(), reverse=True):
        grouped[stored.instrument.id].append(stored)
    return dict(sorted(grouped.items()))


def diff(instrument_id: str, version_a: int, version_b: int) -> InstrumentDiff | None:
    """The differences between two stored versions, or None if one is missing."""
    a, b = version(instrument_id, version_a), version(instrument_id, version_b)
    if a is None or b is None:
        return None
    return diff_instruments(a.instrument, b.instrument)


def coverage(instrument: Instrument) -> tuple[list[tuple[str, str]], list[str]]:
    """The component x phase cells and the factors an instrument's items measure."""
    cells: dict[tuple[str, str], None] = {}
    factors: dict[str, None] = {}
    for item in instrument.items():
        if item.measures is None:
            continue
        if item.measures.factor:
            factors[item.measures.factor] = None
        elif item.measures.component and item.measures.phase:
            cells[(item.measures.component, item.measures.phase)] = None
    return list(cells), list(factors)
