"""What gunicorn serves during the bench: the application, and beside it at /floor a bare Flask app
that runs one indexed query, so every page is measured against the same server's floor."""
import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import app as training_app
from training.config import database_url

floor = Flask("floor")
engine = create_engine(database_url(os.environ["DATABASE_URL"]), pool_pre_ping=True)


@floor.get("/")
def one_indexed_query():
    """One row found by a unique index, as JSON."""
    with engine.connect() as connection:
        row = connection.execute(text('SELECT id, full_name FROM "user" WHERE email = :email'),
                                 {"email": "trainee1@bench.example"}).one()
    return jsonify(id=row.id, name=row.full_name)


app = DispatcherMiddleware(training_app, {"/floor": floor})
