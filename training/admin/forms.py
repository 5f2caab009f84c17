from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from training.auth.models import ROLES
from training.forms import CheckboxesField, DateField, choices, strip

ROLE_CHOICES = choices(ROLES.items())
ROLE_INVALID = "Choose from the roles listed."
DATE_INVALID = "Enter a date like 2026-03-31."


class InviteForm(FlaskForm):
    full_name = StringField(
        "Full name",
        filters=[strip],
        validators=[DataRequired(message="Enter the person's full name."), Length(max=120)],
    )
    email = EmailField(
        "E-mail address",
        filters=[strip],
        validators=[
            DataRequired(message="Enter an e-mail address."),
            Email(message="Enter an e-mail address like name@example.org."),
            Length(max=254),
        ],
    )
    roles = CheckboxesField(
        "Roles",
        choices=ROLE_CHOICES,
        default=["trainee"],
        invalid_choice_message=ROLE_INVALID,
        validators=[DataRequired(message="Choose at least one role.")],
    )
    submit = SubmitField("Send invitation")


class RolesForm(FlaskForm):
    roles = CheckboxesField(
        "Roles",
        choices=ROLE_CHOICES,
        invalid_choice_message=ROLE_INVALID,
        validators=[DataRequired(message="A person needs at least one role.")],
    )
    submit = SubmitField("Save roles")


class DeactivateForm(FlaskForm):
    reason = TextAreaField("Reason (kept in the audit log)", [Optional(), Length(max=500)])
    submit = SubmitField("Deactivate")


class AssignSupervisorForm(FlaskForm):
    supervisor_id = SelectField(
        "Supervisor",
        coerce=int,
        invalid_choice_message="Choose one of the supervisors listed.",
        invalid_value_message="Choose one of the supervisors listed.",
        validators=[DataRequired(message="Choose a supervisor.")],
    )
    starts_on = DateField(
        "Starts on", invalid_value_message=DATE_INVALID, validators=[InputRequired(message="Enter the start date.")]
    )
    ends_on = DateField("Ends on (optional)", invalid_value_message=DATE_INVALID, validators=[Optional()])
    submit = SubmitField("Assign supervisor")


class EndAssignmentForm(FlaskForm):
    ends_on = DateField(
        "Ends on",
        invalid_value_message=DATE_INVALID,
        validators=[InputRequired(message="Enter the last day of supervision.")],
    )
    submit = SubmitField("End assignment")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField("Action", validators=[Optional()])
    person = StringField("Person (name or e-mail)", [Optional(), Length(max=120)])
    date_from = DateField("From", invalid_value_message=DATE_INVALID, validators=[Optional()])
    date_to = DateField("To", invalid_value_message=DATE_INVALID, validators=[Optional()])
