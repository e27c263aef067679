"""The `survey-app users` commands."""

from __future__ import annotations

from flask import Flask

from survey_app.extensions import db
from survey_app.models import AuditEntry, Role, User
from survey_app.services import accounts


def test_create_admin_with_password_from_stdin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Boss@Example.org", "--admin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.org" in result.output
    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert user.role is Role.ADMIN
        assert accounts.authenticate("boss@example.org", "a long enough password") is not None
        entry = db.session.scalars(db.select(AuditEntry)).one()
        assert (entry.action, entry.object_id) == ("account_created", user.id)


def test_short_password_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "x@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert accounts.user_count() == 0


def test_duplicate_email_is_refused(app: Flask, make_user) -> None:
    make_user("dup@example.org")
    result = app.test_cli_runner().invoke(
        args=["users", "create", "DUP@example.org", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code != 0
    assert "exists already" in result.output


def test_list_shows_role_and_state(app: Flask, make_user) -> None:
    make_user("fac@example.org")
    make_user("adm@example.org", role=Role.ADMIN)
    result = app.test_cli_runner().invoke(args=["users", "list"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("adm@example.org\tadmin\tactive")
    assert lines[1].startswith("fac@example.org\tfacilitator\tactive")
