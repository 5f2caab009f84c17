"""Forms used by several features."""
from decimal import Decimal, InvalidOperation

import wtforms
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, SubmitField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

FIRST_YEAR, LAST_YEAR = 1900, 2199
DATE_INVALID = _l("Enter a date like 2026-03-31.")


class DateField(wtforms.DateField):
    """A date field that says how to write a date, and refuses years nobody means (0001, 9999): they
    overflow date arithmetic."""

    def __init__(self, label=None, validators=None, invalid_value_message=DATE_INVALID, **kwargs):
        super().__init__(label, validators, invalid_value_message=invalid_value_message, **kwargs)

    def pre_validate(self, form):
        if self.data is not None and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            self.data = None
            raise StopValidation(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class Length(wtforms.validators.Length):
    """WTForms' length check, whose message names the field it is about ("“Topics” can be at most
    2000 characters long"): beside the field or in the list of every problem at the top of the
    page, "Field cannot be longer than 2000 characters" leaves the reader to guess which."""

    def __call__(self, form, field):
        length = len(field.data) if field.data else 0
        if self.message is not None or self.min > 0 or self.max < 0 or length <= self.max:
            return super().__call__(form, field)
        from flask_babel import format_number, gettext

        raise wtforms.validators.ValidationError(gettext(
            "“%(field)s” can be at most %(max)s characters long; this one has %(length)s.",
            field=str(field.label.text), max=format_number(self.max), length=format_number(length)))


class NotBefore:
    """A validator: the field's date is not before the date of the field named ``other`` (a range's
    "to" and its "from"), when both are given."""

    def __init__(self, other, message):
        self.other, self.message = other, message

    def __call__(self, form, field):
        start = form[self.other].data
        if field.data is not None and start is not None and field.data < start:
            raise wtforms.validators.ValidationError(self.message)


class DecimalTextField(wtforms.DecimalField):
    """A number with decimals, typed with a point or, as Spanish writes it, a comma ("1,5").

    A text box, not a number input: a browser set to English drops the comma of "1,5" from a number
    input and sends "15", which would be saved as fifteen. On a phone, ``inputmode="decimal"`` still
    brings up the keypad with the phone's own decimal separator. A value too large to show with the
    field's decimals is shown as it was typed.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, render_kw=None, **kwargs):
        super().__init__(label, validators, render_kw={"inputmode": "decimal", **(render_kw or {})}, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            typed = valuelist[0].strip()
            if typed.count(",") == 1 and "." not in typed:
                typed = typed.replace(",", ".")
            valuelist = [typed, *valuelist[1:]]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:  # as typed, right or wrong
            return self.raw_data[0]
        if self.data is None:
            return ""
        try:  # as the page's language writes it, with no needless zeros ("3", "1,25")
            return format_decimal(Decimal(str(self.data)), format="0.##########")
        except InvalidOperation:
            return str(self.data)


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change something."""

    submit = SubmitField(_l("Confirm"))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def strip(value):
    """A WTForms filter that trims surrounding spaces from text."""
    return value.strip() if isinstance(value, str) else value


def choices(pairs):
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_error(form, error):
    """Put a service's error next to the field it names, or flash it when it names none.

    Services raise errors with ``message`` and ``field`` attributes, or with ``problems``, one
    (field, message) pair each, when they refuse several things at once; views call this.
    """
    problems = getattr(error, "problems", None) or [(getattr(error, "field", None), error.message)]
    for name, message in problems:
        show_problem(form, name, message)


def show_problem(form, name, message):
    """Put one message next to the field ``name``, or flash it when the form has no such field."""
    from flask import flash

    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [message]
    else:
        flash(message, "error")
