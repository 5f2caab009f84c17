"""Live training cohorts: sessions, attendance that credits hours, reflections, records."""
from flask import Blueprint

bp = Blueprint("cohorts", __name__)

from training.cohorts import views  # noqa: E402,F401
