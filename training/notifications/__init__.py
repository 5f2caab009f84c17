from flask import Blueprint

bp = Blueprint("notifications", __name__)

from training.notifications import views  # noqa: E402,F401
