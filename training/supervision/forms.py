import re
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation

from training.forms import CheckboxesField, DateField, DecimalTextField, Length, NotBefore, choices, strip
from training.supervision.models import FORMATS, KINDS, LISTED_KINDS
from training.supervision.wellbeing import CHOOSE, QUESTIONS

NOTE_HINT = _l("Never identify the people you support: no names, phone numbers, e-mail or street addresses, "
               "dates of birth or record numbers.")


def quarter_hours(minimum=Decimal("0.25"), maximum=Decimal(24)):
    """A validator of hours between ``minimum`` and ``maximum`` in whole quarter hours.

    It refuses NaN, infinities and absurd sizes before any arithmetic (1e28 * 4 overflows the
    decimal context). Durations of logged work start at a quarter hour; a session's credit in
    one domain may be nothing at all, so its form asks for ``minimum=0``.
    """
    def validate(form, field):
        if field.process_errors:  # not a number at all: the field already says so, once
            raise StopValidation()
        value = field.data
        if value is None or not value.is_finite():
            raise StopValidation(_("Enter hours as a number, such as 1.5."))
        if not minimum <= value <= maximum:
            raise StopValidation(_("Enter between %(minimum)s and %(maximum)s hours.",
                                   minimum=format_decimal(minimum), maximum=format_decimal(maximum)))
        if (value * 4) % 1 != 0:
            raise StopValidation(_("Enter the duration in quarter hours, such as 1.25 or 2.5."))
    return validate


finite_quarter_hours = quarter_hours()


def hours_field(label=None):
    return DecimalTextField(label or _l("Hours"), places=2,
                            invalid_value_message=_l("Enter hours as a number, such as 1.5."),
                            validators=[InputRequired(message=_l("Enter how many hours.")), finite_quarter_hours],
                            description=_l("In hours and quarters: 0.25, 0.5, 0.75, 1, 1.25 …"))


STATUS_CHOICES = [("", _l("Any status")), ("pending", _l("Waiting")), ("returned", _l("Returned")),
                  ("approved", _l("Approved")), ("withdrawn", _l("Withdrawn"))]


class HourFilterForm(FlaskForm):
    """The hours page's filters, read from the address (a GET form: nothing changes, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=choices([("", _l("Any kind")), *LISTED_KINDS.items()]), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional(), NotBefore("date_from", _l(
        "This date is before the “From” date: enter the earlier date first."))])


def _submission_key(value):
    """The form's key when it is one the form could have made (32 hex digits), otherwise none."""
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) else None


def loggable_day(form, field):
    """The day of hours, checked with the other fields: not in the future, nor too far back."""
    from training.supervision.services import EntryError, check_day

    if field.data is None:
        return
    try:
        check_day(field.data)
    except EntryError as error:
        raise StopValidation(error.message) from None


class EntryForm(FlaskForm):
    kind = RadioField(_l("What kind of hours?"), choices=choices(KINDS.items()), default="service",
                      validators=[InputRequired(message=_l("Choose what kind of hours these are."))])
    occurred_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date.")), loggable_day])
    hours = hours_field()
    domain = SelectField(_l("Domain"), validators=[DataRequired(message=_l("Choose a domain."))])
    organisation = StringField(_l("Organisation or setting"), filters=[strip],
                               validators=[Optional(), Length(max=200)],
                               description=_l("Where the work or supervision happened, e.g. a recovery community "
                                              "centre."))
    supervision_format = RadioField(_l("Supervision format"), choices=choices(FORMATS.items()), default="individual",
                                    validators=[Optional()])
    provider = StringField(_l("Training provider"), filters=[strip], validators=[Optional(), Length(max=200)])
    certificate = FileField(_l("Training certificate"), description=_l("PDF, PNG or JPEG, at most 5 MB."))
    attributes = CheckboxesField(_l("What applies to these hours"), validators=[Optional()],
                                 description=_l("Your credential counts hours with these separately. Tick what "
                                                "applies."))
    category = SelectField(_l("Continuing-education category"), validators=[Optional()],
                           description=_l("The category it counts toward at renewal."))
    note = TextAreaField(_l("Note (optional)"), filters=[strip], validators=[Optional(), Length(max=2000)],
                         description=NOTE_HINT)
    # A random key per opening of the form, so that sending it twice makes one entry.
    submission_key = HiddenField(filters=[_submission_key])
    submit = SubmitField(_l("Send for approval"))

    @property
    def minutes(self):
        return int(self.hours.data * 60) if self.hours.data is not None else None


class ReviewForm(FlaskForm):
    """The signature of a review page; each row's decision and comment are read by the view."""

    signed_name = StringField(_l("Your full name, as your signature"), filters=[strip],
                              validators=[Optional(), Length(max=120)],
                              description=_l("Needed to approve. Typing your name signs each entry you approve, "
                                             "each with its own fingerprint."))
    submit = SubmitField(_l("Save these decisions"))


REVIEW_CHOICES = {"": _l("Later"), "approve": _l("Approve"), "return": _l("Return")}
COMMENT_HINT = _l("Needed to return an entry: say what should change. %(note_hint)s", note_hint=NOTE_HINT)


class SessionForm(FlaskForm):
    format = RadioField(_l("Format"), choices=choices(FORMATS.items()), default="individual",
                        validators=[InputRequired(message=_l("Choose individual or group."))])
    # The supervisor's supervisees, set by the view.
    trainees = CheckboxesField(_l("Supervisees present"), coerce=int, validate_choice=False)
    occurred_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    hours = hours_field(_l("Length in hours"))
    domain = SelectField(_l("Domain"), validators=[DataRequired(message=_l("Choose a domain."))])
    organisation = StringField(_l("Organisation or setting"), filters=[strip], validators=[Optional(), Length(max=200)],
                               description=_l("Where the supervisees’ work was supervised, such as a recovery "
                                              "community centre. Verification reports count the session at this "
                                              "setting. Left empty, they would say the organisation was not "
                                              "recorded: your account does not name yours yet."))
    attributes = CheckboxesField(_l("What applies to this session"), validators=[Optional()],
                                 description=_l("Their credentials count supervision with these separately. Each "
                                                "supervisee present gets the ones their credential asks about."))
    topics = TextAreaField(_l("Topics"), filters=[strip], validators=[Optional(), Length(max=2000)],
                           description=NOTE_HINT)
    signed_name = StringField(_l("Your full name, as your signature"), filters=[strip],
                              validators=[DataRequired(message=_l("Type your full name to sign.")), Length(max=120)])
    # A random key per opening of the form, so that sending it twice logs one session.
    submission_key = HiddenField(filters=[_submission_key])
    submit = SubmitField(_l("Log and sign session"))

    def validate_trainees(self, field):
        """Who was present fits the format, checked with the rest of the form so that every
        problem is shown at once (the service checks it again)."""
        present = set(field.data or ())
        if not present:
            raise StopValidation(_("Choose who was present."))
        if present - {value for value, _label, *_rest in field.iter_choices()}:
            raise StopValidation(_("You can log supervision only for your own supervisees."))
        if self.format.data == "individual" and len(present) != 1:
            raise StopValidation(_("Individual supervision is with one supervisee; choose group for more."))
        if self.format.data == "group" and len(present) < 2:
            raise StopValidation(_("A group session needs at least two supervisees present."))

    @property
    def minutes(self):
        return int(self.hours.data * 60) if self.hours.data is not None else None


class CorrectionForm(FlaskForm):
    occurred_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    hours = hours_field()
    domain = SelectField(_l("Domain"), validators=[DataRequired(message=_l("Choose a domain."))])
    reason = TextAreaField(_l("Reason for the correction"), filters=[strip],
                           validators=[DataRequired(message=_l("Give the reason for the correction.")),
                                       Length(max=1000)])
    submit = SubmitField(_l("Save correction"))

    @property
    def minutes(self):
        return int(self.hours.data * 60) if self.hours.data is not None else None


def scale_field(label, low, high, choose):
    """An answer from 1 to 5; ``choose`` says what to do, naming the question, when it is missing or
    is not one of the five (a value sent by hand)."""
    return RadioField(label, choices=choices([(str(i), str(i)) for i in range(1, 6)]),
                      validators=[InputRequired(message=choose)], invalid_choice_message=choose,
                      description=_l("1 = %(low)s, 5 = %(high)s", low=low, high=high))


class CheckInForm(FlaskForm):
    submit = SubmitField(_l("Save today's check-in"))


for _name, _label, _low, _high in QUESTIONS:
    setattr(CheckInForm, _name, scale_field(_label, _low, _high, CHOOSE[_name]))


class SharingForm(FlaskForm):
    shared = BooleanField(_l("Let my supervisor see whether my check-ins are falling (never the answers themselves)"))
    submit = SubmitField(_l("Save"))


class ReportForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    report = StringField(_l("Report"), validators=[Optional(), Length(max=300)])
