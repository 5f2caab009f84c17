"""Running the platform: health and readiness checks, request ids and JSON logs, SQLite backups."""
from flask import Blueprint

bp = Blueprint("operations", __name__)

from training.operations import views  # noqa: E402,F401
