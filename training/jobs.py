"""Work done outside the request that asked for it.

On RQ workers when ``RQ_ENABLED`` and ``REDIS_URL`` are set, otherwise in a thread of this
process with its own app context (waited for in tests, so they can see the result). A job is
named by the dotted path of a function, so a worker can import it.
"""
import logging
import threading
from importlib import import_module

from flask import current_app, has_app_context

log = logging.getLogger("training.jobs")


def start(function_path, *args, queue="mail"):
    """Run ``function_path(*args)`` in the background."""
    app = current_app._get_current_object()
    if app.config.get("RQ_ENABLED") and app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        Queue(queue, connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
            "training.jobs.run", function_path, *args, job_timeout=600)
        return
    thread = threading.Thread(target=_run_in_app, args=(app, function_path, args), daemon=True)
    thread.start()
    if app.testing:
        thread.join()


def _call(function_path, args):
    module, name = function_path.rsplit(".", 1)
    return getattr(import_module(module), name)(*args)


def _run_in_app(app, function_path, args):
    from training.extensions import db

    with app.app_context():
        try:
            _call(function_path, args)
        except Exception:
            db.session.rollback()
            log.exception("Background job %s failed", function_path)
        finally:
            db.session.remove()


def run(function_path, *args):
    """Entry point for an RQ worker (``rq worker mail``): builds the app from the environment."""
    if has_app_context():  # a worker running inside an app, as the tests do
        return _call(function_path, args)
    from training import create_app

    with create_app().app_context():
        return _call(function_path, args)
