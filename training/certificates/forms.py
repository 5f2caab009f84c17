from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

from training.forms import DateField, Length, NotBefore, choices, strip


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), filters=[strip],
                       validators=[DataRequired(message=_l("Enter the code printed on the certificate.")),
                                   Length(max=64, message=_l("That is longer than any verification code."))],
                       description=_l("20 letters and digits, usually printed in groups of four, "
                                      "for example 7KQ2-M9XD-4T8R-PZ3A-H6WN."),
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField(_l("Check"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Public reason (shown on the verification page)"), filters=[strip],
                           validators=[DataRequired(message=_l("Give the reason the verification page will show.")),
                                       Length(max=500)])
    note = TextAreaField(_l("Private note (administrators only)"), filters=[strip],
                         validators=[Optional(), Length(max=2000)])
    # Set by the confirmation page: the first submission only asks "are you sure?".
    confirmed = HiddenField(default="")
    submit = SubmitField(_l("Revoke certificate"))


class ReinstateForm(FlaskForm):
    note = TextAreaField(_l("Note for the audit log"), filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Reinstate certificate"))


class SharingForm(FlaskForm):
    pdf_public = BooleanField(_l("Let anyone with the verification link download this certificate's PDF"))
    submit = SubmitField(_l("Save"))


class LegalNameForm(FlaskForm):
    legal_name = StringField(_l("Name as printed on certificates"), filters=[strip],
                             validators=[Optional(), Length(max=200)],
                             description=_l("Your legal name, if it differs from the name on your account. "
                                            "Certificates already issued keep the name they were issued with."))
    submit = SubmitField(_l("Save name"))


class CertificateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=choices([("", _l("Any status")), ("valid", _l("Valid")),
                                                        ("expired", _l("Expired")), ("revoked", _l("Revoked"))]),
                         validators=[Optional()], invalid_choice_message=_l("Choose one of the statuses listed."))
    credential = SelectField(_l("Credential"), validators=[Optional()],
                             invalid_choice_message=_l("Choose one of the credentials listed."))
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_to = DateField(_l("Issued to"), validators=[Optional(), NotBefore("issued_from", _l(
        "This date is before the “Issued from” date: enter the earlier date first."))])
