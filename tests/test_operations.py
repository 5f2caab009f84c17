"""Running the platform: health checks, request ids on every log line, SQLite backup and restore,
gunicorn's workers."""
import json
import logging
import os
import sqlite3
import subprocess
import sys

import pytest

from training import create_app
from training.auth.models import User
from training.extensions import db
from training.operations.logs import JSONFormatter, RequestIdFilter

from .conftest import ROOT, count_statements
from .test_services_redis import redis_url  # noqa: F401  (fixture)


def test_healthz_says_the_process_is_up_without_touching_the_database(app, client):
    with count_statements() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert statements == [] and "Set-Cookie" not in response.headers


@pytest.mark.config(REDIS_URL="")
def test_readyz_answers_ready_when_the_database_answers_and_redis_is_not_used(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "redis": "not used"}}


@pytest.mark.xdist_group("redis")
def test_readyz_checks_redis_when_the_platform_uses_it(app, client):
    import os

    from .test_services_redis import redis_url as _  # noqa: F401  (the same Redis the other tests use)

    if not os.environ.get("REDIS_URL"):
        pytest.skip("set REDIS_URL to check readiness against Redis")
    app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.config(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_is_503_naming_redis_when_redis_does_not_answer(client, caplog):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["failed"] == ["redis"] and body["checks"]["database"] == "ok"
    assert "Connection refused" not in response.text  # the reason is logged, not shown
    assert any("Redis did not answer" in r.getMessage() for r in caplog.records)


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/test_nowhere",
                      "REDIS_URL": ""})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["database"],
                                   "checks": {"database": "unreachable", "redis": "not used"}}


# --- Request ids ------------------------------------------------------------------------------------

def test_each_response_carries_a_new_request_id(client):
    first, second = client.get("/healthz"), client.get("/login")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and ids[0] != ids[1]


@pytest.mark.parametrize("incoming, kept", [
    ("9f1c2b4e-52aa-4c3b-a0d2-7e8f1a2b3c4d", True),
    ("Root=1-67891233-abcdef012345678912345678", True),
    ("lb.check:42", True),
    ("a" * 129, False),
    ("id with spaces", False),
    ("<script>", False),
    ("", False),
])
def test_a_sane_incoming_request_id_is_kept_and_any_other_replaced(client, incoming, kept):
    returned = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert (returned == incoming) is kept
    if not kept:
        assert len(returned) == 32


@pytest.fixture
def json_lines(app):
    """The log lines written during the test, as the production handler writes them (JSON)."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


def test_every_log_line_of_a_request_carries_its_id(app, client, json_lines):
    @app.get("/_log_something")
    def log_something():
        logging.getLogger("training.test").warning("something to find later")
        return "ok"

    response = client.get("/_log_something", headers={"X-Request-ID": "trace-me-1"})
    lines = [line for line in json_lines if line["logger"] in ("training.test", "training.access")]
    assert [line["message"] for line in lines] == ["something to find later", "GET /_log_something 200"]
    assert {line["request_id"] for line in lines} == {"trace-me-1"} == {response.headers["X-Request-ID"]}
    access = lines[1]
    assert access["status"] == 200 and access["method"] == "GET" and access["duration_ms"] >= 0
    assert {"time", "level"} <= set(access)


def test_the_request_log_names_the_route_never_the_path_with_its_token(client, json_lines):
    client.get("/password/reset/a-secret-one-time-token")
    access = [line for line in json_lines if line["logger"] == "training.access"]
    assert access and "a-secret-one-time-token" not in json.dumps(json_lines)
    assert "<token>" in access[-1]["route"]


def test_an_error_is_logged_as_one_json_line_with_its_traceback(app, client, json_lines):
    @app.get("/_fail")
    def fail():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not the exception

    response = client.get("/_fail")
    assert response.status_code == 500
    errors = [line for line in json_lines if line["level"] == "ERROR"]
    assert errors and "RuntimeError: boom" in errors[0]["error"]
    assert errors[0]["request_id"] == response.headers["X-Request-ID"]


def test_an_unknown_log_format_stops_the_start():
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"LOG_FORMAT": "xml"})


# --- Backup and restore ------------------------------------------------------------------------------

def test_backup_then_restore_brings_back_the_database_as_it_was(app, runner, make_user, tmp_path):
    if db.engine.dialect.name != "sqlite":
        result = runner.invoke(args=["backup", str(tmp_path / "x.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    make_user("kept@example.org")
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and backup.is_file() and not backup.with_name("backup.db.partial").exists()
    with sqlite3.connect(backup) as copy:
        assert copy.execute('SELECT email FROM "user"').fetchall() == [("kept@example.org",)]

    make_user("added-after@example.org")
    db.session.scalar(db.select(User).where(User.email == "kept@example.org")).full_name = "Changed Later"
    db.session.commit()
    result = runner.invoke(args=["restore", str(backup)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "db upgrade" not in result.output
    db.session.remove()
    assert db.session.execute(db.select(User.email, User.full_name)).all() == [("kept@example.org", "Kept")]


def test_backup_never_overwrites_and_restore_refuses_what_is_not_a_backup(app, runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("backup and restore are for the embedded SQLite database")
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"precious")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output and existing.read_bytes() == b"precious"

    result = runner.invoke(args=["restore", str(existing), "--yes"])
    assert result.exit_code != 0 and "not a backup" in result.output
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    result = runner.invoke(args=["restore", str(other), "--yes"])
    assert result.exit_code != 0 and "not a backup" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "missing.db"), "--yes"])
    assert result.exit_code != 0 and "is not a file" in result.output


def test_restore_asks_first_and_changes_nothing_when_refused(app, runner, make_user, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("backup and restore are for the embedded SQLite database")
    backup = tmp_path / "backup.db"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    make_user("stays@example.org")
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert db.session.scalars(db.select(User.email)).all() == ["stays@example.org"]


def test_a_gunicorn_worker_freezes_what_it_loaded_and_collects_garbage_less_often():
    """Run in a process of its own: the settings would otherwise stay with the test process."""
    script = ("import gc, runpy; settings = runpy.run_path('gunicorn.conf.py'); frozen = gc.get_freeze_count(); "
              "settings['post_worker_init'](None); print(gc.get_freeze_count() > frozen, *gc.get_threshold())")
    shown = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["True", "10000", "10", "10"]


def test_gunicorn_workers_are_forks_of_a_warm_master_with_pools_of_their_own(tmp_path):
    """The master loads the app, compiles, configures the models and freezes once; a forked worker
    drops the database connections it inherited instead of sharing them with the master."""
    database = tmp_path / "fork.db"
    script = (
        "import gc, runpy, types, app; from training.auth.models import User; "
        "from training.extensions import db; from sqlalchemy import text; "
        "settings = runpy.run_path('gunicorn.conf.py'); "
        "server = types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=settings['preload_app'])); "
        "configured = User.__mapper__.configured; settings['when_ready'](server); "
        "ctx = app.app.app_context(); ctx.push(); "
        "connection = db.engine.connect(); connection.execute(text('select 1')); connection.close(); "
        "pool = db.engine.pool; held = pool.checkedin(); settings['post_fork'](server, None); "
        "print(settings['preload_app'], configured, User.__mapper__.configured, gc.get_freeze_count() > 0, "
        "held, db.engine.pool is not pool, db.engine.pool.checkedin())")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    shown = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    assert shown.stdout.split()[-7:] == ["True", "False", "True", "True", "1", "True", "0"]
    off = subprocess.run([sys.executable, "-c", "import runpy; print(runpy.run_path('gunicorn.conf.py')['preload_app'])"],
                         cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "GUNICORN_PRELOAD": "0"})
    assert off.stdout.split() == ["False"]


def test_a_gunicorn_worker_compiles_every_template_before_its_first_request():
    """A page's first view in a new worker does not wait for its templates to compile."""
    script = ("import runpy, app; settings = runpy.run_path('gunicorn.conf.py'); env = app.app.jinja_env; "
              "before = {key[1] for key in env.cache.keys()}; settings['post_worker_init'](None); "
              "after = {key[1] for key in env.cache.keys()}; names = set(env.list_templates()); "
              "print(len(names), len(names & before), len(names & after))")
    shown = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    templates, before, after = map(int, shown.stdout.split()[-3:])
    assert templates > 50 and before < templates and after == templates
