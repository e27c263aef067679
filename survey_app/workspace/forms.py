"""Forms of the facilitators' workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

MIN_K = 3
MAX_K = 50


class ActionForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change state."""


class InitiativeForm(FlaskForm):
    """Create or edit an initiative."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    language = SelectField(
        _l("Language of reports"),
        choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")],
        default="da",
    )
    min_group_size = IntegerField(
        _l("Minimum group size"),
        default=5,
        validators=[
            DataRequired(),
            NumberRange(
                min=MIN_K,
                max=MAX_K,
                message=_l("Choose a number from %(min)d to %(max)d.", min=MIN_K, max=MAX_K),
            ),
        ],
        description=_l(
            "Results are shown only for groups of at least this many respondents "
            "(at least 3; 5 is usual)."
        ),
    )


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoundForm(FlaskForm):
    """Create or edit a round."""

    name = StringField(
        _l("Name of the round"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("For example “Spring 2027”."),
    )
    instruments = MultiCheckboxField(_l("Instruments"), choices=[])
    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])

    def validate_instruments(self, field: MultiCheckboxField) -> None:
        """At least one instrument."""
        if not field.data:
            raise ValidationError(_l("Choose at least one instrument."))

    def validate_planned_end(self, field: DateField) -> None:
        """The end cannot come before the start."""
        if field.data and self.planned_start.data and field.data < self.planned_start.data:
            raise ValidationError(_l("The end date is before the start date."))


class MemberForm(FlaskForm):
    """Add a facilitator to an initiative by e-mail."""

    email = EmailField(
        _l("E-mail of the facilitator"), validators=[DataRequired(), Length(max=254)]
    )
    is_owner = BooleanField(_l("May manage members"))


class CodesForm(FlaskForm):
    """Generate invitation codes."""

    count = IntegerField(
        _l("Number of codes"),
        default=20,
        validators=[DataRequired(), NumberRange(min=1, max=2000)],
    )


class LinkForm(FlaskForm):
    """Turn the open round link on or off."""

    link_enabled = BooleanField(_l("Partners may answer through the open link"))


class ExportForm(FlaskForm):
    """Which table to download, in which format."""

    table = SelectField(
        _l("Table"),
        choices=[
            SelectChoice("scores", _l("Scores per topic (with minimum group size)")),
            SelectChoice("items", _l("Scores per question (with minimum group size)")),
            SelectChoice("long", _l("Raw answers, one row per answer")),
            SelectChoice("wide", _l("Raw answers, one row per response")),
            SelectChoice("codebook", _l("Codebook: questions, scales and what they measure")),
        ],
    )
    file_format = SelectField(
        _l("Format"), choices=[SelectChoice("xlsx", "Excel (XLSX)"), SelectChoice("csv", "CSV")]
    )
