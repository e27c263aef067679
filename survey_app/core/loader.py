"""Read framework and instrument YAML text into the immutable model.

The loader is pure: it is given a source name and the text, and either returns model
objects or raises ValidationFailed listing every problem it found, each with its line.
The YAML is composed into nodes with the safe tags only and converted by hand, so that
every key and value keeps the line it came from. Anchors and aliases are refused: they
make a file harder to read top to bottom and open the door to "billion laughs" inputs.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeGuard

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from survey_app.core.instruments import (
    BackgroundQuestion,
    Cell,
    Component,
    Factor,
    FactorRole,
    Framework,
    Instrument,
    Item,
    ItemKind,
    Measure,
    Option,
    Phase,
    Recommendation,
    Scale,
    Section,
    Target,
    Text,
    Thresholds,
)

MAX_DEPTH = 20  # the format itself needs 7 levels; anything deeper is a mistake
MAX_VERSION = 1_000_000
MAX_MINUTES = 120
MAX_POINTS = 11  # a 0-10 scale
MAX_NUMBER = 10**12  # larger ints cannot be printed safely (Python's int/str digit limit)
MAX_SHOWN = 40  # characters of a bad value quoted back in a message
INTRO_PLACEHOLDERS = frozenset({"k"})
ID_RULE = "must start with a lowercase letter and use only a-z, 0-9, _ and - (at most 64)"
YAML_FIELD = "yaml"
TOP_FIELD = "(top level)"

_ID = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
# Control characters can come in through YAML escapes ("\0"); they break databases and PDFs.
_BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + name for name in ("str", "int", "float", "bool", "null"))
_CONSTRUCTOR = SafeConstructor()
_BAD = object()  # stands for a value that was already reported while parsing
_LABEL_KEYS = ("id", "value")  # the keys that name a list entry in error paths


# ---------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class InstrumentError:
    """One problem in a framework or instrument file, located by line and field path."""

    source: str
    line: int
    field: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


class ValidationFailed(Exception):
    """Raised with every error found in one text, sorted by line."""

    def __init__(self, errors: Iterable[InstrumentError]) -> None:
        self.errors: tuple[InstrumentError, ...] = tuple(
            sorted(errors, key=lambda error: (error.line, error.field, error.message))
        )
        super().__init__("\n".join(str(error) for error in self.errors))


def load_framework(source: str, text: str) -> Framework:
    """Parse and validate framework YAML; raise ValidationFailed listing every error."""
    report = _Report(source)
    root = _parse(report, text)
    if root is not None:
        _check_framework(_Checker(report), root)
    if root is None or report.errors:
        raise ValidationFailed(report.errors)
    data = _plain(root)
    return _build_framework(data, source, _digest(data))


def load_instrument(source: str, text: str, framework: Framework | None) -> Instrument:
    """Parse and validate instrument YAML against `framework`; raise ValidationFailed.

    With `framework=None` the references to components and phases are not checked
    (used when the framework itself is broken, to still report the instrument's errors).
    """
    report = _Report(source)
    root = _parse(report, text)
    if root is not None:
        _check_instrument(_Checker(report), root, framework)
    if root is None or report.errors:
        raise ValidationFailed(report.errors)
    data = _plain(root)
    return _build_instrument(data, source, _digest(data))


def content_hash(text: str, source: str = "<text>") -> str:
    """SHA-256 of the parsed data as canonical JSON; comments and layout do not count."""
    report = _Report(source)
    root = _parse(report, text)
    if root is None or report.errors:
        raise ValidationFailed(report.errors)
    return _digest(_plain(root))


def top_level_line(text: str, key: str) -> int:
    """Line of a top-level key in YAML text, or 1 when it cannot be found."""
    root = _parse(_Report("<text>"), text)
    if root is not None and isinstance(root.data, dict) and key in root.data:
        return int(root.data[key].key_line)
    return 1


# ---------------------------------------------------------------------------------------
# Parsing: YAML text -> _Value tree with lines and field paths


@dataclass(frozen=True)
class _Value:
    """A parsed value with its field path, its own line and the line of its key or dash."""

    data: Any  # None, bool, int, float, str, list[_Value], dict[str, _Value] or _BAD
    line: int
    key_line: int
    path: str


@dataclass
class _Report:
    """Collects the errors of one source."""

    source: str
    errors: list[InstrumentError] = field(default_factory=list)

    def add(self, line: int, path: str, message: str, column: int | None = None) -> None:
        """Record one error."""
        self.errors.append(InstrumentError(self.source, line, path or TOP_FIELD, message, column))


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases instead of expanding them."""

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (&name, *name) are not supported",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _compose(text: str) -> Node | None:
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


def _parse(report: _Report, text: str) -> _Value | None:
    """Compose `text` into a _Value tree; None (with errors reported) when it is not YAML."""
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        _report_marked(report, exc)
        return None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        character = exc.character if isinstance(exc.character, str) else "?"
        message = f"invalid YAML at column {column}: character U+{ord(character[:1] or '?'):04X}"
        report.add(line, YAML_FIELD, message + " is not allowed", column)
        return None
    except yaml.YAMLError as exc:
        report.add(1, YAML_FIELD, f"invalid YAML: {_shorten(str(exc), 200)}")
        return None
    except RecursionError:
        report.add(1, YAML_FIELD, "invalid YAML: the text is nested too deeply")
        return None
    if node is None:
        report.add(1, TOP_FIELD, "the file is empty")
        return None
    return _convert(report, node, "", node.start_mark.line + 1, 0)


def _report_marked(report: _Report, exc: yaml.MarkedYAMLError) -> None:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = "; ".join(part for part in (exc.context, exc.problem) if part)
    report.add(line, YAML_FIELD, f"invalid YAML at column {column}: {problem}", column)


def _position(text: str, index: int) -> tuple[int, int]:
    before = text[: max(0, min(index, len(text)))]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _convert(report: _Report, node: Node, path: str, key_line: int, depth: int) -> _Value:
    line = node.start_mark.line + 1
    data: Any
    if depth > MAX_DEPTH:
        report.add(line, path, f"nested more than {MAX_DEPTH} levels deep")
        data = _BAD
    elif isinstance(node, MappingNode) and node.tag == _TAG + "map":
        data = _convert_mapping(report, node, path, depth)
    elif isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
        data = [
            _convert(report, child, path + _entry_label(child, index), _line(child), depth + 1)
            for index, child in enumerate(node.value)
        ]
    elif isinstance(node, ScalarNode) and node.tag in _SCALAR_TAGS:
        data = _convert_scalar(report, node, path)
    else:
        report.add(line, path, _tag_problem(node.tag))
        data = _BAD
    return _Value(data, line, key_line, path)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _convert_mapping(
    report: _Report, node: MappingNode, path: str, depth: int
) -> dict[str, _Value]:
    result: dict[str, _Value] = {}
    for key_node, value_node in node.value:
        key = _key_text(key_node)
        if key is None:
            message = "keys must be text; put the key in quotes (yes, no and numbers are not)"
            report.add(_line(key_node), path, message)
            continue
        child_path = _join(path, key)
        if key in result:
            first = result[key].key_line
            report.add(_line(key_node), child_path, f"duplicate key (first on line {first})")
            continue
        result[key] = _convert(report, value_node, child_path, _line(key_node), depth + 1)
    return result


def _key_text(node: Node) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _TAG + "str":
        value = str(node.value)
        return None if _BAD_CHARACTERS.search(value) else value
    return None


def _entry_label(node: Node, index: int) -> str:
    """How a list entry is named in a field path: by its id when it has one, else by position."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (
                _key_text(key_node) in _LABEL_KEYS
                and isinstance(value_node, ScalarNode)
                and value_node.tag == _TAG + "str"
                and _ID.fullmatch(str(value_node.value))
            ):
                return f"[{value_node.value}]"
    return f"#{index + 1}"


def _convert_scalar(report: _Report, node: ScalarNode, path: str) -> Any:
    try:
        value = _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        # PyYAML accepts some malformed numbers (e.g. "0b_") in its resolver and then fails.
        report.add(_line(node), path, f"{_shorten(str(node.value))!r} is not a valid number")
        return _BAD
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        report.add(_line(node), path, "number is too large")
        return _BAD
    if isinstance(value, str) and _BAD_CHARACTERS.search(value):
        report.add(_line(node), path, "text contains a control character or invalid character")
        return _BAD
    return value


def _tag_problem(tag: str) -> str:
    if tag == _TAG + "timestamp":
        return "dates are not supported; put the value in quotes if it is text"
    return f"unsupported YAML tag {_shorten(tag)}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shorten(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value: _Value) -> Any:
    if isinstance(value.data, dict):
        return {key: _plain(child) for key, child in value.data.items()}
    if isinstance(value.data, list):
        return [_plain(child) for child in value.data]
    return value.data


def _digest(data: Any) -> str:
    # ASCII-only JSON with sorted keys: the same data always gives the same bytes.
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------------------
# Typed checks on _Value trees


def _describe(data: Any) -> str:
    if data is None:
        return "an empty value"
    if isinstance(data, bool):
        return str(data).lower()
    if isinstance(data, int | float):
        return f"the number {data}"
    if isinstance(data, str):
        return f"the text {_shorten(data)!r}"
    if isinstance(data, list):
        return "a list"
    return "a mapping"


class _Checker:
    """Type and range checks; each records an error and returns None when a check fails.

    A missing value (None) is passed over silently, because the mapping that should hold it
    has already reported it as missing.
    """

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.languages: tuple[str, ...] = ()

    def error(self, value: _Value, message: str, *, at_key: bool = False) -> None:
        """Record an error at a value (or at its key)."""
        self.report.add(value.key_line if at_key else value.line, value.path, message)

    def expect(
        self, value: _Value | None, kind: type | tuple[type, ...], expected: str
    ) -> TypeGuard[_Value]:
        """True when value holds data of `kind` (bools never count as numbers)."""
        if value is None or value.data is _BAD:
            return False
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value.data, kinds) and (bool in kinds or not isinstance(value.data, bool))
        if not ok:
            self.error(value, f"expected {expected}, got {_describe(value.data)}")
        return ok

    def mapping(
        self,
        value: _Value | None,
        required: Collection[str] = (),
        optional: Collection[str] = (),
        explain: Callable[[str], str | None] = lambda key: None,
    ) -> dict[str, _Value] | None:
        """A mapping with exactly the allowed keys; reports unknown and missing keys."""
        if not self.expect(value, dict, "a mapping (key: value lines)"):
            return None
        allowed = set(required) | set(optional)
        for key, child in value.data.items():
            if key not in allowed:
                self.error(child, explain(key) or _unknown_key(key, allowed), at_key=True)
        for key in required:
            if key not in value.data:
                self.report.add(value.key_line, _join(value.path, key), "missing required field")
        return dict(value.data)

    def sequence(self, value: _Value | None, *, non_empty: bool = True) -> list[_Value]:
        """The entries of a list (empty when it is not a list)."""
        if not self.expect(value, list, "a list"):
            return []
        if non_empty and not value.data:
            self.error(value, "must not be empty")
        return list(value.data)

    def string(self, value: _Value | None) -> str | None:
        """Non-empty text."""
        if not self.expect(value, str, "text"):
            return None
        if not value.data.strip():
            self.error(value, "text is empty")
            return None
        return str(value.data)

    def ident(self, value: _Value | None) -> str | None:
        """An id: lowercase letters, digits, _ and -."""
        text = self.string(value)
        if text is None or value is None:
            return None
        if not _ID.fullmatch(text):
            self.error(value, f"{_shorten(text)!r} is not a valid id: {ID_RULE}")
            return None
        return text

    def choice(self, value: _Value | None, choices: Collection[str], what: str) -> str | None:
        """One of a fixed set of words."""
        text = self.string(value)
        if text is None or value is None:
            return None
        if text not in choices:
            known = _list(choices)
            self.error(value, f"unknown {what} {_shorten(text)!r}; expected one of: {known}")
            return None
        return text

    def boolean(self, value: _Value | None) -> bool | None:
        """true or false."""
        if not self.expect(value, bool, "true or false"):
            return None
        return bool(value.data)

    def integer(self, value: _Value | None, low: int, high: int) -> int | None:
        """A whole number in [low, high]."""
        if not self.expect(value, int, "a whole number"):
            return None
        if not low <= value.data <= high:
            rule = f"at least {low}" if high >= MAX_NUMBER else f"between {low} and {high}"
            self.error(value, f"must be {rule}, got {value.data}")
            return None
        return int(value.data)

    def number(
        self, value: _Value | None, test: Callable[[float], bool] = lambda x: True, rule: str = ""
    ) -> float | None:
        """A finite number that passes `test` (described by `rule`)."""
        if not self.expect(value, (int, float), "a number"):
            return None
        number = float(value.data)
        if not math.isfinite(number) or not test(number):
            self.error(value, f"must be {rule or 'a finite number'}, got {value.data}")
            return None
        return number

    def text(self, value: _Value | None) -> None:
        """A text per language: every language of the file, no other, none empty."""
        if not self.expect(value, dict, "texts per language, e.g. {da: ..., en: ...}"):
            return
        for language, child in value.data.items():
            if self.languages and language not in self.languages:
                message = f"language {language!r} is not in languages ({_list(self.languages)})"
                self.error(child, message, at_key=True)
            else:
                self.string(child)
        for language in self.languages:
            if language not in value.data:
                path = _join(value.path, language)
                self.report.add(value.key_line, path, f"missing text in language {language!r}")

    def unique(self, seen: dict[str, int], key: str, value: _Value, what: str) -> None:
        """Report `key` when it was seen before; remember its line otherwise."""
        if key in seen:
            self.error(value, f"duplicate {what} {key!r} (first on line {seen[key]})")
        else:
            seen[key] = value.line


def _unknown_key(key: str, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {_list(allowed)}"
    return f"unknown key {_shorten(key)!r}{hint}"


def _list(words: Iterable[str]) -> str:
    return ", ".join(sorted(words)) or "(none)"


def _records(
    ck: _Checker,
    value: _Value | None,
    required: Collection[str],
    optional: Collection[str] = (),
    *,
    what: str,
    id_key: str = "id",
    non_empty: bool = True,
) -> list[dict[str, _Value]]:
    """Check a list of mappings with unique ids; return the entries that are mappings."""
    records = []
    seen: dict[str, int] = {}
    for entry in ck.sequence(value, non_empty=non_empty):
        record = ck.mapping(entry, required, optional)
        if record is None:
            continue
        identifier = ck.ident(record.get(id_key))
        if identifier is not None:
            ck.unique(seen, identifier, record[id_key], what)
        records.append(record)
    return records


def _valid_ids(records: Iterable[dict[str, _Value]], key: str = "id") -> dict[str, _Value]:
    """Ids of records that are well formed, first occurrence wins."""
    ids: dict[str, _Value] = {}
    for record in records:
        value = record.get(key)
        if value is not None and isinstance(value.data, str) and _ID.fullmatch(value.data):
            ids.setdefault(value.data, value)
    return ids


# ---------------------------------------------------------------------------------------
# Checks shared by both kinds of file


def _check_header(
    ck: _Checker, top: dict[str, _Value], kind: str, allowed: tuple[str, ...] | None
) -> None:
    found = ck.string(top.get("kind"))
    if found is not None and found != kind:
        ck.error(top["kind"], f"expected kind {kind!r}, got {_shorten(found)!r}")
    ck.ident(top.get("id"))
    ck.integer(top.get("version"), 1, MAX_VERSION)
    ck.languages = _check_languages(ck, top.get("languages"), allowed)


def _check_languages(
    ck: _Checker, value: _Value | None, allowed: tuple[str, ...] | None
) -> tuple[str, ...]:
    languages: list[str] = []
    seen: dict[str, int] = {}
    for entry in ck.sequence(value):
        code = ck.string(entry)
        if code is None:
            continue
        if not _LANGUAGE.fullmatch(code):
            ck.error(entry, f"{_shorten(code)!r} is not a language code such as da or en")
        elif allowed is not None and code not in allowed:
            ck.error(entry, f"language {code!r} is not in the framework ({_list(allowed)})")
        elif code in seen:
            ck.unique(seen, code, entry, "language")
        else:
            seen[code] = entry.line
            languages.append(code)
    return tuple(languages)


def _check_options(ck: _Checker, value: _Value | None) -> None:
    for record in _records(ck, value, ("value", "label"), what="option value", id_key="value"):
        ck.text(record.get("label"))


# ---------------------------------------------------------------------------------------
# Framework checks

_FRAMEWORK_REQUIRED = (
    "kind",
    "id",
    "version",
    "languages",
    "components",
    "phases",
    "cells",
    "thresholds",
)
_THRESHOLD_KEYS = tuple(item.name for item in fields(Thresholds))
_INT_THRESHOLDS = frozenset({"min_group_size", "min_group_size_comments"})
_MIN_GROUP_SIZE = 3  # below this an answer can be traced back to a person


def _check_framework(ck: _Checker, root: _Value) -> None:
    top = ck.mapping(root, _FRAMEWORK_REQUIRED, ("background",))
    if top is None:
        return
    _check_header(ck, top, "framework", None)
    components = _valid_ids(_check_components(ck, top.get("components")))
    phases = _valid_ids(_check_phases(ck, top.get("phases")))
    _check_cells(ck, top.get("cells"), components, phases)
    _check_thresholds(ck, top.get("thresholds"))
    background = top.get("background")
    for record in _records(
        ck, background, ("id", "text", "options"), what="background question id", non_empty=False
    ):
        ck.text(record.get("text"))
        _check_options(ck, record.get("options"))


def _check_components(ck: _Checker, value: _Value | None) -> list[dict[str, _Value]]:
    records = _records(ck, value, ("id", "name", "description"), what="component id")
    for record in records:
        ck.text(record.get("name"))
        ck.text(record.get("description"))
    return records


def _check_phases(ck: _Checker, value: _Value | None) -> list[dict[str, _Value]]:
    records = _records(
        ck, value, ("id", "number", "name", "description"), ("questions",), what="phase id"
    )
    numbers: dict[str, int] = {}
    for record in records:
        number = ck.integer(record.get("number"), 1, len(records))
        if number is not None:
            ck.unique(numbers, str(number), record["number"], "phase number")
        ck.text(record.get("name"))
        ck.text(record.get("description"))
        for question in ck.sequence(record.get("questions"), non_empty=False):
            ck.text(question)
    return records


def _check_cells(
    ck: _Checker,
    value: _Value | None,
    components: Mapping[str, _Value],
    phases: Mapping[str, _Value],
) -> None:
    seen: dict[str, int] = {}
    for entry in ck.sequence(value):
        record = ck.mapping(entry, ("component", "phase", "activity"))
        if record is None:
            continue
        component = ck.choice(record.get("component"), components, "component")
        phase = ck.choice(record.get("phase"), phases, "phase")
        ck.text(record.get("activity"))
        if component is not None and phase is not None and entry is not None:
            ck.unique(seen, f"{component} x {phase}", entry, "cell")
    if value is None or not isinstance(value.data, list):
        return
    for component in components:
        for phase in phases:
            if f"{component} x {phase}" not in seen:
                message = f"missing the cell for component {component!r} in phase {phase!r}"
                ck.error(value, message, at_key=True)


def _check_thresholds(ck: _Checker, value: _Value | None) -> None:
    record = ck.mapping(value, _THRESHOLD_KEYS)
    if record is None:
        return

    def in_band(x: float) -> bool:
        return 1 <= x <= 5

    strength = ck.number(record.get("strength"), in_band, "between 1 and 5")
    discuss = ck.number(record.get("discuss"), in_band, "between 1 and 5")
    ck.number(record.get("milestone_met"), in_band, "between 1 and 5")
    ck.number(record.get("rwg_acceptable"), lambda x: 0 <= x <= 1, "between 0 and 1")
    share_rule = "greater than 0 and at most 1"
    ck.number(record.get("ad_acceptable_share"), lambda x: 0 < x <= 1, share_rule)
    ck.number(record.get("min_answered_share"), lambda x: 0 < x <= 1, share_rule)
    k = ck.integer(record.get("min_group_size"), _MIN_GROUP_SIZE, MAX_NUMBER)
    k_comments = ck.integer(record.get("min_group_size_comments"), _MIN_GROUP_SIZE, MAX_NUMBER)
    if strength is not None and discuss is not None and discuss > strength:
        ck.error(record["discuss"], f"must not be greater than strength ({strength:g})")
    if k is not None and k_comments is not None and k_comments < k:
        ck.error(record["min_group_size_comments"], f"must be at least min_group_size ({k})")


# ---------------------------------------------------------------------------------------
# Instrument checks

_INSTRUMENT_REQUIRED = (
    "kind",
    "id",
    "version",
    "languages",
    "title",
    "description",
    "intro",
    "minutes",
    "sections",
)
_INSTRUMENT_OPTIONAL = ("scales", "factors", "recommendations")
_ITEM_COMMON_REQUIRED = ("id", "type", "text")
_ITEM_KEYS: dict[ItemKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type -> (required keys, optional keys) beyond id, type, text and help
    ItemKind.SCALE: (("scale", "measures"), ("reverse", "weight")),
    ItemKind.SINGLE: (("options",), ()),
    ItemKind.MULTIPLE: (("options",), ()),
    ItemKind.COMMENT: ((), ()),
    ItemKind.NUMBER: ((), ("min", "max")),
}
_ALL_ITEM_KEYS = frozenset(key for pair in _ITEM_KEYS.values() for keys in pair for key in keys)

_Element = tuple[str, ...]  # ("factor", id) or ("cell", component, phase) or ("item", id)


@dataclass
class _Refs:
    """What items and recommendations of one instrument may refer to, and who feeds what."""

    framework: Framework | None
    scales: dict[str, int | None]  # scale id -> points (None when the points are invalid)
    factors: dict[str, _Value]  # factor id -> its id value
    items: dict[str, int] = field(default_factory=dict)  # item id -> line
    measured: set[_Element] = field(default_factory=set)
    feeds: dict[_Element, list[tuple[int, str, _Value]]] = field(default_factory=dict)


def _check_instrument(ck: _Checker, root: _Value, framework: Framework | None) -> None:
    top = ck.mapping(root, _INSTRUMENT_REQUIRED, _INSTRUMENT_OPTIONAL)
    if top is None:
        return
    _check_header(ck, top, "instrument", framework.languages if framework else None)
    ck.text(top.get("title"))
    ck.text(top.get("description"))
    ck.text(top.get("intro"))
    _check_placeholders(ck, top.get("intro"))
    ck.integer(top.get("minutes"), 1, MAX_MINUTES)
    refs = _Refs(
        framework,
        _check_scales(ck, top.get("scales")),
        _valid_ids(_check_factors(ck, top.get("factors"))),
    )
    _check_sections(ck, top.get("sections"), refs)
    _check_recommendations(ck, top.get("recommendations"), refs)
    _check_feeds(ck, refs)


def _check_placeholders(ck: _Checker, value: _Value | None) -> None:
    """The intro may use {k}; anything else in braces would break formatting it."""
    if value is None or not isinstance(value.data, dict):
        return
    for child in value.data.values():
        if not isinstance(child.data, str):
            continue
        try:
            parts = list(string.Formatter().parse(child.data))
        except ValueError:
            ck.error(child, "unbalanced { or }; write {{ or }} for a literal brace")
            continue
        for _, name, spec, conversion in parts:
            if name is not None and (name not in INTRO_PLACEHOLDERS or spec or conversion):
                allowed = ", ".join("{" + key + "}" for key in sorted(INTRO_PLACEHOLDERS))
                shown = "{" + _shorten(name) + "}"
                ck.error(child, f"unknown placeholder {shown}; only {allowed} is allowed")


def _check_scales(ck: _Checker, value: _Value | None) -> dict[str, int | None]:
    # Invalid scales stay listed (with points None) so items using them are not
    # reported a second time as using an unknown scale.
    scales: dict[str, int | None] = {}
    if not ck.expect(value, dict, "a mapping of scale ids to scales"):
        return scales
    for key, child in value.data.items():
        if not _ID.fullmatch(key):
            ck.error(child, f"{_shorten(key)!r} is not a valid scale id: {ID_RULE}", at_key=True)
        record = ck.mapping(child, ("points", "labels"), ("dont_know",))
        if record is None:
            continue
        points = ck.integer(record.get("points"), 2, MAX_POINTS)
        _check_labels(ck, record.get("labels"), points)
        if "dont_know" in record:
            ck.text(record["dont_know"])
        if _ID.fullmatch(key):
            scales[key] = points
    return scales


def _check_labels(ck: _Checker, value: _Value | None, points: int | None) -> None:
    if not ck.expect(value, dict, "a list of labels per language"):
        return
    for language, labels in value.data.items():
        if ck.languages and language not in ck.languages:
            message = f"language {language!r} is not in languages ({_list(ck.languages)})"
            ck.error(labels, message, at_key=True)
            continue
        entries = ck.sequence(labels)
        for entry in entries:
            ck.string(entry)
        if entries and points is not None and len(entries) != points:
            ck.error(labels, f"has {len(entries)} labels but the scale has {points} points")
    for language in ck.languages:
        if language not in value.data:
            path = _join(value.path, language)
            ck.report.add(value.key_line, path, f"missing labels in language {language!r}")


def _check_factors(ck: _Checker, value: _Value | None) -> list[dict[str, _Value]]:
    records = _records(
        ck, value, ("id", "role", "name"), ("description",), what="factor id", non_empty=False
    )
    for record in records:
        ck.choice(record.get("role"), [role.value for role in FactorRole], "role")
        ck.text(record.get("name"))
        if "description" in record:
            ck.text(record["description"])
    return records


def _check_sections(ck: _Checker, value: _Value | None, refs: _Refs) -> None:
    for record in _records(ck, value, ("id", "title", "items"), ("intro",), what="section id"):
        ck.text(record.get("title"))
        if "intro" in record:
            ck.text(record["intro"])
        for entry in ck.sequence(record.get("items")):
            _check_item(ck, entry, refs)


def _check_item(ck: _Checker, entry: _Value, refs: _Refs) -> None:
    if not ck.expect(entry, dict, "an item (a mapping)"):
        return
    kind = _item_kind(ck, entry.data.get("type"))
    required, optional = _ITEM_KEYS[kind] if kind else ((), tuple(_ALL_ITEM_KEYS))
    record = ck.mapping(
        entry,
        _ITEM_COMMON_REQUIRED + required,
        ("help", *optional),
        explain=lambda key: _misplaced(key) if kind else None,
    )
    if record is None:
        return
    item_id = ck.ident(record.get("id"))
    if item_id is not None:  # item ids are unique across sections: answers store only them
        ck.unique(refs.items, item_id, record["id"], "item id")
    ck.text(record.get("text"))
    if "help" in record:
        ck.text(record["help"])
    if kind is ItemKind.SCALE:
        _check_scale_item(ck, record, refs, item_id or entry.path)
    elif kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
        _check_options(ck, record.get("options"))
    elif kind is ItemKind.NUMBER:
        _check_number_item(ck, record)


def _item_kind(ck: _Checker, value: _Value | None) -> ItemKind | None:
    name = ck.choice(value, [kind.value for kind in ItemKind], "item type")
    return ItemKind(name) if name is not None else None


def _misplaced(key: str) -> str | None:
    kinds = [kind.value for kind, pair in _ITEM_KEYS.items() if key in pair[0] + pair[1]]
    return f"{key!r} is only allowed on {' and '.join(kinds)} items" if kinds else None


def _check_scale_item(ck: _Checker, record: dict[str, _Value], refs: _Refs, name: str) -> None:
    scale_value = record.get("scale")
    scale = ck.string(scale_value)
    if scale is not None and scale_value is not None and scale not in refs.scales:
        known = _list(refs.scales)
        ck.error(scale_value, f"unknown scale {_shorten(scale)!r}; defined scales: {known}")
        scale = None
    element = _check_reference(ck, record.get("measures"), refs, allow_item=False)
    if "reverse" in record:
        ck.boolean(record["reverse"])
    if "weight" in record:
        ck.number(record["weight"], lambda x: x > 0, "greater than 0")
    if element is not None:
        refs.measured.add(element)
    points = refs.scales.get(scale) if scale is not None else None
    if element is not None and points is not None and scale_value is not None:
        refs.feeds.setdefault(element, []).append((points, name, scale_value))


def _check_number_item(ck: _Checker, record: dict[str, _Value]) -> None:
    low = ck.number(record["min"]) if "min" in record else None
    high = ck.number(record["max"]) if "max" in record else None
    if low is not None and high is not None and low > high:
        ck.error(record["min"], f"min ({low:g}) is greater than max ({high:g})")


def _check_reference(
    ck: _Checker, value: _Value | None, refs: _Refs, *, allow_item: bool
) -> _Element | None:
    """A factor, a component x phase cell or (for recommendations) an item."""
    keys = ("factor", "component", "phase") + (("item",) if allow_item else ())
    record = ck.mapping(value, (), keys)
    if record is None or value is None:
        return None
    forms = [{"factor"}, {"component", "phase"}] + ([{"item"}] if allow_item else [])
    if set(record) & set(keys) not in forms:
        wanted = "factor, or component and phase" + (", or item" if allow_item else "")
        ck.error(value, f"give exactly one of: {wanted}")
        return None
    if "factor" in record:
        factor = ck.choice(record["factor"], refs.factors, "factor")
        return ("factor", factor) if factor else None
    if "item" in record:
        item = ck.choice(record["item"], refs.items, "item")
        return ("item", item) if item else None
    return _check_cell_reference(ck, record, refs.framework)


def _check_cell_reference(
    ck: _Checker, record: dict[str, _Value], framework: Framework | None
) -> _Element | None:
    if framework is None:  # nothing to check against; keep the shape checks only
        component = ck.ident(record["component"])
        phase = ck.ident(record["phase"])
    else:
        components = [component.id for component in framework.components]
        component = ck.choice(record["component"], components, "component")
        phase = ck.choice(record["phase"], [phase.id for phase in framework.phases], "phase")
    return ("cell", component, phase) if component and phase else None


def _check_recommendations(ck: _Checker, value: _Value | None, refs: _Refs) -> None:
    records = _records(
        ck, value, ("id", "target", "text"), what="recommendation id", non_empty=False
    )
    for record in records:
        _check_reference(ck, record.get("target"), refs, allow_item=True)
        ck.text(record.get("text"))


def _check_feeds(ck: _Checker, refs: _Refs) -> None:
    """Items scored together need the same number of points; every factor needs items."""
    for element, feeds in refs.feeds.items():
        first_points, first_item, _ = feeds[0]
        for points, _, scale_value in feeds[1:]:
            if points != first_points:
                ck.error(
                    scale_value,
                    f"this scale has {points} points but item {first_item!r} measuring the same "
                    f"{_element_name(element)} uses {first_points}; items scored together "
                    "need scales with the same number of points",
                )
    for factor, value in refs.factors.items():
        if ("factor", factor) not in refs.measured:
            ck.error(value, "no scale item measures this factor")


def _element_name(element: _Element) -> str:
    if element[0] == "cell":
        return f"cell {element[1]} x {element[2]}"
    return f"{element[0]} {element[1]!r}"


# ---------------------------------------------------------------------------------------
# Building model objects from data that passed every check


def _text(data: Mapping[str, str]) -> Text:
    return Text({language: text.strip() for language, text in data.items()})


def _optional_text(data: Mapping[str, Any], key: str) -> Text | None:
    return _text(data[key]) if key in data else None


def _options(data: list[Mapping[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(option["value"], _text(option["label"])) for option in data)


def _build_framework(data: Mapping[str, Any], source: str, digest: str) -> Framework:
    thresholds = data["thresholds"]
    return Framework(
        id=data["id"],
        version=data["version"],
        languages=tuple(data["languages"]),
        components=tuple(
            Component(c["id"], _text(c["name"]), _text(c["description"]))
            for c in data["components"]
        ),
        phases=tuple(
            Phase(
                p["id"],
                p["number"],
                _text(p["name"]),
                _text(p["description"]),
                tuple(_text(q) for q in p.get("questions", ())),
            )
            for p in data["phases"]
        ),
        cells=tuple(Cell(c["component"], c["phase"], _text(c["activity"])) for c in data["cells"]),
        thresholds=Thresholds(
            **{
                key: int(thresholds[key]) if key in _INT_THRESHOLDS else float(thresholds[key])
                for key in _THRESHOLD_KEYS
            }
        ),
        background=tuple(
            BackgroundQuestion(b["id"], _text(b["text"]), _options(b["options"]))
            for b in data.get("background", ())
        ),
        content_hash=digest,
        source=source,
    )


def _build_instrument(data: Mapping[str, Any], source: str, digest: str) -> Instrument:
    return Instrument(
        id=data["id"],
        version=data["version"],
        languages=tuple(data["languages"]),
        title=_text(data["title"]),
        description=_text(data["description"]),
        intro=_text(data["intro"]),
        minutes=data["minutes"],
        scales={key: _build_scale(key, scale) for key, scale in data.get("scales", {}).items()},
        factors=tuple(
            Factor(
                f["id"], FactorRole(f["role"]), _text(f["name"]), _optional_text(f, "description")
            )
            for f in data.get("factors", ())
        ),
        sections=tuple(
            Section(
                s["id"],
                _text(s["title"]),
                tuple(_build_item(item) for item in s["items"]),
                _optional_text(s, "intro"),
            )
            for s in data["sections"]
        ),
        recommendations=tuple(
            Recommendation(r["id"], Target(**r["target"]), _text(r["text"]))
            for r in data.get("recommendations", ())
        ),
        content_hash=digest,
        source=source,
    )


def _build_scale(key: str, data: Mapping[str, Any]) -> Scale:
    return Scale(
        id=key,
        points=data["points"],
        labels={
            language: tuple(label.strip() for label in labels)
            for language, labels in data["labels"].items()
        },
        dont_know=_optional_text(data, "dont_know"),
    )


def _build_item(data: Mapping[str, Any]) -> Item:
    return Item(
        id=data["id"],
        kind=ItemKind(data["type"]),
        text=_text(data["text"]),
        help=_optional_text(data, "help"),
        scale=data.get("scale"),
        measures=Measure(**data["measures"]) if "measures" in data else None,
        reverse=data.get("reverse", False),
        weight=float(data.get("weight", 1.0)),
        options=_options(data.get("options", [])),
        minimum=float(data["min"]) if "min" in data else None,
        maximum=float(data["max"]) if "max" in data else None,
    )
