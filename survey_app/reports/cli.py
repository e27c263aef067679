"""`survey-app report`: the assessment report of a round as a PDF or a standalone HTML file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.models import Round
from survey_app.reports.model import build_report
from survey_app.reports.pdf import ReportRenderError, ReportTimeout
from survey_app.reports.render import RenderOptions, produce, stylesheet


def _options(file_format: str) -> RenderOptions:
    static_folder = str(current_app.static_folder)
    static_url = (current_app.static_url_path or "/static").rstrip("/")
    if file_format == "pdf":
        return RenderOptions(mode="pdf", static_folder=static_folder, static_url=static_url)
    return RenderOptions(
        mode="file",
        static_folder=static_folder,
        static_url=static_url,
        stylesheet=stylesheet(static_folder),
    )


@click.command("report")
@with_appcontext
@click.option("--round", "round_id", type=int, required=True, help="Id of the round.")
@click.option(
    "--compare", "compare_ids", type=int, multiple=True, help="Id of an earlier round (repeat)."
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["da", "en"]),
    default=None,
    help="Language of the report (default: the initiative's).",
)
@click.option("--format", "file_format", type=click.Choice(["pdf", "html"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def report_command(
    round_id: int, compare_ids: tuple[int, ...], language: str | None, file_format: str, output: str
) -> None:
    """Write the assessment report of a round (with earlier rounds compared) to a file."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.ClickException(f"no round with id {round_id}")
    language = language or round_.initiative.language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    report = build_report(round_, list(compare_ids), str(language))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        body = produce(app, report, _options(file_format))
    except ReportTimeout as error:
        raise click.ClickException(
            f"{error}; raise REPORT_TIMEOUT or compare fewer rounds"
        ) from error
    except ReportRenderError as error:
        raise click.ClickException(str(error)) from error
    data = body.encode("utf-8") if isinstance(body, str) else body
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({file_format}, {len(data)} bytes, language {language})")
