from flask import Blueprint

bp = Blueprint("courses", __name__)

from training.courses import views  # noqa: E402,F401
