from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from training.forms import choices


class DeliveryForm(FlaskForm):
    delivery = RadioField(_l("E-mail me about notifications"),
                          choices=choices([("immediate", _l("At once, one e-mail for each")),
                                           ("digest", _l("Once a day, in one digest"))]),
                          validators=[InputRequired(message=_l("Choose at once or a daily digest."))])
    submit = SubmitField(_l("Save"))
