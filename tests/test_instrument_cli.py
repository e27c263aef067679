"""Tests of `survey-app instruments check` and `survey-app instruments list`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from survey_app import instrument_cli
from survey_app.instrument_files import NOT_BUMPED, load_library
from tests.conftest import make_app as make_test_app

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DIR = REPO / "instruments"
BROKEN_DIR = REPO / "tests" / "fixtures" / "broken_instruments"
DOCS = REPO / "docs" / "instruments.md"
ERROR_LINE = re.compile(r"^(?P<path>[^:]+\.yaml):(?P<line>\d+): (?P<field>\S+): (?P<message>.+)$")


@pytest.fixture()
def make_app(app: Flask, database_url: str, tmp_path: Path):  # noqa: ANN201
    """The real app on the test database, with (optionally) another instruments folder.

    Depends on the `app` fixture, which empties every table after the test.
    """

    def _make(instruments_dir: Path | None) -> Flask:
        overrides = {"INSTRUMENTS_DIR": str(instruments_dir or SHIPPED_DIR)}
        return make_test_app(database_url, tmp_path / "instance", **overrides)

    return _make


def run(app: Flask, *args: str) -> Result:
    """Invoke `flask instruments ...` on the app."""
    return app.test_cli_runner().invoke(args=["instruments", *args])


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped instruments folder."""
    return Path(shutil.copytree(SHIPPED_DIR, tmp_path / "instruments"))


def docs_example() -> str:
    """The complete example instrument of docs/instruments.md."""
    after_marker = DOCS.read_text(encoding="utf-8").split("<!-- complete-example -->", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", after_marker, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_check_passes_on_the_configured_folder(folder: Path, make_app) -> None:
    result = run(make_app(folder), "check")
    assert result.exit_code == 0, result.output
    files = len(list(folder.glob("*.yaml")))
    assert result.output.strip() == f"{files} files checked: no errors."


def test_check_falls_back_to_the_repository_folder(make_app) -> None:
    result = run(make_app(None), "check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{len(list(SHIPPED_DIR.glob('*.yaml')))} files checked")


def test_check_prints_every_error_and_fails(tmp_path: Path, make_app) -> None:
    broken = BROKEN_DIR / "undefined_scale.yaml"
    target = Path(shutil.copytree(SHIPPED_DIR, tmp_path / "instruments")) / broken.name
    shutil.copy(broken, target)
    result = run(make_app(None), "check", str(target))
    assert result.exit_code == 1
    *errors, summary = result.output.strip().splitlines()
    assert errors == [
        f"{target}:34: sections[main].items[leaders_met].scale: "
        "unknown scale 'agree7'; defined scales: agree5"
    ]
    assert summary == "2 files checked: 1 error."


def test_check_of_a_folder_with_several_broken_files(folder: Path, make_app) -> None:
    names = ["label_count.yaml", "reverse_on_comment.yaml", "missing_language.yaml"]
    for name in names:
        shutil.copy(BROKEN_DIR / name, folder / name)
    result = run(make_app(folder), "check")
    assert result.exit_code == 1
    *errors, summary = result.output.strip().splitlines()
    assert len(errors) == len(names)
    for line in errors:
        match = ERROR_LINE.match(line)
        assert match, line
        assert Path(match["path"]).name in names
    assert summary.endswith(f"checked: {len(names)} errors.")


def test_check_reports_a_used_version_whose_content_changed(
    folder: Path, monkeypatch: pytest.MonkeyPatch, make_app
) -> None:
    monkeypatch.setattr(instrument_cli, "used_instrument_hashes", lambda: {("readiness", 1): "0"})
    result = run(make_app(folder), "check")
    assert result.exit_code == 1
    path = folder / "readiness.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.startswith("version:"))
    assert f"{path}:{line}: version: {NOT_BUMPED}" in result.output.splitlines()


def test_check_reads_used_versions_from_the_database(folder: Path, make_app) -> None:
    from survey_app.extensions import db
    from survey_app.models import Initiative
    from survey_app.services import rounds

    app = make_app(folder)
    with app.app_context():
        initiative = Initiative(name="Used")
        db.session.add(initiative)
        rounds.open_round(rounds.create_round(initiative, "First", ["consensus"]))
        db.session.commit()
    assert run(app, "check").exit_code == 0
    path = folder / "consensus.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("minutes: 4", "minutes: 5"))
    result = run(app, "check")
    assert result.exit_code == 1
    assert f"{path}:" in result.output and NOT_BUMPED in result.output


def test_list_shows_every_instrument_and_its_sections(folder: Path, make_app) -> None:
    result = run(make_app(folder), "list")
    assert result.exit_code == 0, result.output
    library = load_library(folder)
    lines = result.output.splitlines()
    assert lines[0].startswith("framework collective-impact v1 [da, en]")
    for instrument in library.instruments.values():
        header = next(line for line in lines if line.startswith(f"{instrument.id} v"))
        assert header.startswith(f"{instrument.id} v{instrument.version} [da, en] ")
        for section in instrument.sections:
            count = len(section.items)
            expected = f"  {section.id}: {count} item{'' if count == 1 else 's'}"
            assert expected in lines


def test_new_file_shows_up_in_list_and_validates(folder: Path, make_app) -> None:
    (folder / "meeting-check.yaml").write_text(docs_example(), encoding="utf-8")
    app = make_app(folder)
    listing = run(app, "list")
    assert listing.exit_code == 0
    assert "meeting-check v1 [da, en] 'Efter mødet': 7 items, ~1 min" in listing.output
    assert "  about_you: 4 items" in listing.output
    check = run(app, "check")
    assert check.exit_code == 0, check.output


def test_list_warns_about_broken_files(folder: Path, make_app) -> None:
    shutil.copy(BROKEN_DIR / "wrong_kind.yaml", folder / "wrong_kind.yaml")
    result = run(make_app(folder), "list")
    assert result.exit_code == 0
    assert "1 error in" in result.stderr
    assert "sample v1" not in result.stdout
    assert "readiness v1" in result.stdout
