"""WTForms classes built from instrument sections. WTForms validates; Jinja macros render.

Rendering every radio button through WTForms widgets is many times slower than a plain
Jinja loop over the scale's labels, so templates take only names, values and errors
from these forms.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from survey_app.core.instruments import BackgroundQuestion, Instrument, Item, ItemKind
from survey_app.services.survey import DONT_KNOW

MAX_COMMENT_LENGTH = 4000
MAX_CODE_LENGTH = 40
_NUMBER = re.compile(r"^-?\d{1,12}([.,]\d{1,6})?$")


def field_name(item_id: str) -> str:
    """The form field of an item (prefixed, so ids never clash with form attributes)."""
    return f"q_{item_id}"


class SurveyPageForm(FlaskForm):
    """Base of every survey form. CSRF is checked here rather than globally, so an
    expired token re-renders the page with every answer kept instead of a 400 page."""


class CodeForm(FlaskForm):
    """The invitation code a partner types in."""

    code = StringField(_l("Your code"), validators=[Length(min=1, max=MAX_CODE_LENGTH)])


class NumberAnswer:
    """Accepts a number with a decimal point or comma, inside the item's range."""

    def __init__(self, minimum: float | None, maximum: float | None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = (field.data or "").strip()
        if not raw:
            return
        if not _NUMBER.match(raw):
            raise ValidationError(_l("Please write a number, e.g. 12 or 2,5."))
        value = float(raw.replace(",", "."))
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(_l("The number must be at least %(n)s.", n=_plain(self.minimum)))
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(_l("The number must be at most %(n)s.", n=_plain(self.maximum)))


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _choice_field(values: list[str]) -> RadioField:
    return RadioField(choices=values, validators=[Optional()], validate_choice=True)


def _item_field(instrument: Instrument, item: Item) -> Field:
    if item.kind is ItemKind.SCALE:
        scale = instrument.scale_of(item)
        values = [str(point) for point in range(1, scale.points + 1)]
        return _choice_field(values + ([DONT_KNOW] if scale.dont_know else []))
    if item.kind is ItemKind.SINGLE:
        return _choice_field([option.value for option in item.options])
    if item.kind is ItemKind.MULTIPLE:
        choices = [option.value for option in item.options]
        return SelectMultipleField(choices=choices, validators=[Optional()])
    if item.kind is ItemKind.NUMBER:
        return StringField(
            validators=[Optional(), Length(max=40), NumberAnswer(item.minimum, item.maximum)]
        )
    too_long = _l("Please keep the comment under %(n)d characters.", n=MAX_COMMENT_LENGTH)
    return TextAreaField(validators=[Optional(), Length(max=MAX_COMMENT_LENGTH, message=too_long)])


@lru_cache(maxsize=512)
def section_form_class(instrument: Instrument, section_id: str) -> type[SurveyPageForm]:
    """A form class for one section; cached, since an instrument version never changes."""
    section = next(section for section in instrument.sections if section.id == section_id)
    attributes: dict[str, Any] = {
        field_name(item.id): _item_field(instrument, item) for item in section.items
    }
    return type(f"Section_{instrument.id}_{section.id}", (SurveyPageForm,), attributes)


@lru_cache(maxsize=32)
def background_form_class(questions: tuple[BackgroundQuestion, ...]) -> type[SurveyPageForm]:
    """A form class for the optional background questions."""
    attributes: dict[str, Any] = {
        field_name(question.id): _choice_field([option.value for option in question.options])
        for question in questions
    }
    return type("BackgroundForm", (SurveyPageForm,), attributes)
