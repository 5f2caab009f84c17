"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py app:app``.

Every value can be changed from the environment without editing this file.
"""
import multiprocessing
import os

# Behind a TLS-terminating proxy on the same machine by default.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Pages are mostly database-bound and PDFs CPU-bound: sync workers, two per core plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A certificate or report PDF takes seconds; a worker stuck far longer is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# The app is loaded, and its templates compiled, once in the master process; each worker is a
# fork of it, ready for its first request. Without this a new worker spent one to three seconds
# of CPU importing the app and compiling templates, on the same cores that serve pages: the
# slowest requests of a run were those served while workers were replaced. A change to the
# code then needs a restart of gunicorn (a HUP reloads the workers from the same loaded app).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Recycle workers now and then so that slow leaks never build up, each after its own number of
# requests: workers share the traffic evenly, and with a jitter of a tenth they reached their
# limits within seconds of each other, all four replaced at once in the middle of a page's run.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 2
# The proxy's X-Forwarded-* headers are believed from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory: a slow disk never makes gunicorn think a worker hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app logs one JSON line per request with its id (training.access), so gunicorn's own
# access log is off; gunicorn's errors go to stderr as JSON lines like the app's.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "training.operations.logs.JSONFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    # The app puts its own JSON handler on the root logger when it starts.
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": False},
    },
}

# Several servers may run on one machine (one per port); gunicorn's control socket lives at one
# path per user, so it is off unless a path is given.
control_socket_disable = "GUNICORN_CONTROL_SOCKET" not in os.environ
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def _served_app():
    """The Flask app gunicorn serves (``app:app``), once it is imported."""
    import sys

    return getattr(sys.modules.get("app"), "app", None)


def when_ready(server):
    """In the master, with the app preloaded: compile and freeze once, for every worker to inherit."""
    if server.cfg.preload_app:
        post_worker_init(None)


def post_fork(server, worker):
    """A forked worker must never use a database connection the master opened: start its pools anew."""
    served = _served_app()
    if served is not None:
        from training.extensions import db

        with served.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)


def post_worker_init(worker):
    """Compile every page's template, then keep the garbage collector off what the worker holds.

    A new worker (at start, or when ``max_requests`` replaces one) compiled each template the first
    time a page used it, about 8 ms a template, while someone waited. With one worker on the bench's
    10,000 trainees, the first view of a supervisor's dashboard took 86 ms before (25 ms once warm)
    and 44-59 ms with the templates compiled here; under load, a cold worker's first pages are the
    kind of request that lands in a page's 99th percentile. The app module gunicorn serves
    (``app:app``) is already imported here; its 95 templates take under a second.

    With ``preload_app`` this runs once, in the master (``when_ready``), and each worker forked
    from it starts with the templates compiled and the models configured. A worker's first
    requests still open its database connections and compile their SQL statements: in-process, a
    supervisor's first review queue at 300 supervisees takes about 64 ms, the next ones 38-41 ms.

    Keep Python's garbage collector off the app's own objects and out of most requests.

    Everything loaded so far (the app, its templates, its modules) lives as long as the worker:
    frozen, no collection scans it again. A page makes thousands of short-lived objects, and the
    default threshold (700) ran several collections in each. Measured under four connections
    against the same database and server, runs of 6 s: the supervisees page of a supervisor with
    300 supervisees had a 99th percentile of 430-500 ms before, 185-210 ms after; the module
    page 40-160 ms before, 43-49 ms after; medians unchanged. A threshold of 50,000 did worse for
    light pages (each collection then scans many more objects).
    """
    import gc

    from sqlalchemy.orm import configure_mappers

    served = _served_app()
    if served is not None:
        for name in served.jinja_env.list_templates():
            served.jinja_env.get_template(name)
    # Otherwise the first query of each worker links every model's relationships: 70 ms here.
    configure_mappers()

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
