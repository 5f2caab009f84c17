"""Request ids and log lines: every line names the request it belongs to.

A request keeps the ``X-Request-ID`` a proxy or load balancer sent when it is a sane token
(letters, digits and ``._:=+-``, at most 128 characters); otherwise it gets a new one. The id
is returned in the response's ``X-Request-ID`` header and written on every log line made
while the request runs, so one person's failed request can be found among many.

``LOG_FORMAT=json`` (the default in production) writes one JSON object per line; ``text``
(the default elsewhere) writes readable lines that carry the same id.
"""
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
access_log = logging.getLogger("training.access")


def request_id():
    """The current request's id, taken from a sane incoming header or made up once."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-" outside a request) on each record."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id() or "-"
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any error."""

    FIELDS = ("method", "route", "status", "duration_ms")

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id() or "-",
        }
        entry.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


QUIET_LIBRARIES = ("weasyprint", "fontTools")


def handler(log_format):
    """A stream handler writing ``log_format`` ("json" or "text") lines that carry the request id."""
    stream = logging.StreamHandler()
    stream.addFilter(RequestIdFilter())
    stream.setFormatter(JSONFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return stream


def configure(log_format):
    """Send every logger's lines through one handler of ``log_format`` on the root logger."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "training_handler", False):
            root.removeHandler(existing)
    stream = handler(log_format)
    stream.training_handler = True
    root.addHandler(stream)
    root.setLevel(logging.INFO)
    for chatty in QUIET_LIBRARIES:  # their INFO lines narrate each PDF's layout steps
        logging.getLogger(chatty).setLevel(logging.WARNING)


def init_app(app):
    """Give every request an id, return it, and log one line per request."""

    def start():
        g.request_started = time.perf_counter()
        request_id()

    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def finish(response):
        response.headers[HEADER] = request_id()
        started = g.get("request_started")
        rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
        # The route's pattern, never the path: paths carry one-time tokens and codes.
        access_log.info("%s %s %s", request.method, rule, response.status_code, extra={
            "method": request.method, "route": rule, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
        return response
