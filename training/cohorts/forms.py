import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional, ValidationError

from training.forms import CheckboxesField, DateField, Length, choices, strip

TIME_INVALID = _l("Enter a time like 09:30.")


class CohortForm(FlaskForm):
    title = StringField(_l("Cohort name"), filters=[strip],
                        validators=[DataRequired(message=_l("Give the cohort a name.")), Length(max=200)],
                        description=_l("For example: Spring 2027, evenings."))
    training = SelectField(_l("Training"), validators=[DataRequired(message=_l("Choose the training."))],
                           description=_l("A course from the course content, or a live training with its own "
                                          "plan of sessions."))
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day."))],
                        description=_l("A live training's sessions may move it later."))
    first_start = TimeField(_l("Sessions start at"), invalid_value_message=TIME_INVALID, validators=[Optional()],
                            description=_l("For a live training's planned sessions: the time each one starts."))
    days_between = IntegerField(_l("Days between planned sessions"), default=7,
                                validators=[Optional(), NumberRange(min=1, max=31,
                                                                    message=_l("Enter 1 to 31 days."))])
    delivery = RadioField(_l("Delivery"), choices=choices([("in_person", _l("In person")), ("online", _l("Online"))]),
                          default="in_person", validators=[InputRequired(message=_l("Choose in person or online."))])
    address = TextAreaField(_l("Address"), filters=[strip], validators=[Optional(), Length(max=500)],
                            description=_l("For sessions in person."))
    meeting_url = StringField(_l("Meeting link"), filters=[strip], validators=[Optional(), Length(max=500)],
                              description=_l("For sessions online, starting with https://."))
    capacity = IntegerField(_l("Places"), default=20,
                            validators=[InputRequired(message=_l("Enter how many trainees can take part.")),
                                        NumberRange(min=1, max=500, message=_l("Enter 1 to 500 places."))])
    self_enrolment = BooleanField(_l("Trainees may enrol themselves (with a waiting list when full)"))
    trainers = CheckboxesField(_l("Trainers"), coerce=int,
                               validators=[DataRequired(message=_l("Choose at least one trainer."))])
    submit = SubmitField(_l("Create cohort"))


class CohortEditForm(CohortForm):
    training = None
    first_start = None
    days_between = None
    trainers = None
    submit = SubmitField(_l("Save changes"))


class TrainersForm(FlaskForm):
    trainers = CheckboxesField(_l("Trainers"), coerce=int,
                               validators=[DataRequired(message=_l("Choose at least one trainer."))])
    submit = SubmitField(_l("Save trainers"))


class EnrolForm(FlaskForm):
    email = EmailField(_l("Trainee's e-mail address"), filters=[strip],
                       validators=[DataRequired(message=_l("Enter an e-mail address.")),
                                   Email(message=_l("Enter an e-mail address like name@example.org.")),
                                   Length(max=254)])
    full_name = StringField(_l("Full name (only to invite someone without an account)"), filters=[strip],
                            validators=[Optional(), Length(max=120)])
    action = RadioField(_l("How"), choices=choices([("enrol", _l("Enrol now")),
                                                     ("invite", _l("Invite by e-mail to accept a place"))]),
                        default="enrol", validators=[InputRequired(message=_l("Choose enrol or invite."))])
    submit = SubmitField(_l("Add trainee"))


class SessionForm(FlaskForm):
    topic = StringField(_l("Topic"), filters=[strip],
                        validators=[DataRequired(message=_l("Enter the session's topic.")), Length(max=200)])
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    start = TimeField(_l("Starts at"), invalid_value_message=TIME_INVALID,
                      validators=[InputRequired(message=_l("Enter the start time."))])
    end = TimeField(_l("Ends at"), invalid_value_message=TIME_INVALID,
                    validators=[InputRequired(message=_l("Enter the end time."))])
    materials = CheckboxesField(_l("Materials (modules to read before or after)"), coerce=int,
                                validators=[Optional()])
    makeup_of_id = SelectField(_l("Make-up for"), coerce=int, validators=[Optional()],
                               description=_l("A make-up session credits only what each trainee missed of the "
                                              "session it makes up for."))
    submit = SubmitField(_l("Save session"))


ATTENDANCE_CHOICES = [("present", _l("Present")), ("late", _l("Late")), ("left_early", _l("Left early")),
                      ("absent", _l("Absent")), ("excused", _l("Excused"))]


class SignForm(FlaskForm):
    signed_name = StringField(_l("Your full name, as your signature"), filters=[strip],
                              validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Confirm attendance and credit hours"))


def six_digits(form, field):
    """A check-in code is six digits, which may be typed in groups (a space or a hyphen between)."""
    value = field.data or ""
    if not re.fullmatch(r"[0-9 -]+", value) or sum(ch.isdigit() for ch in value) != 6:
        raise ValidationError(_l("A check-in code is six digits, such as 482 019. Enter the six digits on your "
                                 "trainer’s screen."))


class CheckInForm(FlaskForm):
    code = StringField(_l("Check-in code"), filters=[strip],
                       validators=[DataRequired(message=_l("Enter the six-digit code the trainer shows.")),
                                   six_digits],
                       description=_l("Six digits, shown by your trainer. It changes every minute."),
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "12"})
    submit = SubmitField(_l("Check in"))


class ReflectionForm(FlaskForm):
    text = TextAreaField(_l("Your reflection"), filters=[strip],
                         validators=[DataRequired(message=_l("Write your reflection.")), Length(max=5000)],
                         description=_l("A trainer reads it. Never identify the people you support."),
                         render_kw={"rows": 8})
    submit = SubmitField(_l("Send to a trainer"))


class ReflectionReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("accept", _l("Accept")),
                                                            ("return", _l("Return with a comment"))]),
                          validators=[InputRequired(message=_l("Choose accept or return."))])
    comment = TextAreaField(_l("Comment"), filters=[strip], validators=[Optional(), Length(max=2000)],
                            description=_l("Needed to return it: say what to add or change."))
    submit = SubmitField(_l("Save review"))
