from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from training.forms import DateField, DecimalTextField, Length, choices, strip


class SignForm(FlaskForm):
    signed_name = StringField(_l("Your full name, as your signature"), filters=[strip],
                              validators=[DataRequired(message=_l("Type your name to sign.")), Length(max=120)])
    # The language of the page the text was read on, and the SHA-256 of the text it showed.
    text_language = HiddenField(validators=[Optional(), Length(max=5)])
    text_sha256 = HiddenField(validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Sign"))


class UploadForm(FlaskForm):
    file = FileField(_l("Document"), description=_l("PDF, PNG or JPEG, at most 5 MB."))
    note = TextAreaField(_l("Note for the reviewer (optional)"), filters=[strip],
                         validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Send for review"))


class EnrolForm(FlaskForm):
    credential = SelectField(_l("Credential"), validators=[DataRequired(message=_l("Choose a credential."))])
    started_on = DateField(_l("Enrolled on"), validators=[InputRequired(message=_l("Enter the enrolment date."))],
                           description=_l("Windows for supervised work and supervision start on this date."))
    submit = SubmitField(_l("Enrol"))


class EndEnrolmentForm(FlaskForm):
    ended_on = DateField(_l("Ended on"), validators=[InputRequired(message=_l("Enter the date the enrolment ends."))])
    submit = SubmitField(_l("End the enrolment"))


class RecordForm(FlaskForm):
    key = SelectField(_l("Evidence"), validators=[DataRequired(message=_l("Choose what you are recording."))])
    occurred_on = DateField(_l("Date (of the exam or document)"), validators=[Optional()])
    quantity = DecimalTextField(_l("Score or number"), places=2, validators=[Optional(), NumberRange(min=0, max=100000)],
                            invalid_value_message=_l("Enter a number, such as 24 or 82.5."),
                            description=_l("The exam score, or the number the requirement counts "
                                           "(college credits, for example)."))
    file = FileField(_l("Evidence file (optional)"), description=_l("PDF, PNG or JPEG, at most 5 MB."))
    note = TextAreaField(_l("Note (optional)"), filters=[strip], validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Record as verified"))


class ReviewEvidenceForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("accept", _l("Accept")), ("return", _l("Return"))]),
                          validators=[InputRequired(message=_l("Choose accept or return."))])
    quantity = DecimalTextField(_l("Number verified"), places=2,
                            validators=[Optional(), NumberRange(min=0, max=100000)],
                            invalid_value_message=_l("Enter a number, such as 24."))
    reason = TextAreaField(_l("Reason (needed to return)"), filters=[strip], validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save the decision"))
