from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from training.forms import Length, choices, strip

FORMATS = choices([("gift", "Moodle GIFT"), ("aiken", "Aiken")])


class ImportForm(FlaskForm):
    course = SelectField(_l("Course"), validators=[DataRequired(message=_l("Choose a course."))])
    file = FileField(_l("Question file"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     description=_l("A GIFT (.gift or .txt) or Aiken file exported from Moodle, at most 2 MB."))
    format = SelectField(_l("Format"), choices=FORMATS, default="gift")
    category = StringField(_l("Default category"), filters=[strip], validators=[Optional(), Length(max=200)],
                           description=_l("Used for questions before any $CATEGORY line in the file."))
    submit = SubmitField(_l("Preview"))


class ConfirmImportForm(FlaskForm):
    course = HiddenField()
    format = HiddenField()
    category = HiddenField()
    filename = HiddenField()
    content = HiddenField()
    submit = SubmitField(_l("Import these questions"))
