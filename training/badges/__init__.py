"""Open Badges 3.0: the issuer's keys, signed credentials, the status list and public records."""
from flask import Blueprint

bp = Blueprint("badges", __name__)

from training.badges import views  # noqa: E402,F401
