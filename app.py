"""Entry point: ``flask --app app run`` and ``gunicorn app:app`` both use this."""
from training import create_app

app = create_app()
