from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from training.forms import DateField, choices, strip


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField("Verification code", filters=[strip],
                       validators=[DataRequired(message="Enter the code printed on the certificate."),
                                   Length(max=64, message="That is longer than any verification code.")],
                       description="20 letters and digits, usually printed in groups of four, "
                                   "for example 7KQ2-M9XD-4T8R-PZ3A-H6WN.",
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField("Check")


class RevokeForm(FlaskForm):
    reason = TextAreaField("Public reason (shown on the verification page)", filters=[strip],
                           validators=[DataRequired(message="Give the reason the verification page will show."),
                                       Length(max=500)])
    note = TextAreaField("Private note (administrators only)", filters=[strip], validators=[Optional(), Length(max=2000)])
    # Set by the confirmation page: the first submission only asks "are you sure?".
    confirmed = HiddenField(default="")
    submit = SubmitField("Revoke certificate")


class ReinstateForm(FlaskForm):
    note = TextAreaField("Note for the audit log", filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Reinstate certificate")


class SharingForm(FlaskForm):
    pdf_public = BooleanField("Let anyone with the verification link download this certificate's PDF")
    submit = SubmitField("Save")


class LegalNameForm(FlaskForm):
    legal_name = StringField("Name as printed on certificates", filters=[strip],
                             validators=[Optional(), Length(max=200)],
                             description="Your legal name, if it differs from the name on your account. "
                                         "Certificates already issued keep the name they were issued with.")
    submit = SubmitField("Save name")


class CertificateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", choices=choices([("", "Any status"), ("valid", "Valid"), ("expired", "Expired"),
                                                    ("revoked", "Revoked")]), validators=[Optional()])
    credential = SelectField("Credential", validators=[Optional()])
    issued_from = DateField("Issued from", validators=[Optional()], invalid_value_message="Enter a date like 2026-03-31.")
    issued_to = DateField("Issued to", validators=[Optional()], invalid_value_message="Enter a date like 2026-03-31.")
