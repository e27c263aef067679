"""Tests of reading instrument folders and checking files (survey_app.instrument_files)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from survey_app.core.loader import content_hash
from survey_app.instrument_files import (
    DEFAULT_INSTRUMENTS_DIR,
    FRAMEWORK_FILE,
    NOT_BUMPED,
    check_files,
    check_paths,
    load_library,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DIR = REPO / "instruments"
DOCS = REPO / "docs" / "instruments.md"


def docs_example() -> str:
    """The complete example instrument of docs/instruments.md."""
    after_marker = DOCS.read_text(encoding="utf-8").split("<!-- complete-example -->", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", after_marker, re.DOTALL)
    assert match is not None
    return match.group(1)


def version_line(path: Path) -> int:
    """The line of the top-level `version:` key, found by reading the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith("version:"))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped instruments folder to change freely."""
    return Path(shutil.copytree(SHIPPED_DIR, tmp_path / "instruments"))


def test_default_folder_is_the_repositorys() -> None:
    assert DEFAULT_INSTRUMENTS_DIR == SHIPPED_DIR


def test_shipped_folder_loads_without_errors() -> None:
    library = load_library()
    assert library.ok, "\n".join(map(str, library.errors))
    assert library.framework is not None
    shipped_files = sorted(SHIPPED_DIR.glob("*.yaml"))
    assert len(library.instruments) == len(shipped_files) - 1
    assert {instrument.id for instrument in library.latest()} == {
        "readiness",
        "consensus",
        "collaboration",
        "resources",
    }
    assert check_paths([SHIPPED_DIR]) == []


def test_new_instrument_file_needs_no_code_change(folder: Path) -> None:
    (folder / "meeting-check.yaml").write_text(docs_example(), encoding="utf-8")
    library = load_library(folder)
    assert library.ok, "\n".join(map(str, library.errors))
    instrument = library.get("meeting-check")
    assert (instrument.id, instrument.version) in library.instruments
    assert instrument.source == str(folder / "meeting-check.yaml")


def test_get_returns_the_newest_version_unless_asked(folder: Path) -> None:
    text = (folder / "resources.yaml").read_text(encoding="utf-8")
    (folder / "resources-v2.yaml").write_text(text.replace("version: 1", "version: 2"), "utf-8")
    library = load_library(folder)
    assert library.get("resources").version == 2
    assert library.get("resources", 1).version == 1
    with pytest.raises(KeyError):
        library.get("nothing")


def test_two_files_with_the_same_id_and_version(folder: Path) -> None:
    copy = folder / "zz-consensus-copy.yaml"
    shutil.copy(folder / "consensus.yaml", copy)
    errors = check_paths([folder])
    assert len(errors) == 1
    (error,) = errors
    assert (error.source, error.line, error.field) == (str(copy), version_line(copy), "version")
    assert str(folder / "consensus.yaml") in error.message


def test_changed_content_of_a_used_version_is_reported(folder: Path) -> None:
    path = folder / "collaboration.yaml"
    used = {("collaboration", 1): content_hash(path.read_text(encoding="utf-8"))}
    assert check_paths([folder], used) == []

    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Kommunikation", "Kommunikation og information", 1), "utf-8")
    errors = check_paths([folder], used)
    assert [(e.source, e.line, e.field, e.message) for e in errors] == [
        (str(path), version_line(path), "version", NOT_BUMPED)
    ]
    assert str(errors[0]) == f"{path}:{version_line(path)}: version: {NOT_BUMPED}"

    path.write_text(path.read_text(encoding="utf-8").replace("version: 1", "version: 2"), "utf-8")
    assert check_paths([folder], used) == []


def test_comments_and_layout_do_not_count_as_changes(folder: Path) -> None:
    path = folder / "resources.yaml"
    text = path.read_text(encoding="utf-8")
    used = {("resources", 1): content_hash(text)}
    path.write_text("# reviewed by the steering group\n\n" + text.replace("\n\n", "\n"), "utf-8")
    assert check_paths([path], used) == []


def test_single_file_is_checked_against_the_framework_next_to_it(folder: Path) -> None:
    path = folder / "readiness.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("phase: sustain}", "phase: forever}", 1), "utf-8")
    errors = check_files([path])
    assert [error.field for error in errors.errors] == [
        "sections[phase_sustain].items[governance_sustain_1].measures.phase"
    ]
    assert errors.files == (folder / FRAMEWORK_FILE, path)


def test_framework_is_loaded_once_and_first(folder: Path) -> None:
    result = check_files([folder, folder / "consensus.yaml", folder / FRAMEWORK_FILE])
    assert result.errors == ()
    assert result.files[0] == folder / FRAMEWORK_FILE
    assert len(result.files) == len(set(result.files)) == len(list(folder.glob("*.yaml")))


def test_missing_framework(folder: Path) -> None:
    (folder / FRAMEWORK_FILE).unlink()
    errors = check_paths([folder])
    assert [(e.source, e.field) for e in errors] == [(str(folder / FRAMEWORK_FILE), "file")]
    assert load_library(folder).instruments == {}


def test_broken_framework_still_checks_instruments(folder: Path) -> None:
    framework = folder / FRAMEWORK_FILE
    text = framework.read_text(encoding="utf-8")
    framework.write_text(text.replace("min_group_size: 5 ", "min_group_size: 1 "), "utf-8")
    consensus = folder / "consensus.yaml"
    text = consensus.read_text(encoding="utf-8")
    consensus.write_text(text.replace("minutes: 4\n", ""), "utf-8")
    errors = check_paths([folder])
    assert {(e.source, e.field) for e in errors} == {
        (str(framework), "thresholds.min_group_size"),
        (str(consensus), "minutes"),
    }
    library = load_library(folder)
    assert library.framework is None
    assert library.instruments == {}
    assert not library.ok


def test_unreadable_inputs_are_errors_not_exceptions(folder: Path) -> None:
    binary = folder / "binary.yaml"
    binary.write_bytes(b"kind: instrument\nid: x\ntitle: \xff\xfe\n")
    missing = folder / "missing.yaml"
    errors = check_paths([binary, missing])
    assert [(e.source, e.line, e.field) for e in errors] == [
        (str(binary), 3, "file"),
        (str(missing), 1, "file"),
    ]


def test_other_files_in_the_folder_are_ignored(folder: Path) -> None:
    (folder / "README.txt").write_text("not an instrument", "utf-8")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "idea.yaml").write_text("kind: nothing", "utf-8")
    assert check_paths([folder]) == []
