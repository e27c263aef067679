"""Commands for operators: `survey-app retention run`, `survey-app backup`, `survey-app restore`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from survey_app.extensions import db
from survey_app.services import retention, storage

retention_cli = AppGroup("retention", help="Delete raw answers after each initiative's period.")

EXIT_NOT_SQLITE = 2


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD).",
)
def retention_run_command(dry_run: bool, today: object | None) -> None:
    """Delete raw answers of rounds closed longer ago than their initiative keeps them.

    Aggregated scores are stored first, so dashboards and comparisons keep working.
    Safe to run daily: rounds already handled are skipped.
    """
    day = today.date() if today is not None else date.today()  # type: ignore[attr-defined]
    outcomes = retention.run(day, dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    for outcome in outcomes:
        click.echo(
            f"{verb} raw data of round {outcome.round_id} “{outcome.round_name}” "
            f"({outcome.initiative_name}, closed {outcome.closed_on.isoformat()}): "
            f"{outcome.responses} responses, {outcome.answers} answers, {outcome.codes} codes"
        )
    if not dry_run and outcomes:
        from survey_app.services.redaction import forget_old_text

        forget_old_text()
    click.echo(f"{len(outcomes)} round(s) {'due' if dry_run else 'processed'}; scores are kept.")


def _sqlite_file_or_exit(target: str) -> Path:
    """The live SQLite file; for PostgreSQL print the documented commands and exit."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    path = storage.sqlite_file(url)
    if path is None:
        dump, restore = storage.postgres_commands(url, target)
        click.echo(
            "This database is not SQLite. Back it up and restore it with PostgreSQL's tools:"
        )
        click.echo(f"  {dump}")
        click.echo(f"  {restore}")
        raise SystemExit(EXIT_NOT_SQLITE)
    return path


@click.command("backup")
@with_appcontext
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
def backup_command(output: str) -> None:
    """Write a consistent copy of the database to OUTPUT, safe while the server runs."""
    source = _sqlite_file_or_exit(output)
    try:
        storage.backup(source, Path(output))
    except storage.StorageError as error:
        raise click.ClickException(str(error)) from error
    tables = storage.table_checksums(Path(output))
    rows = sum(count for count, _digest in tables.values())
    click.echo(f"Wrote {output}: {len(tables)} tables, {rows} rows.")


@click.command("restore")
@with_appcontext
@click.argument("backup_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup_file: str, yes: bool) -> None:
    """Replace the database with BACKUP_FILE (stop the server first)."""
    target = _sqlite_file_or_exit(backup_file)
    try:
        storage.check_database(Path(backup_file))
    except storage.StorageError as error:
        raise click.ClickException(str(error)) from error
    if not yes:
        click.confirm(
            f"Replace everything in {target} with {backup_file}? Stop the server first.",
            abort=True,
        )
    db.engine.dispose()
    storage.restore(Path(backup_file), target)
    click.echo(f"Restored {target} from {backup_file}.")
