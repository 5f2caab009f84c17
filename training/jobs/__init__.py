"""Work done outside the request that asked for it.

On RQ workers when Redis is configured (``REDIS_URL``, with ``RQ_ENABLED`` on, its default
then), otherwise in a thread of this process with its own app context (waited for in tests,
so they can see the result). Work is named by the dotted path of a function, so a worker can
import it. Long work with progress (bulk issue, zip files, reminders, reports) is a ``Job``
row: see ``training.jobs.services``.

Queues, most urgent first: ``mail`` (one e-mail, a person is waiting for it) and ``jobs``
(bulk work split in chunks, so that several workers share one job).
"""
import logging
import threading
from importlib import import_module

from flask import current_app, has_app_context

log = logging.getLogger("training.jobs")

QUEUES = ("mail", "jobs")


def uses_workers(app=None):
    config = (app or current_app).config
    return bool(config.get("RQ_ENABLED") and config.get("REDIS_URL"))


def redis_queue(name, app=None):
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url((app or current_app).config["REDIS_URL"]))


def start(function_path, *args, queue="mail"):
    """Run ``function_path(*args)`` in the background."""
    app = current_app._get_current_object()
    if uses_workers(app):
        redis_queue(queue, app).enqueue("training.jobs.run", function_path, *args, job_timeout=600)
        return
    in_thread(app, function_path, *args)


def in_thread(app, function_path, *args):
    """Run ``function_path(*args)`` in a thread with its own app context (joined when testing)."""
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


_worker_app = None


def run(function_path, *args):
    """Entry point for RQ: each job in a fresh app context of one app per worker process."""
    global _worker_app
    from training.extensions import db

    if has_app_context():  # a test running a worker inside its own app
        return _call(function_path, args)
    if _worker_app is None:  # `flask jobs worker` sets it; a bare `rq worker` builds it from the environment
        from training import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            return _call(function_path, args)
        finally:
            db.session.remove()
