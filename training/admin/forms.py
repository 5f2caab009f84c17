from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Optional

from training.auth.models import ROLES
from training.forms import CheckboxesField, DateField, Length, NotBefore, choices, strip

ROLE_CHOICES = choices(ROLES.items())
ROLE_INVALID = _l("Choose from the roles listed.")


class InviteForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[DataRequired(message=_l("Enter the person's full name.")), Length(max=120)],
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Enter an e-mail address.")),
            Email(message=_l("Enter an e-mail address like name@example.org.")),
            Length(max=254),
        ],
    )
    roles = CheckboxesField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        default=["trainee"],
        invalid_choice_message=ROLE_INVALID,
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    submit = SubmitField(_l("Send invitation"))


class RosterForm(FlaskForm):
    file = FileField(_l("Spreadsheet saved as CSV"),
                     validators=[FileRequired(message=_l("Choose the file to upload."))],
                     description=_l("One person a row: e-mail address and name, and if you like their roles and "
                                    "their supervisor's e-mail address. At most 2 MB."))
    cohort = SelectField(_l("Enrol the trainees in a live training cohort"), coerce=int, default=0,
                         invalid_choice_message=_l("Choose one of the cohorts listed."),
                         invalid_value_message=_l("Choose one of the cohorts listed."),
                         description=_l("Optional. Trainees take its places in the file's order; once it is full, "
                                        "the others go on its waiting list."))
    submit = SubmitField(_l("Check the file"))


class ConfirmRosterForm(FlaskForm):
    filename = HiddenField()
    content = HiddenField()
    cohort = HiddenField()
    submit = SubmitField(_l("Send the invitations"))


class RolesForm(FlaskForm):
    roles = CheckboxesField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        invalid_choice_message=ROLE_INVALID,
        validators=[DataRequired(message=_l("A person needs at least one role."))],
    )
    submit = SubmitField(_l("Save roles"))


class DeactivateForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), filters=[strip],
                           validators=[DataRequired(message=_l("Give the reason, for the audit log.")), Length(max=500)])
    # Set by the confirmation page: the first submission only asks "are you sure?".
    confirmed = HiddenField(default="")
    submit = SubmitField(_l("Deactivate"))


class AllowAttemptForm(FlaskForm):
    reason = TextAreaField(_l("Why one more attempt (kept in the audit log)"), filters=[strip],
                           validators=[DataRequired(message=_l("Say why this trainee may try again, for the audit "
                                                               "log: for example, extra study with a mentor.")),
                                       Length(max=500)])
    submit = SubmitField(_l("Allow one more attempt"))


class AssignSupervisorForm(FlaskForm):
    supervisor_id = SelectField(
        _l("Supervisor"),
        coerce=int,
        invalid_choice_message=_l("Choose one of the supervisors listed."),
        invalid_value_message=_l("Choose one of the supervisors listed."),
        validators=[DataRequired(message=_l("Choose a supervisor."))],
    )
    starts_on = DateField(
        _l("Starts on"),
        validators=[InputRequired(message=_l("Enter the start date."))]
    )
    ends_on = DateField(_l("Ends on (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Assign supervisor"))


class EndAssignmentForm(FlaskForm):
    ends_on = DateField(
        _l("Ends on"),
        validators=[InputRequired(message=_l("Enter the last day of supervision."))],
    )
    # Set by the confirmation page: the first submission only says what ending would do.
    confirmed = HiddenField(default="")
    submit = SubmitField(_l("End assignment"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    person = StringField(_l("Person (name or e-mail)"), [Optional(), Length(max=120)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional(), NotBefore("date_from", _l(
        "This date is before the “From” date: enter the earlier date first."))])
