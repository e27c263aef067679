"""The `survey-app` command: Flask's CLI around the app factory plus our own commands."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, FlaskGroup
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
