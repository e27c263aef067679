"""Framework and instrument definitions: the shipped files, and the snapshots rounds use."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select

from survey_app.core.instruments import Framework, Instrument
from survey_app.core.loader import (
    InstrumentError,
    ValidationFailed,
    content_hash,
    load_framework,
    load_instrument,
)
from survey_app.extensions import db
from survey_app.instrument_files import NOT_BUMPED, load_library
from survey_app.models import DefinitionKind, DefinitionSnapshot, Round, UploadedInstrument

SHIPPED_ORDER = ("readiness", "consensus", "collaboration", "resources")


@dataclass(frozen=True)
class StoredVersion:
    """One instrument version and where it comes from: a shipped file or an upload."""

    instrument: Instrument
    origin: str  # "file" or "upload"
    upload_text: str | None = None

    def text(self) -> str:
        """The exact text of this version (a file is checked against its content hash)."""
        if self.upload_text is not None:
            return self.upload_text
        return _source_text(self.instrument.source, self.instrument.content_hash)


@dataclass(frozen=True)
class Library:
    """The valid instruments: shipped files plus uploaded versions (newest of each id)."""

    framework: Framework
    instruments: dict[str, Instrument]
    versions: dict[tuple[str, int], StoredVersion]
    errors: tuple[InstrumentError, ...]

    def instrument_ids(self) -> list[str]:
        """Instrument ids, the shipped ones first in the order they are meant to be asked."""
        return list(self.instruments)


@dataclass(frozen=True)
class RoundDefinitions:
    """The framework and instruments a round is answered and scored with."""

    framework: Framework
    instruments: tuple[Instrument, ...]

    def instrument(self, instrument_id: str) -> Instrument:
        """The round's instrument with this id (KeyError if none)."""
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        raise KeyError(instrument_id)


_lock = threading.Lock()
_library_cache: dict[str, tuple[tuple[object, ...], Library]] = {}
_snapshot_cache: dict[tuple[object, ...], RoundDefinitions] = {}
# One object per distinct definition in the process. Caches keyed by definitions (survey
# plans, form classes) then find their entry by identity; two equal but distinct objects
# (two rounds on the same snapshot) would cost a deep comparison on every lookup.
_canonical: dict[object, object] = {}
_Definition = TypeVar("_Definition")


def _folder_state(folder: Path) -> tuple[tuple[str, float, int], ...]:
    files = ((path.name, path.stat()) for path in folder.glob("*.yaml"))
    return tuple(sorted((name, stat.st_mtime, stat.st_size) for name, stat in files))


def _uploads_state() -> tuple[int, int]:
    count, newest = db.session.execute(
        select(func.count(UploadedInstrument.id), func.max(UploadedInstrument.id))
    ).one()
    return int(count or 0), int(newest or 0)


def current_library() -> Library:
    """The valid definitions, re-read when a file changes or a version is uploaded."""
    folder = Path(current_app.config["INSTRUMENTS_DIR"])
    state = (_folder_state(folder), _uploads_state())
    with _lock:
        cached = _library_cache.get(str(folder))
        if cached and cached[0] == state:
            return cached[1]
    library = _read_library(folder)
    with _lock:
        _library_cache[str(folder)] = (state, library)
    return library


def _read_library(folder: Path) -> Library:
    loaded = load_library(folder)
    if loaded.framework is None:
        raise ValidationFailed(loaded.errors)
    versions = {
        key: StoredVersion(instrument, "file") for key, instrument in loaded.instruments.items()
    }
    errors = list(loaded.errors)
    for upload in db.session.scalars(select(UploadedInstrument).order_by(UploadedInstrument.id)):
        key = (upload.instrument_id, upload.version)
        if key in versions:
            continue  # a shipped file of the same version takes precedence
        try:
            instrument = load_instrument(upload.source_name, upload.source_text, loaded.framework)
        except ValidationFailed as failed:  # e.g. the framework changed since the upload
            errors.extend(failed.errors)
            continue
        versions[key] = StoredVersion(instrument, "upload", upload.source_text)
    newest: dict[str, Instrument] = {}
    for (instrument_id, _version), stored in sorted(versions.items()):
        newest[instrument_id] = stored.instrument
    ordered = {key: newest[key] for key in SHIPPED_ORDER if key in newest}
    ordered.update({key: value for key, value in sorted(newest.items()) if key not in ordered})
    return Library(loaded.framework, ordered, versions, tuple(errors))


def _source_text(source: str, expected_hash: str) -> str:
    """The text a definition was loaded from, checked against its content hash."""
    text = Path(source).read_text(encoding="utf-8")
    if content_hash(text, source) != expected_hash:
        message = "the file changed while it was being read; try again"
        raise ValidationFailed([InstrumentError(source, 1, "file", message)])
    return text


def _snapshot(
    kind: DefinitionKind, definition: Framework | Instrument, text: str
) -> DefinitionSnapshot:
    """The stored snapshot of a definition version, created on first use."""
    existing = db.session.scalar(
        select(DefinitionSnapshot).where(
            DefinitionSnapshot.kind == kind,
            DefinitionSnapshot.definition_id == definition.id,
            DefinitionSnapshot.version == definition.version,
            DefinitionSnapshot.content_hash == definition.content_hash,
        )
    )
    if existing is not None:
        return existing
    snapshot = DefinitionSnapshot(
        kind=kind,
        definition_id=definition.id,
        version=definition.version,
        content_hash=definition.content_hash,
        source_name=Path(definition.source).name,
        source_text=text,
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def snapshot_round(round_: Round) -> None:
    """Store the exact definitions a round uses, the first time it opens.

    Refuses an instrument whose content changed while its version stayed the same after
    an earlier round used it: results of the two rounds could not be told apart.
    """
    library = current_library()
    if round_.framework_snapshot_id is None:
        framework = library.framework
        framework_text = _source_text(framework.source, framework.content_hash)
        round_.framework_snapshot = _snapshot(DefinitionKind.FRAMEWORK, framework, framework_text)
    used = used_instrument_hashes()
    for entry in round_.instruments:
        if entry.snapshot_id is not None:
            continue
        instrument = library.instruments[entry.instrument_id]
        earlier = used.get((instrument.id, instrument.version))
        if earlier is not None and earlier != instrument.content_hash:
            raise ValidationFailed([InstrumentError(instrument.source, 1, "version", NOT_BUMPED)])
        text = library.versions[(instrument.id, instrument.version)].text()
        entry.snapshot = _snapshot(DefinitionKind.INSTRUMENT, instrument, text)


def round_definitions(round_: Round) -> RoundDefinitions:
    """The definitions of a round: its snapshots once opened, the current files before."""
    if round_.framework_snapshot_id is None:
        library = current_library()
        return RoundDefinitions(
            library.framework,
            tuple(library.instruments[entry.instrument_id] for entry in round_.instruments),
        )
    return definitions_for_round(round_.id, round_.framework_snapshot_id, round_.created_at)


def definitions_for_round(
    round_id: int, framework_snapshot_id: int, created_at: object
) -> RoundDefinitions:
    """The snapshot definitions of an opened round, parsed once per process.

    A round's snapshots are fixed when it first opens and never change afterwards;
    created_at tells a round apart from a later one that reuses a deleted round's id.
    """
    key = (round_id, framework_snapshot_id, created_at)
    with _lock:
        cached = _snapshot_cache.get(key)
    if cached is not None:
        return cached
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.framework_snapshot_id != framework_snapshot_id:
        raise LookupError(f"round {round_id} has no such snapshot")
    definitions = _parse_snapshots(round_)
    with _lock:
        _snapshot_cache[key] = definitions
    return definitions


def _parse_snapshots(round_: Round) -> RoundDefinitions:
    framework_snapshot = round_.framework_snapshot
    if framework_snapshot is None:
        raise LookupError(f"round {round_.id} has not been opened")
    framework = load_framework(framework_snapshot.source_name, framework_snapshot.source_text)
    instruments = []
    for entry in round_.instruments:
        snapshot = entry.snapshot
        if snapshot is None:
            raise LookupError(f"round {round_.id} lacks a snapshot of {entry.instrument_id}")
        instruments.append(load_instrument(snapshot.source_name, snapshot.source_text, framework))
    return _interned(RoundDefinitions(_interned(framework), tuple(map(_interned, instruments))))


def _interned(definition: _Definition) -> _Definition:
    """The process's one object equal to `definition` (this one if it is the first)."""
    with _lock:
        return _canonical.setdefault(definition, definition)  # type: ignore[return-value]


def used_instrument_hashes() -> dict[tuple[str, int], str]:
    """(instrument id, version) -> content hash, for every version a round has used."""
    rows = db.session.execute(
        select(
            DefinitionSnapshot.definition_id,
            DefinitionSnapshot.version,
            DefinitionSnapshot.content_hash,
        ).where(DefinitionSnapshot.kind == DefinitionKind.INSTRUMENT)
    )
    return {(definition_id, version): digest for definition_id, version, digest in rows}
