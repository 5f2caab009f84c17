"""Migrations build exactly the schema the models describe, and keep rows up and down, on both databases."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from training.extensions import db

from .conftest import ROOT
from .test_certificates import certificate, credential, ready  # noqa: F401  (fixtures)


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models changed without a migration: run `flask --app app db migrate`"


def test_upgrade_command_is_idempotent(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_open_badges_migration_with_certificates_down_and_up(certificate, client):  # noqa: F811
    """Certificates survive the downgrade; after the upgrade each is signed once, when first asked for."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from training.certificates.models import Certificate

    from .test_open_badges import verify_data_integrity

    certificate_id, number, code, pdf_sha256 = (certificate.id, certificate.number, certificate.grouped_code,
                                                 certificate.pdf_sha256)
    db.session.commit()
    db.session.close()
    try:
        downgrade(revision="0006")
        inspector = inspect(db.engine)
        assert "signed_json" not in {c["name"] for c in inspector.get_columns("certificate")}
        assert not {"issuer_key", "status_list", "badge_holder"} & set(inspector.get_table_names())
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT number FROM certificate")).scalars().all() == [number]
        upgrade()
        stored = db.session.get(Certificate, certificate_id)
        assert stored.signed_json is None and stored.image_png is None and stored.pdf_sha256 == pdf_sha256
        first = client.get(f"/verify/{code}.json")
        verify_data_integrity(client, first.get_json())
        db.session.expire_all()
        assert db.session.get(Certificate, certificate_id).signed_json.encode() == first.data
    finally:
        db.session.close()
        upgrade()


# --- Every revision, up and down, on a database holding rows ------------------------------------------

@pytest.fixture
def scratch_database(database_url, tmp_path):
    """An empty database of the same kind as ``database_url``, for running migrations step by step.

    On PostgreSQL it is a schema of its own in the test database (first on the search path):
    creating and dropping a whole database waits for a checkpoint, which takes a minute on a
    busy server.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    schema = "migration_walk"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _revision_chain():
    """The revisions from the first to the head, in order."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(ROOT / "training" / "migrations"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_every_revision_has_seed_rows():
    from .migration_seeds import SEEDS

    missing = [r for r in _revision_chain() if r not in SEEDS]
    assert not missing, (
        f"revision(s) {', '.join(missing)} have no seed rows: add a @seed({missing[0]!r}) function to "
        "tests/migration_seeds.py that inserts a row in each table the migration creates or changes")
    unknown = set(SEEDS) - set(_revision_chain())
    assert not unknown, f"tests/migration_seeds.py seeds revisions that do not exist: {sorted(unknown)}"


def test_every_migration_upgrades_and_downgrades_a_database_holding_rows(scratch_database):
    """From empty, seed rows at each revision and upgrade one step, to the head; then all the way down.

    Every table holds rows before each step; every seeded row keeps its values at the head
    and at each revision on the way back down; SQLite checks its foreign keys after each step.
    """
    from alembic import command
    from sqlalchemy import inspect

    from training import create_app

    from .migration_seeds import AFTER_DOWNGRADE, AFTER_UPGRADE, SEEDS, SeedDatabase, same

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database})
    chain = _revision_chain()
    assert set(chain) <= set(SEEDS), "every revision needs seed rows (see test_every_revision_has_seed_rows)"
    seeded = {}  # revision -> rows inserted at it

    def check(at):
        """Every row seeded at or before revision ``at`` is there with its values."""
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            for revision in chain[:chain.index(at) + 1]:
                for table, key, values in seeded.get(revision, []):
                    if table not in tables:
                        continue
                    where = " AND ".join(f'"{name}" = :{name}' for name in key)
                    row = conn.execute(text(f'SELECT * FROM "{table}" WHERE {where}'), key).mappings().first()
                    assert row is not None, f"at {at}: the {table} row {key} seeded at {revision} is gone"
                    for column, value in values.items():
                        if column in row:
                            assert same(value, row[column]), (
                                f"at {at}: {table} {key} {column} was {value!r}, now {row[column]!r}")

    def run(hooks, revision):
        if revision in hooks:
            with db.engine.connect() as conn:
                hooks[revision](SeedDatabase(conn, db.engine))

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        for revision in chain:
            command.upgrade(config, revision)
            run(AFTER_UPGRADE, revision)
            check(revision)
            with db.engine.begin() as conn:
                seeder = SeedDatabase(conn, db.engine)
                SEEDS[revision](seeder)
                seeded[revision] = seeder.inserted
                empty = [name for name in inspect(conn).get_table_names()
                         if name != "alembic_version" and not conn.execute(text(f'SELECT 1 FROM "{name}"')).first()]
            assert not empty, (f"at {revision} these tables hold no rows, so the next migration would not be tested "
                               f"on data: {empty}; add rows to @seed({revision!r}) in tests/migration_seeds.py")
        check(chain[-1])

        for revision, previous in reversed(list(zip(chain[1:], chain[:-1], strict=True))):
            command.downgrade(config, previous)
            run(AFTER_DOWNGRADE, revision)
            check(previous)
        command.downgrade(config, "base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_a_failed_sqlite_upgrade_changes_nothing(tmp_path):
    """A migration that fails part-way on SQLite leaves the schema and version as they were."""
    import sqlite3

    from alembic import command

    from training import create_app

    path = tmp_path / "half.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        command.upgrade(config, "0002")
        raw = sqlite3.connect(path)
        raw.execute("INSERT INTO user_role (user_id, role) VALUES (99, 'trainee')")  # no user 99
        raw.commit()
        before = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        with pytest.raises(RuntimeError, match="pointing at missing rows"):
            command.upgrade(config, "head")
        assert raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == before
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        raw.close()
        db.engine.dispose()


def test_the_professional_profile_migration_keeps_people_up_and_down(app):
    """0011 on a database holding people: their rows survive, the new details start empty and go again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    def scalar(sql, **params):
        with db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def run(sql, **params):
        with db.engine.begin() as conn:
            conn.execute(text(sql), params)

    db.session.remove()
    downgrade(revision="0010")
    try:
        run("INSERT INTO \"user\" (id, email, full_name, active, session_token, wellbeing_shared, created_at) "
            "VALUES (7, 'sam@example.org', 'Sam', :t, 'tok7', :f, '2026-01-01 00:00:00')", t=True, f=False)
        upgrade(revision="0011")
        assert scalar("SELECT organisation_address FROM \"user\" WHERE id = 7") == ""
        run("UPDATE \"user\" SET job_title = 'Clinical supervisor', phone = '+1 555 0100' WHERE id = 7")
        downgrade(revision="0010")
        assert "phone" not in {c["name"] for c in inspect(db.engine).get_columns("user")}
        assert scalar("SELECT full_name FROM \"user\" WHERE id = 7") == "Sam"
        # SQLite's inspector skips expression indexes, so ask each database's catalogue.
        catalogue = ("SELECT count(*) FROM sqlite_master WHERE name = 'ix_user_name_lower'"
                     if db.engine.dialect.name == "sqlite" else
                     "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_user_name_lower'")
        assert scalar(catalogue) == 1
    finally:
        upgrade()
    assert scalar("SELECT job_title FROM \"user\" WHERE id = 7") == ""
