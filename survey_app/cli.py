"""The `survey-app` command: Flask's CLI around the app factory plus our own commands."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Role, User
from survey_app.services import accounts

users_cli = AppGroup("users", help="Manage facilitator and admin accounts.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Create an administrator instead of a facilitator.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, admin: bool, name: str, password_stdin: bool) -> None:
    """Create an account; the password is prompted for (or read from stdin)."""
    from survey_app.auth.forms import MIN_PASSWORD_LENGTH

    password = _read_password(password_stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    role = Role.ADMIN if admin else Role.FACILITATOR
    try:
        user = accounts.create_user(email, password, role=role, name=name)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    from survey_app.services import audit

    audit.record(audit.ACCOUNT_CREATED, user, detail="command line", email="(command line)")
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


@users_cli.command("list")
def list_users_command() -> None:
    """List accounts with role, state and last login date."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "deactivated"
        last = user.last_login_on.isoformat() if user.last_login_on else "-"
        click.echo(f"{user.email}\t{user.role.value}\t{state}\tlast login {last}")


def _create_app():  # noqa: ANN202  (FlaskGroup passes no arguments)
    from survey_app.app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Collective impact survey platform.")


@click.command("demo")
@with_appcontext
@click.option("--seed", default=2027, show_default=True, help="Seed of the answer generator.")
def demo_command(seed: int) -> None:
    """Create a demo initiative with three closed rounds and one open round."""
    from flask import url_for

    from survey_app.services.demo import create_demo

    login = create_demo(seed)
    base = (current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context(base_url=base):
        link = url_for("survey.intro", token=login.open_round_token, _external=True)
    click.echo("Demo created.")
    click.echo(f"  Log in at {base}/login")
    click.echo(f"  E-mail:   {login.email}")
    click.echo(f"  Password: {login.password}")
    click.echo(f"  Open round link for partners: {link}")


@click.command("export")
@with_appcontext
@click.option("--round", "round_id", type=int, required=True, help="Id of the round.")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="xlsx")
@click.option(
    "--table",
    type=click.Choice(["all", "long", "wide", "scores", "items", "codebook"]),
    default="all",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_command(round_id: int, file_format: str, table: str, output: str) -> None:
    """Export a round's data (CSV: a zip with one file per table when --table all)."""
    from survey_app.models import Round
    from survey_app.services import exports

    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.ClickException(f"no round with id {round_id}")
    frames = exports.all_tables(round_) if table == "all" else {table: exports.table(round_, table)}
    if file_format == "xlsx":
        responses = exports.frame_responses(
            frames.get("long", frames.get("wide", exports.table(round_, "long")))
        )
        notes = exports.raw_export_notes(round_, round_.initiative.min_group_size, responses)
        body = exports.to_xlsx(frames, notes)
    elif len(frames) == 1:
        body = exports.to_csv(next(iter(frames.values())))
    else:
        body = exports.zip_of_csv(frames)
    with open(output, "wb") as handle:
        handle.write(body)
    click.echo(f"Wrote {output} ({', '.join(frames)})")
