from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from training.forms import choices, strip

FORMATS = choices([("gift", "Moodle GIFT"), ("aiken", "Aiken")])


class ImportForm(FlaskForm):
    course = SelectField("Course", validators=[DataRequired(message="Choose a course.")])
    file = FileField("Question file", validators=[FileRequired(message="Choose a file to upload.")],
                     description="A GIFT (.gift or .txt) or Aiken file exported from Moodle, at most 2 MB.")
    format = SelectField("Format", choices=FORMATS, default="gift")
    category = StringField("Default category", filters=[strip], validators=[Optional(), Length(max=200)],
                           description="Used for questions before any $CATEGORY line in the file.")
    submit = SubmitField("Preview")


class ConfirmImportForm(FlaskForm):
    course = HiddenField()
    format = HiddenField()
    category = HiddenField()
    filename = HiddenField()
    content = HiddenField()
    submit = SubmitField("Import these questions")
