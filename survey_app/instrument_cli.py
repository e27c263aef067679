"""Operator commands: `flask instruments check [PATH ...]` and `flask instruments list`.

Register with `app.cli.add_command(instruments_cli)`. Messages are in English: the CLI is
for operators, not for partners.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.core.instruments import DEFAULT_LANGUAGE, Framework, Instrument
from survey_app.instrument_files import (
    DEFAULT_INSTRUMENTS_DIR,
    InstrumentKey,
    check_files,
    load_library,
)

instruments_cli = AppGroup("instruments", help="Check and list the survey instruments.")


def used_instrument_hashes() -> dict[InstrumentKey, str]:
    """Content hash of every (instrument id, version) that a round has used."""
    from survey_app.services.definitions import used_instrument_hashes as from_database

    return from_database()


def instruments_dir() -> Path:
    """The folder named by the INSTRUMENTS_DIR setting, else the repository's instruments/."""
    configured = current_app.config.get("INSTRUMENTS_DIR")
    return Path(configured) if configured else DEFAULT_INSTRUMENTS_DIR


@instruments_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate instrument files or folders (default: the configured folder)."""
    result = check_files(paths or (instruments_dir(),), used_instrument_hashes())
    for error in result.errors:
        click.echo(str(error))
    files = _count(len(result.files), "file")
    if result.errors:
        click.echo(f"{files} checked: {_count(len(result.errors), 'error')}.")
        raise SystemExit(1)
    click.echo(f"{files} checked: no errors.")


@instruments_cli.command("list")
def list_command() -> None:
    """List the framework and every valid instrument with its items per section."""
    library = load_library(instruments_dir())
    if library.framework is not None:
        click.echo(_framework_line(library.framework))
    for key in sorted(library.instruments):
        instrument = library.instruments[key]
        click.echo(_instrument_line(instrument))
        for section in instrument.sections:
            click.echo(f"  {section.id}: {_count(len(section.items), 'item')}")
    if library.errors:
        count = _count(len(library.errors), "error")
        click.echo(f"{count} in {library.folder}; run 'flask instruments check'.", err=True)


def _framework_line(framework: Framework) -> str:
    return (
        f"framework {framework.id} v{framework.version} [{', '.join(framework.languages)}]: "
        f"{len(framework.components)} components, {len(framework.phases)} phases, "
        f"{len(framework.cells)} cells"
    )


def _instrument_line(instrument: Instrument) -> str:
    items = _count(sum(len(section.items) for section in instrument.sections), "item")
    return (
        f"{instrument.id} v{instrument.version} [{', '.join(instrument.languages)}] "
        f"{instrument.title.get(DEFAULT_LANGUAGE)!r}: {items}, ~{instrument.minutes} min"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
