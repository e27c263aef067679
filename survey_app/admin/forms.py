"""Forms of the admin blueprint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from survey_app.auth.forms import EMAIL_PATTERN
from survey_app.auth.forms import _new_password_fields as new_password_fields
from survey_app.models import Role

MAX_RETENTION_MONTHS = 120


class ConfirmForm(FlaskForm):
    """Only a CSRF token, for buttons that change or delete something."""


class AccountForm(FlaskForm):
    """Create an account; its owner sets the password with a one-time link."""

    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Enter a valid e-mail address.")),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.FACILITATOR.value, _l("Facilitator")),
            SelectChoice(Role.ADMIN.value, _l("Administrator")),
        ],
        default=Role.FACILITATOR.value,
    )
    submit = SubmitField(_l("Create account"))


class SetPasswordForm(FlaskForm):
    """Choose a password with a one-time link."""

    password, confirm = new_password_fields()
    submit = SubmitField(_l("Set password"))


class RetentionForm(FlaskForm):
    """How long raw answers are kept after a round closes."""

    retention_months = IntegerField(
        _l("Delete raw answers this many months after a round closes"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_RETENTION_MONTHS,
                message=_l(
                    "Choose a number from %(min)d to %(max)d.", min=1, max=MAX_RETENTION_MONTHS
                ),
            ),
        ],
        description=_l(
            "Leave empty to keep raw answers until you delete them. Aggregated scores are "
            "kept either way."
        ),
    )
    submit = SubmitField(_l("Save"))
