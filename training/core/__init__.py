from flask import Blueprint

bp = Blueprint("core", __name__)

from training.core import views  # noqa: E402,F401
