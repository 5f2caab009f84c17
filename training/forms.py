"""Forms used by several features."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change something."""

    submit = SubmitField("Confirm")
