"""Fixtures: an app on SQLite and on PostgreSQL, clients, people and the first course.

Every test that takes ``app`` (directly or through another fixture) runs once per
database. PostgreSQL runs when TEST_DATABASE_URL is set; in CI a missing database is a
failure, elsewhere the PostgreSQL half is skipped with the reason.

The suite empties what it is pointed at, so it refuses what is not plainly a test store: a
PostgreSQL database whose name does not start with ``test``, and a Redis database that holds
data without the suite's mark (an empty one is marked the first time the suite uses it).
"""
import contextvars
import os
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import event, text
from werkzeug.routing import Rule

from training import create_app
from training.auth.models import SupervisorAssignment, User
from training.auth.services import hash_password
from training.badges import keys as issuer_keys
from training.courses.services import sync_courses
from training.extensions import db

ROOT = Path(__file__).resolve().parent.parent
COURSES_DIR = ROOT / "courses"
PASSWORD = "a-long-test-password"
SIGNING_KEY_FILE = Path(__import__("tempfile").mkdtemp(prefix="signing-")) / "test-signing-key.pem"
JOB_FILES_DIR = Path(__import__("tempfile").mkdtemp(prefix="job-files-"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class RuleSharingBuilders(Rule):
    """A URL rule whose URL-building function is generated once per test process.

    Every test makes a new app, and Werkzeug writes and compiles Python source for each of the
    app's URL rules, twice: most of the time it takes to make an app. The function depends only
    on what the key below holds, and reads the converters from the rule it is bound to.
    """

    _builders = {}

    def _compile_builder(self, append_unknown=True):
        key = (self.rule, self.subdomain, self.host, self.merge_slashes, append_unknown, tuple(self._trace),
               repr(sorted((self.defaults or {}).items())),
               tuple((name, type(converter), getattr(converter, "regex", None))
                     for name, converter in self._converters.items()))
        if key not in self._builders:
            self._builders[key] = super()._compile_builder(append_unknown)
        return self._builders[key]


Flask.url_rule_class = RuleSharingBuilders


class TemplatesCompiledOnce(BytecodeCache):
    """Compiled templates kept for the test process, as a long-running server keeps them.

    Every test makes a new app, whose Jinja environment would parse and compile again each
    template it renders: an eighth of the time of a test file that reads pages. The compiled code
    depends only on the template's source (checked) and the environment's settings, the same in
    every app the tests make."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        checksum, code = self.compiled.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = (bucket.checksum, bucket.code)


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": TemplatesCompiledOnce()}


class RsaKeysInTurn:
    """The issuer's RSA keys for a test process: generated once each, then handed out in turn.

    Every test starts from an empty database, so each test that signs a credential makes the
    issuer's first generation of keys, and a 2048-bit RSA key takes 50-100 ms to generate. Eight
    keys in turn keep every generation distinct from the seven before it, which is more rotations
    than a test makes.
    """

    size = 8

    def __init__(self, generate):
        self.generate, self.keys, self.turn = generate, [], 0

    def __call__(self):
        if len(self.keys) < self.size:
            self.keys.append(self.generate())
        key = self.keys[self.turn % self.size] if len(self.keys) == self.size else self.keys[-1]
        self.turn += 1
        return key


issuer_keys._generate_rsa = RsaKeysInTurn(issuer_keys._generate_rsa)


# Many tests take today's date as they start and compare it with the app's a little later. A run
# that crosses midnight would see two different days, so a run that starts close to midnight (UTC,
# or the machine's local day) runs with this process's clock set back a few hours, still ticking.
# TEST_CLOCK_BACK_HOURS sets the clock back by that much whatever the hour, to try the suite so.
MIDNIGHT_MARGIN = timedelta(hours=2)


def _until_midnight(moment):
    return datetime.combine(moment.date() + timedelta(days=1), time(), moment.tzinfo) - moment


def keep_the_run_within_one_day():
    """The clock's traveller when the clock was set back, otherwise None."""
    import time_machine

    now = datetime.now(UTC)
    hours = os.environ.get("TEST_CLOCK_BACK_HOURS")
    if hours is None:
        if min(_until_midnight(now), _until_midnight(now.astimezone())) >= MIDNIGHT_MARGIN:
            return None
        hours = 3
    traveller = time_machine.travel(now - timedelta(hours=float(hours)), tick=True)
    traveller.start()
    return traveller


def pytest_configure(config):
    """Compile each language's catalogue when its .po is newer than its .mo, as `make setup` does,
    so that the suite also runs straight from a fresh clone; keep the run within one day."""
    keep_the_run_within_one_day()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "training" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalogue = read_po(source)
            partial = mo.with_suffix(f".{os.getpid()}.tmp")  # parallel workers: each writes its own, then swaps
            with partial.open("wb") as target:
                write_mo(target, catalogue)
            partial.replace(mo)


def _postgres_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("TEST_DATABASE_URL must be set in CI: the suite runs on PostgreSQL too.")
        pytest.skip("PostgreSQL half skipped: set TEST_DATABASE_URL to run it.")
    refuse_unless_test_database(url)
    return _worker_database(url)


def _worker_database(url):
    """Each parallel test process (pytest-xdist) works in its own database beside the given one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or worker == "gw0":
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from training.config import database_url as normalise

    base = make_url(normalise(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def refuse_unless_test_database(url):
    """Stop the run before the suite drops or empties a PostgreSQL database not named as a test one."""
    from sqlalchemy.engine import make_url

    url = make_url(url)
    if url.get_backend_name() == "postgresql" and not (url.database or "").startswith("test"):
        pytest.exit(f"refusing to drop the schema of PostgreSQL database {url.database!r}: the tests only "
                    "empty databases whose name starts with 'test' (set TEST_DATABASE_URL to one)", returncode=4)


REDIS_TEST_MARK = "training:test-suite-may-flush"


def claim_test_redis(url):
    """A Redis client for ``url`` that the tests may flush, or a failure saying why not.

    A database is the suite's when it carries the suite's mark, or is empty when first seen
    (it is marked then). One holding data without the mark may be a real deployment's rate
    limits and job queues, so it is refused.
    """
    from redis import Redis

    connection = Redis.from_url(url)
    if not connection.exists(REDIS_TEST_MARK):
        if connection.dbsize():
            pytest.fail(f"refusing to flush Redis {url}: it holds data the test suite did not mark as its own. "
                        "Point REDIS_URL at an empty Redis database for the tests; if this one is only a test "
                        "database, empty it once with `redis-cli -u URL flushdb`.")
        connection.set(REDIS_TEST_MARK, "1")
    return connection


def flush_test_redis(url):
    """Empty the tests' Redis database, keeping the mark that says it is theirs."""
    connection = claim_test_redis(url)
    connection.flushdb()
    connection.set(REDIS_TEST_MARK, "1")
    return connection


def _build_schema(url):
    """Create the schema the way production does: by running the migrations."""
    from flask_migrate import upgrade

    refuse_unless_test_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
                # A test commits dozens of times; none of it needs to survive a crash of the server.
                conn.execute(text(f'ALTER DATABASE "{db.engine.url.database}" SET synchronous_commit TO off'))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    return {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}


@pytest.fixture(scope="session")
def schema_ready():
    return set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, database_urls, schema_ready):
    from training.config import database_url as normalise

    if request.param == "postgresql":
        database_urls["postgresql"] = normalise(_postgres_url())
        refuse_unless_test_database(database_urls["postgresql"])
    url = database_urls[request.param]
    if url not in schema_ready:
        _build_schema(url)
        schema_ready.add(url)
    return url


def _row_counts():
    """How many rows each table holds, in one statement."""
    tables = db.metadata.sorted_tables
    preparer = db.engine.dialect.identifier_preparer
    counts = db.session.execute(text(" UNION ALL ".join(
        f"SELECT {index}, count(*) FROM {preparer.format_table(table)}" for index, table in enumerate(tables))))
    return {tables[index]: count for index, count in counts}


def _empty_tables():
    """Delete every row, children first, and start every id again from 1.

    One statement finds the tables that hold rows (a test fills a handful of the fifty), and
    only those are emptied. DELETE rather than TRUNCATE: the tables hold a handful of rows, and
    PostgreSQL's TRUNCATE makes and syncs new files for each of them, about a third of a second
    each time."""
    counts = _row_counts()
    for table in reversed(db.metadata.sorted_tables):
        if counts[table]:
            db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(oid, 1, false) FROM pg_class "
                                "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"))
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The test body holds an app context for its own database work; without this, requests
    would share its ``g`` and database session, hiding bugs that only show across requests.
    """

    _inside = False

    def open(self, *args, **kwargs):
        if self._inside:  # a followed redirect: already isolated
            return super().open(*args, **kwargs)
        self._inside = True
        try:
            response = contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            self._inside = False
        db.session.expire_all()
        return response


@pytest.fixture
def app(request, database_url):
    """The app on one database; ``@pytest.mark.config(KEY=value)`` overrides settings."""
    overrides = {
        "SIGNING_KEY_FILE": str(SIGNING_KEY_FILE),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "COURSES_DIR": str(COURSES_DIR),
        "JOB_FILES_DIR": str(JOB_FILES_DIR),
    }
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides.update(marker.kwargs)
    app = create_app(overrides)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()  # the next test empties what this one leaves
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a person: ``make_user("ana@example.org", roles={"trainee"})``."""
    password_hash = hash_password(PASSWORD)

    def factory(email, roles=("trainee",), name=None, active=True, accepted=True, commit=True, **fields):
        user = User(email=email, full_name=name or email.split("@")[0].replace(".", " ").title(),
                    password_hash=password_hash if accepted else None, active=active,
                    programme_started_on=fields.pop("programme_started_on", date.today()), **fields)
        user.set_roles(roles)
        db.session.add(user)
        if commit:
            db.session.commit()
        return user

    return factory


@pytest.fixture
def people(make_user):
    """One person per role of the access matrix."""
    people = {  # committed together: one evaluation of both trainees' credentials, not one each
        "trainee": make_user("trainee@example.org", name="Tina Trainee", commit=False),
        "other_trainee": make_user("other@example.org", name="Otto Other", commit=False),
        "supervisor": make_user("supervisor@example.org", roles=("supervisor",), name="Sue Supervisor", commit=False),
        "admin": make_user("admin@example.org", roles=("admin",), name="Ada Admin", commit=False),
    }
    db.session.commit()
    return people


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


@pytest.fixture
def login_as(app):
    """Return a fresh client signed in as ``user``."""
    def factory(user):
        return login(app.test_client(), user)
    return factory


def _continue_ids(tables):
    """After rows were inserted with their ids, new rows take the next ids (PostgreSQL's sequences)."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite takes the next rowid from the rows themselves
    preparer = db.engine.dialect.identifier_preparer
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                                                and isinstance(column.type, db.Integer)):
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence(:table, :column), max({preparer.quote(column.name)})) "
                    f"FROM {preparer.format_table(table)}"), {"table": table.name, "column": column.name})


class SetUpOnce:
    """A slow set-up whose result depends only on files: done for real by the first test of a process
    on each database, whose rows are kept; a later test on that database whose tables are as empty
    as they were then inserts the same rows (the same ids, since every test starts its ids from 1).

    Loading the first course takes a tenth of a second and a thousand tests ask for it."""

    def __init__(self, work):
        self.work, self.saved = work, {}

    def __call__(self):
        url = db.engine.url.render_as_string(hide_password=False)
        counts = _row_counts()
        saved = self.saved.get(url)
        if saved is not None and all(counts[table] == 0 for table, _ in saved):
            for table, rows in saved:
                db.session.execute(table.insert(), rows)
            _continue_ids([table for table, _ in saved])
            db.session.commit()
            return
        self.work()
        if saved is None:
            after = _row_counts()
            written = [table for table in db.metadata.sorted_tables if after[table] != counts[table]]
            if all(counts[table] == 0 for table in written):  # only rows of its own: keep them
                self.saved[url] = [(table, [dict(row._mapping) for row in db.session.execute(table.select())])
                                   for table in written]


load_first_course = SetUpOnce(lambda: sync_courses(COURSES_DIR))


@pytest.fixture
def course(app):
    """The first course, loaded from the repository's courses/ folder."""
    from training.courses.models import Course

    load_first_course()
    return db.session.scalar(db.select(Course).where(Course.slug == "foundations-of-peer-recovery-support"))


@pytest.fixture
def team(app, people, credentials):
    """The trainee supervised by the supervisor since 60 days ago (a test file may define its own)."""
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=date.today() - timedelta(days=60)))
    db.session.commit()
    return people


@pytest.fixture
def credentials(app):
    """The credentials shipped in certificates/credentials/, loaded."""
    from training.credentials.loader import sync_credentials

    sync_credentials(ROOT / "certificates" / "credentials")


def mailed_links(caplog):
    """Links in the mail written to the log (the embedded default has no SMTP)."""
    messages = [r.getMessage() for r in caplog.records if r.name == "training.mail"]
    return re.findall(r"https?://\S+", "\n".join(messages))


@contextmanager
def count_statements():
    """The SQL statements run inside the block, to show a page's count stays fixed as data grows."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
