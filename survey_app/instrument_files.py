"""Read instrument folders from disk and check instrument files.

Everything that touches the file system lives here, so that survey_app.core.loader stays
pure. A folder holds one framework.yaml and any number of instrument files (*.yaml); a new
instrument is added by dropping a file into the folder, without code changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from survey_app.core.instruments import Framework, Instrument
from survey_app.core.loader import (
    InstrumentError,
    ValidationFailed,
    load_framework,
    load_instrument,
    top_level_line,
)

DEFAULT_INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "instruments"
FRAMEWORK_FILE = "framework.yaml"
INSTRUMENT_SUFFIX = ".yaml"
FILE_FIELD = "file"
NOT_BUMPED = "content changed but version not bumped; this version has been used by a round"

InstrumentKey = tuple[str, int]


@dataclass(frozen=True)
class InstrumentLibrary:
    """The framework and every valid instrument of one folder, with the errors found."""

    folder: Path
    framework: Framework | None
    instruments: Mapping[InstrumentKey, Instrument]
    errors: tuple[InstrumentError, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "instruments", MappingProxyType(dict(self.instruments)))

    @property
    def ok(self) -> bool:
        """True when every file of the folder is valid."""
        return not self.errors

    def get(self, instrument_id: str, version: int | None = None) -> Instrument:
        """The given version of an instrument, or its newest version (KeyError if none)."""
        if version is not None:
            return self.instruments[(instrument_id, version)]
        versions = [number for (name, number) in self.instruments if name == instrument_id]
        if not versions:
            raise KeyError(instrument_id)
        return self.instruments[(instrument_id, max(versions))]

    def latest(self) -> tuple[Instrument, ...]:
        """The newest version of every instrument, ordered by id."""
        ids = sorted({name for name, _ in self.instruments})
        return tuple(self.get(name) for name in ids)


@dataclass(frozen=True)
class CheckResult:
    """The files a check read and the errors it found in them."""

    files: tuple[Path, ...]
    errors: tuple[InstrumentError, ...]


def decode_utf8(source: str, raw: bytes) -> str:
    """The text of an instrument file; ValidationFailed naming the line if not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = "the file is not UTF-8 text; save it as UTF-8"
        raise ValidationFailed([InstrumentError(source, line, FILE_FIELD, message)]) from exc


def load_library(folder: Path | str | None = None) -> InstrumentLibrary:
    """Load framework.yaml and then every other *.yaml of `folder` (default: instruments/)."""
    root = Path(folder) if folder is not None else DEFAULT_INSTRUMENTS_DIR
    run = _Run({})
    run.add(root)
    framework = run.framework_for(root)
    # Without a valid framework the references of the instruments are unchecked: serve none.
    instruments = run.instruments if framework is not None else {}
    return InstrumentLibrary(root, framework, instruments, tuple(run.errors))


def check_files(
    paths: Iterable[Path | str], used_hashes: Mapping[InstrumentKey, str] | None = None
) -> CheckResult:
    """Validate files and folders; flag used versions whose content changed."""
    run = _Run(used_hashes or {})
    for path in paths:
        run.add(Path(path))
    return CheckResult(tuple(run.files), tuple(run.errors))


def check_paths(
    paths: Iterable[Path | str], used_hashes: Mapping[InstrumentKey, str] | None = None
) -> list[InstrumentError]:
    """Every error in the given files and folders (see check_files)."""
    return list(check_files(paths, used_hashes).errors)


@dataclass
class _Run:
    """One pass over files: loads each folder's framework once, spots clashing versions."""

    used_hashes: Mapping[InstrumentKey, str]
    errors: list[InstrumentError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    instruments: dict[InstrumentKey, Instrument] = field(default_factory=dict)
    frameworks: dict[Path, Framework | None] = field(default_factory=dict)
    seen_files: set[Path] = field(default_factory=set)

    def add(self, path: Path) -> None:
        """Check a folder (framework first, then instruments by name) or a single file."""
        if path.is_dir():
            self.framework_for(path)
            for file in sorted(path.glob("*" + INSTRUMENT_SUFFIX)):
                if file.name != FRAMEWORK_FILE and file.is_file():
                    self.add_instrument(file)
        elif path.name == FRAMEWORK_FILE:
            self.framework_for(path.parent)
        elif path.exists():
            self.add_instrument(path)
        else:
            self.errors.append(InstrumentError(str(path), 1, FILE_FIELD, "no such file or folder"))

    def framework_for(self, folder: Path) -> Framework | None:
        """The framework of a folder, loaded (and its errors recorded) on first use."""
        key = folder.resolve()
        if key not in self.frameworks:
            self.frameworks[key] = self._load_framework(folder / FRAMEWORK_FILE)
        return self.frameworks[key]

    def _load_framework(self, path: Path) -> Framework | None:
        if not path.exists():
            message = f"missing {FRAMEWORK_FILE}; instruments are checked against it"
            self.errors.append(InstrumentError(str(path), 1, FILE_FIELD, message))
            return None
        text = self._read(path)
        if text is None:
            return None
        try:
            return load_framework(str(path), text)
        except ValidationFailed as failed:
            self.errors.extend(failed.errors)
            return None

    def add_instrument(self, path: Path) -> None:
        """Load one instrument file against the framework next to it."""
        if path.resolve() in self.seen_files:  # a file named twice, or a folder and its file
            return
        framework = self.framework_for(path.parent)
        text = self._read(path)
        if text is None:
            return
        try:
            instrument = load_instrument(str(path), text, framework)
        except ValidationFailed as failed:
            self.errors.extend(failed.errors)
            return
        self._register(instrument, text)

    def _register(self, instrument: Instrument, text: str) -> None:
        key = (instrument.id, instrument.version)
        line = top_level_line(text, "version")
        if key in self.instruments:
            other = self.instruments[key].source
            message = f"{instrument.id} version {instrument.version} is also defined in {other}"
            self.errors.append(InstrumentError(instrument.source, line, "version", message))
            return
        used = self.used_hashes.get(key)
        if used is not None and used != instrument.content_hash:
            self.errors.append(InstrumentError(instrument.source, line, "version", NOT_BUMPED))
        self.instruments[key] = instrument

    def _read(self, path: Path) -> str | None:
        self.seen_files.add(path.resolve())
        self.files.append(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.errors.append(InstrumentError(str(path), 1, FILE_FIELD, f"cannot read: {reason}"))
            return None
        try:
            return decode_utf8(str(path), raw)
        except ValidationFailed as failed:
            self.errors.extend(failed.errors)
            return None
