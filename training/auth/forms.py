from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from training.forms import strip

EMAIL = [DataRequired(message="Enter your e-mail address."),
         Email(message="Enter an e-mail address like name@example.org."), Length(max=254)]
NAME = [DataRequired(message="Enter your full name."), Length(max=120)]


def new_password_fields():
    password = PasswordField(
        "New password",
        [DataRequired(message="Choose a password."), Length(max=256)],
        description="At least 10 characters. A few unrelated words make a strong, memorable password.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        [DataRequired(message="Repeat the password."),
         EqualTo("password", message="The two passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", EMAIL, filters=[strip], render_kw={"autocomplete": "username"})
    password = PasswordField("Password", [DataRequired(message="Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class AcceptInvitationForm(FlaskForm):
    full_name = StringField("Full name", NAME, filters=[strip], render_kw={"autocomplete": "name"})
    password, confirm = new_password_fields()
    submit = SubmitField("Create my account")


class RegistrationForm(FlaskForm):
    full_name = StringField("Full name", NAME, filters=[strip], render_kw={"autocomplete": "name"})
    email = EmailField("E-mail address", EMAIL, filters=[strip], render_kw={"autocomplete": "email"})
    password, confirm = new_password_fields()
    submit = SubmitField("Create my account")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail address", EMAIL, filters=[strip], render_kw={"autocomplete": "email"})
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField("Save my new password")


class AccountForm(FlaskForm):
    current_password = PasswordField("Current password", [DataRequired(message="Enter your current password.")],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()
    submit = SubmitField("Change password")
