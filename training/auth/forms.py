from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Optional, Regexp

from training.forms import Length, strip

EMAIL = [DataRequired(message=_l("Enter your e-mail address.")),
         Email(message=_l("Enter an e-mail address like name@example.org.")), Length(max=254)]
NAME = [DataRequired(message=_l("Enter your full name.")), Length(max=120)]


def new_password_fields():
    password = PasswordField(
        _l("New password"),
        [DataRequired(message=_l("Choose a password.")), Length(max=256)],
        description=_l("At least 10 characters. A few unrelated words make a strong, memorable password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        [DataRequired(message=_l("Repeat the password.")),
         EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), EMAIL, filters=[strip], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), [DataRequired(message=_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class AcceptInvitationForm(FlaskForm):
    full_name = StringField(_l("Full name"), NAME, filters=[strip], render_kw={"autocomplete": "name"})
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Create my account"))


class RegistrationForm(FlaskForm):
    full_name = StringField(_l("Full name"), NAME, filters=[strip], render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail address"), EMAIL, filters=[strip], render_kw={"autocomplete": "email"},
                       description=_l("We will e-mail you a link to confirm the address and choose your password."))
    submit = SubmitField(_l("Create my account"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), EMAIL, filters=[strip], render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Save my new password"))


class AccountForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     [DataRequired(message=_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Change password"))


PROFILE_FIELDS = ("job_title", "professional_credential", "credential_number", "phone", "organisation_name",
                  "organisation_address")


class ProfileForm(FlaskForm):
    """Professional details a supervisor attests with; printed on supervision verification reports."""

    job_title = StringField(_l("Job title"), [Length(max=120)], filters=[strip],
                            description=_l("For example: Clinical supervisor."),
                            render_kw={"autocomplete": "organization-title"})
    professional_credential = StringField(
        _l("Professional credential"), [Length(max=200)], filters=[strip],
        description=_l("The credential or licence you supervise under, for example: Licensed Clinical Social Worker."))
    credential_number = StringField(_l("Credential or licence number"), [Length(max=60)], filters=[strip])
    phone = StringField(_l("Work phone"), [Optional(), Length(max=40), Regexp(
        r"^\+?[0-9][0-9 ()./-]{5,}[0-9]( ?(ext\.?|x) ?[0-9]{1,6})?$",
        message=_l("Enter a phone number with its area code, like +1 555 010 0100."))],
        filters=[strip], render_kw={"autocomplete": "tel", "inputmode": "tel"})
    organisation_name = StringField(_l("Organisation"), [Length(max=200)], filters=[strip],
                                    render_kw={"autocomplete": "organization"})
    organisation_address = TextAreaField(_l("Organisation address"), [Length(max=500)], filters=[strip],
                                         render_kw={"autocomplete": "street-address", "rows": 3})
    save_profile = SubmitField(_l("Save details"))
