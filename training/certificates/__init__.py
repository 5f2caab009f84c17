from flask import Blueprint

bp = Blueprint("certificates", __name__)

from training.certificates import views  # noqa: E402,F401
