"""Tests of the pure instrument loader: shipped files, broken fixtures, robustness."""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.core.instruments import FactorRole, Framework, Instrument, ItemKind
from survey_app.core.loader import (
    InstrumentError,
    ValidationFailed,
    content_hash,
    load_framework,
    load_instrument,
    top_level_line,
)

REPO = Path(__file__).resolve().parents[2]
INSTRUMENTS = REPO / "instruments"
FIXTURES = REPO / "tests" / "fixtures" / "broken_instruments"
DOCS = REPO / "docs" / "instruments.md"
SHIPPED = ("readiness", "consensus", "collaboration", "resources")
SECONDS_PER_SCALE_ITEM = 10
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def read(path: Path) -> str:
    """Text of a file as the loader gets it."""
    return path.read_text(encoding="utf-8")


FRAMEWORK_TEXT = read(INSTRUMENTS / "framework.yaml")
SHIPPED_TEXTS = {name: read(INSTRUMENTS / f"{name}.yaml") for name in SHIPPED}
# Parsed once: Hypothesis examples must stay cheap. The C loader/dumper only speed up the
# test's own YAML handling; the loader under test always uses its pure-Python parser.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(scope="module")
def framework() -> Framework:
    """The shipped framework."""
    return load_framework("framework.yaml", FRAMEWORK_TEXT)


@pytest.fixture(scope="module")
def shipped(framework: Framework) -> dict[str, Instrument]:
    """The shipped instruments by id."""
    return {
        name: load_instrument(f"{name}.yaml", SHIPPED_TEXTS[name], framework) for name in SHIPPED
    }


def docs_example() -> str:
    """The YAML block that follows the complete-example marker in docs/instruments.md."""
    after_marker = read(DOCS).split("<!-- complete-example -->", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", after_marker, re.DOTALL)
    assert match is not None
    return match.group(1)


# ---------------------------------------------------------------------------------------
# Shipped files


def test_shipped_framework_has_the_model(framework: Framework) -> None:
    components = {component.id for component in framework.components}
    phases = [phase.id for phase in framework.ordered_phases()]
    assert components == {"governance", "strategy", "community", "evaluation"}
    assert phases == ["readiness", "initiate", "organise", "sustain"]
    assert {(cell.component, cell.phase) for cell in framework.cells} == {
        (component, phase) for component in components for phase in phases
    }
    assert all(len(phase.questions) >= 3 for phase in framework.phases)
    assert {question.id for question in framework.background} == {"sector", "role"}
    assert framework.thresholds.min_group_size >= 3
    assert len(framework.content_hash) == 64


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_instrument_is_partner_ready(shipped: dict[str, Instrument], name: str) -> None:
    instrument = shipped[name]
    assert instrument.languages == ("da", "en")
    assert instrument.minutes < 10
    answering_minutes = len(instrument.scored_items()) * SECONDS_PER_SCALE_ITEM / 60
    assert instrument.minutes >= int(answering_minutes)
    for language in instrument.languages:
        assert "{k}" in instrument.intro.get(language)
    for scale in instrument.scales.values():
        assert scale.points == 5
        assert scale.dont_know is not None
        assert scale.dont_know.get("da") == "Ved ikke"
    factors_with_recommendation = {rec.target.factor for rec in instrument.recommendations}
    assert {factor.id for factor in instrument.factors} <= factors_with_recommendation


def test_readiness_has_two_items_per_cell_and_per_precondition(
    framework: Framework, shipped: dict[str, Instrument]
) -> None:
    readiness = shipped["readiness"]
    per_element = Counter(
        (item.measures.component, item.measures.phase, item.measures.factor)
        for item in readiness.scored_items()
        if item.measures is not None
    )
    for cell in framework.cells:
        assert per_element[(cell.component, cell.phase, None)] >= 2, cell
    preconditions = [f for f in readiness.factors if f.role is FactorRole.PRECONDITION]
    assert {factor.id for factor in preconditions} == {"urgency", "trust", "champion", "funding"}
    for factor in preconditions:
        assert per_element[(None, None, factor.id)] >= 2, factor.id
    assert len(readiness.scored_items()) >= 40


def test_consensus_covers_agreement_and_engagement(shipped: dict[str, Instrument]) -> None:
    roles = {factor.id: factor.role for factor in shipped["consensus"].factors}
    expected = {"problem", "vision", "goals", "strategies", "measurement", "roles"}
    assert {name for name, role in roles.items() if role is FactorRole.CONSENSUS} == expected
    assert FactorRole.ENGAGEMENT in roles.values()


def test_collaboration_has_reverse_items_and_a_comment(shipped: dict[str, Instrument]) -> None:
    collaboration = shipped["collaboration"]
    assert 8 <= len(collaboration.factors) <= 12
    assert all(factor.role is FactorRole.COLLABORATION for factor in collaboration.factors)
    per_factor = Counter(item.measures.factor for item in collaboration.scored_items())
    assert all(2 <= per_factor[factor.id] <= 3 for factor in collaboration.factors)
    assert sum(item.reverse for item in collaboration.items()) >= 2
    assert [item.kind for item in collaboration.items()].count(ItemKind.COMMENT) == 1


def test_resources_areas_and_comment(shipped: dict[str, Instrument]) -> None:
    resources = shipped["resources"]
    assert len(resources.factors) >= 6
    assert all(factor.role is FactorRole.RESOURCE for factor in resources.factors)
    assert any(item.kind is ItemKind.COMMENT for item in resources.items())


def test_docs_example_validates(framework: Framework) -> None:
    example = load_instrument("docs/instruments.md", docs_example(), framework)
    kinds = {item.kind for item in example.items()}
    assert kinds == set(ItemKind)  # the example shows every item type
    assert any(item.reverse for item in example.items())


def test_model_values_are_built_from_the_text(framework: Framework) -> None:
    example = load_instrument("example.yaml", docs_example(), framework)
    data = yaml.safe_load(docs_example())
    first_item = data["sections"][0]["items"][0]
    item = example.item(first_item["id"])
    assert item.text.get("da") == first_item["text"]["da"].strip()
    assert item.weight == 1.0
    assert example.item("clear_next_steps").weight == 2.0
    assert example.item("rushed").reverse is True
    number = example.item("preparation_hours")
    assert (number.minimum, number.maximum) == (0.0, 40.0)
    assert [option.value for option in example.item("topics").options] == ["goals", "data", "money"]
    assert example.scales["agree5"].label(5, "en") == "Strongly agree"


# ---------------------------------------------------------------------------------------
# Broken fixtures: one per error class, each with the exact file, line and field

BROKEN = [
    # (file, line, field, part of the message)
    ("alias.yaml", 6, "yaml", "anchors and aliases"),
    ("bad_placeholder.yaml", 9, "intro.da", "unknown placeholder {n}"),
    (
        "choice_without_options.yaml",
        37,
        "sections[main].items[sector_choice].options",
        "missing required field",
    ),
    (
        "duplicate_item_id.yaml",
        32,
        "sections[main].items[trust_1].id",
        "duplicate item id 'trust_1' (first on line 27)",
    ),
    ("duplicate_key.yaml", 12, "title", "duplicate key (first on line 6)"),
    (
        "duplicate_option_value.yaml",
        42,
        "sections[main].items[sector_choice].options[public].value",
        "duplicate option value",
    ),
    ("empty_text.yaml", 50, "sections[main].items[note].text.da", "text is empty"),
    ("factor_unused.yaml", 23, "factors[respect].id", "no scale item measures this factor"),
    (
        "framework_answered_share.yaml",
        32,
        "thresholds.min_answered_share",
        "greater than 0 and at most 1",
    ),
    (
        "framework_comment_group_size.yaml",
        31,
        "thresholds.min_group_size_comments",
        "at least min_group_size",
    ),
    (
        "framework_discuss_above_strength.yaml",
        26,
        "thresholds.discuss",
        "must not be greater than strength",
    ),
    ("framework_group_size.yaml", 30, "thresholds.min_group_size", "must be at least 3"),
    ("framework_missing_cell.yaml", 24, "cells", "missing the cell"),
    ("framework_rwg_range.yaml", 28, "thresholds.rwg_acceptable", "between 0 and 1"),
    ("invalid_yaml.yaml", 21, "yaml", "invalid YAML at column 4"),
    ("label_count.yaml", 17, "scales.agree5.labels.en", "has 4 labels but the scale has 5 points"),
    (
        "missing_language.yaml",
        31,
        "sections[main].items[trust_1].text.en",
        "missing text in language 'en'",
    ),
    ("missing_required.yaml", 2, "minutes", "missing required field"),
    ("mixed_points.yaml", 39, "sections[main].items[trust_2].scale", "same number of points"),
    ("number_min_max.yaml", 45, "sections[main].items[hours].min", "greater than max"),
    ("points_too_few.yaml", 14, "scales.agree5.points", "between 2 and 11"),
    (
        "reverse_on_comment.yaml",
        50,
        "sections[main].items[note].reverse",
        "only allowed on scale items",
    ),
    (
        "scale_without_measures.yaml",
        32,
        "sections[main].items[leaders_met].measures",
        "missing required field",
    ),
    (
        "undefined_component.yaml",
        35,
        "sections[main].items[leaders_met].measures.component",
        "unknown component 'money'",
    ),
    (
        "undefined_factor.yaml",
        53,
        "recommendations[rec_trust].target.factor",
        "unknown factor 'respect'",
    ),
    ("undefined_item.yaml", 53, "recommendations[rec_trust].target.item", "unknown item 'trust_2'"),
    (
        "undefined_phase.yaml",
        35,
        "sections[main].items[leaders_met].measures.phase",
        "unknown phase 'launch'",
    ),
    (
        "undefined_scale.yaml",
        34,
        "sections[main].items[leaders_met].scale",
        "unknown scale 'agree7'",
    ),
    ("unknown_item_type.yaml", 49, "sections[main].items[note].type", "unknown item type 'essay'"),
    ("unknown_key.yaml", 12, "duration", "unknown key 'duration'"),
    ("version_not_int.yaml", 4, "version", "expected a whole number"),
    ("weight_zero.yaml", 31, "sections[main].items[trust_1].weight", "must be greater than 0"),
    ("wrong_kind.yaml", 2, "kind", "expected kind 'instrument', got 'survey'"),
]


def load_fixture(name: str, framework: Framework) -> ValidationFailed:
    """Load a broken fixture the way its name says and return the failure."""
    text = read(FIXTURES / name)
    with pytest.raises(ValidationFailed) as failure:
        if name.startswith("framework_"):
            load_framework(name, text)
        else:
            load_instrument(name, text, framework)
    return failure.value


@pytest.mark.parametrize(("name", "line", "field", "message"), BROKEN)
def test_broken_fixture_reports_file_line_and_field(
    framework: Framework, name: str, line: int, field: str, message: str
) -> None:
    errors = load_fixture(name, framework).errors
    matching = [error for error in errors if (error.line, error.field) == (line, field)]
    assert matching, "\n".join(map(str, errors))
    assert message in matching[0].message
    assert str(matching[0]).startswith(f"{name}:{line}: {field}: ")


def test_every_fixture_is_covered() -> None:
    assert {path.name for path in FIXTURES.glob("*.yaml")} == {row[0] for row in BROKEN}
    assert len(BROKEN) >= 15


def test_fixture_errors_do_not_cascade(framework: Framework) -> None:
    # One defect, one error: follow-up errors would bury the real problem.
    single = [row[0] for row in BROKEN if row[0] != "framework_missing_cell.yaml"]
    for name in single:
        errors = load_fixture(name, framework).errors
        assert len(errors) == 1, "\n".join(map(str, errors))


def test_yaml_error_has_line_and_column(framework: Framework) -> None:
    (error,) = load_fixture("invalid_yaml.yaml", framework).errors
    assert (error.line, error.column) == (21, 4)


def test_all_errors_of_a_file_are_reported_at_once(framework: Framework) -> None:
    text = (
        read(FIXTURES / "unknown_key.yaml")
        .replace("version: 1\n", "version: 0\n")
        .replace("en: We trust each other.", "de: Wir vertrauen uns.")
    )
    with pytest.raises(ValidationFailed) as failure:
        load_instrument("many.yaml", text, framework)
    fields = [error.field for error in failure.value.errors]
    assert "duration" in fields
    assert "version" in fields
    assert "sections[main].items[trust_1].text.de" in fields
    assert "sections[main].items[trust_1].text.en" in fields
    assert [error.line for error in failure.value.errors] == sorted(
        error.line for error in failure.value.errors
    )
    assert str(failure.value).count("\n") == len(failure.value.errors) - 1


def test_loader_stays_pure() -> None:
    tree = ast.parse((REPO / "survey_app" / "core" / "loader.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not imported & {"flask", "flask_sqlalchemy", "sqlalchemy", "wtforms", "pathlib", "os"}
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert "open" not in calls


def test_error_string_format() -> None:
    error = InstrumentError("instruments/x.yaml", 7, "sections[a].items[b].text", "text is empty")
    assert str(error) == "instruments/x.yaml:7: sections[a].items[b].text: text is empty"


def test_instrument_without_framework_checks_the_shape_only() -> None:
    text = SHIPPED_TEXTS["readiness"].replace("phase: readiness}", "phase: nowhere}")
    instrument = load_instrument("readiness.yaml", text, None)
    assert instrument.id == "readiness"
    bad_id = SHIPPED_TEXTS["readiness"].replace("id: trust_1", "id: X")
    with pytest.raises(ValidationFailed):
        load_instrument("readiness.yaml", bad_id, None)


def test_instrument_language_must_be_in_the_framework(framework: Framework) -> None:
    text = docs_example().replace("languages: [da, en]", "languages: [da, en, de]", 1)
    with pytest.raises(ValidationFailed) as failure:
        load_instrument("example.yaml", text, framework)
    assert any(
        error.field == "languages#3" and "not in the framework" in error.message
        for error in failure.value.errors
    )


@pytest.mark.parametrize(
    "text",
    ["", "# a comment\n", "- a\n- b\n", "42\n", "just text\n", "~\n", "---\na: 1\n---\nb: 2\n"],
)
def test_non_mapping_documents_fail_cleanly(framework: Framework, text: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        load_instrument("odd.yaml", text, framework)
    assert failure.value.errors


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000,
        "a: " + "[" * 300 + "]" * 300,
        "".join("  " * depth + f"k{depth}:\n" for depth in range(60)) + "  " * 60 + "v: 1\n",
        "a: &a [1]\nb: &b [*a, *a]\nc: [*b, *b]\n",  # the start of a "billion laughs"
        'a: 0b_\nb: 0x_\nc: 2024-13-45\nd: !!binary aGVsbG8=\ne: !custom x\nf: "\\0"\n',
        "? [complex, key]\n: value\nyes: 1\n1: 2\n",
        "a: 1" + "0" * 5000 + "\n",
        "intro: {da: '{k:>999999999}'}\n",
    ],
)
def test_hostile_yaml_fails_cleanly(framework: Framework, text: str) -> None:
    with pytest.raises(ValidationFailed):
        load_instrument("hostile.yaml", text, framework)


# ---------------------------------------------------------------------------------------
# Content hash


def independent_hash(text: str) -> str:
    """The documented hash computed without the loader: sha256 of canonical JSON."""
    canonical = json.dumps(yaml.safe_load(text), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@pytest.mark.parametrize("name", SHIPPED)
def test_content_hash_is_sha256_of_canonical_json(
    shipped: dict[str, Instrument], name: str
) -> None:
    assert shipped[name].content_hash == independent_hash(SHIPPED_TEXTS[name])
    assert content_hash(SHIPPED_TEXTS[name]) == shipped[name].content_hash


def test_content_hash_ignores_comments_layout_and_key_order() -> None:
    text = SHIPPED_TEXTS["consensus"]
    data = yaml.safe_load(text)
    relaid = "# a new comment\n" + yaml.safe_dump(
        dict(reversed(list(data.items()))), allow_unicode=True, default_flow_style=True, width=60
    )
    assert content_hash(relaid) == content_hash(text)
    assert content_hash(text.replace("minutes: 4", "minutes: 5")) != content_hash(text)


def test_top_level_line_finds_the_version() -> None:
    text = SHIPPED_TEXTS["resources"]
    expected = next(
        number for number, line in enumerate(text.splitlines(), 1) if line.startswith("version:")
    )
    assert top_level_line(text, "version") == expected
    assert top_level_line("not: [valid", "version") == 1


# ---------------------------------------------------------------------------------------
# Robustness: the loader raises nothing but ValidationFailed, whatever the text

YAML_ALPHABET = st.sampled_from(
    list("abcdefghijklmnop0123456789 _-.:,'\"#&*!|>?%@`[]{}\t\n\r")
    + ["\x00", "\x85", "\u2028", "\ufeff", "æ", "ø", "å", "\U0001f600", "\ud800"]
)


def yaml_lines(text: str) -> int:
    """Number of lines as PyYAML counts them."""
    return len(re.findall(r"\r\n|[\r\n\x85\u2028\u2029]", text)) + 1


def assert_loads_or_fails_cleanly(source: str, text: str, framework: Framework | None) -> None:
    """Load `text` as an instrument: success or ValidationFailed with located errors."""
    try:
        load_instrument(source, text, framework)
    except ValidationFailed as failed:
        assert failed.errors
        for error in failed.errors:
            assert error.source == source
            assert 1 <= error.line <= yaml_lines(text)
            assert error.field
            assert error.message


def assert_framework_loads_or_fails_cleanly(text: str) -> None:
    """Load `text` as a framework: success or ValidationFailed with errors."""
    try:
        load_framework("framework.yaml", text)
    except ValidationFailed as failed:
        assert failed.errors


@FUZZ
@given(text=st.text(YAML_ALPHABET, max_size=300) | st.text(max_size=200))
def test_random_text_only_raises_validation_failed(text: str) -> None:
    assert_loads_or_fails_cleanly("random.yaml", text, SHIPPED_FRAMEWORK)
    assert_framework_loads_or_fails_cleanly(text)


SHIPPED_FRAMEWORK = load_framework("framework.yaml", FRAMEWORK_TEXT)


@st.composite
def garbled(draw: st.DrawFn, texts: list[str]) -> str:
    """A real file with random characters and lines deleted, inserted, doubled or swapped."""
    lines = draw(st.sampled_from(texts)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines = ["\n"]
        at = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "insert", "double", "swap", "poke", "cut"]))
        if operation == "delete":
            del lines[at]
        elif operation == "insert":
            lines.insert(at, draw(st.text(YAML_ALPHABET, max_size=30)) + "\n")
        elif operation == "double":
            lines.insert(at, lines[at])
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif operation == "poke":
            column = draw(st.integers(0, len(lines[at])))
            noise = draw(st.text(YAML_ALPHABET, max_size=3))
            lines[at] = lines[at][:column] + noise + lines[at][column:]
        else:
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + lines[at][column + 1 :]
    return "".join(lines)


@FUZZ
@given(text=garbled([*SHIPPED_TEXTS.values(), docs_example()]))
def test_garbled_instruments_only_raise_validation_failed(text: str) -> None:
    assert_loads_or_fails_cleanly("garbled.yaml", text, SHIPPED_FRAMEWORK)
    assert_loads_or_fails_cleanly("garbled.yaml", text, None)


@FUZZ
@given(text=garbled([FRAMEWORK_TEXT]))
def test_garbled_framework_only_raises_validation_failed(text: str) -> None:
    assert_framework_loads_or_fails_cleanly(text)


def parsed(text: str) -> Any:
    """YAML text as plain data."""
    return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 - a safe loader, C or Python


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=3)
    ),
    max_leaves=8,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_of(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> str:
    """A real file with a few values replaced by random ones, or removed."""
    data = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(data)[1:]))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            parent[path[-1]] = draw(JSON_VALUES)
        else:
            del parent[path[-1]]
        if not isinstance(data, dict | list) or not data:
            break
    return yaml.dump(data, Dumper=FAST_DUMPER, allow_unicode=True)


@FUZZ
@given(text=mutated([parsed(text) for text in (*SHIPPED_TEXTS.values(), docs_example())]))
def test_mutated_instruments_only_raise_validation_failed(text: str) -> None:
    assert_loads_or_fails_cleanly("mutated.yaml", text, SHIPPED_FRAMEWORK)


@FUZZ
@given(text=mutated([parsed(FRAMEWORK_TEXT)]))
def test_mutated_framework_only_raises_validation_failed(text: str) -> None:
    assert_framework_loads_or_fails_cleanly(text)
