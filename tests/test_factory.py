"""The app factory, configuration and database settings."""
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from training import create_app
from training.config import DEV_SECRET_KEY, ProductionConfig
from training.extensions import db


def test_production_refuses_to_start_without_a_real_secret_key():
    for key in ("", DEV_SECRET_KEY, "short"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"ENV_NAME": "production", "SECRET_KEY": key})


def test_production_starts_with_a_real_secret_key():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": __import__("secrets").token_urlsafe(48)})
    assert app.config["ENV_NAME"] == "production"


def test_production_configuration_hardens_cookies_and_forbids_demo_data():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.DEMO_DATA_ALLOWED is False
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True


def test_demo_data_is_refused_in_production(app, runner):
    app.config["DEMO_DATA_ALLOWED"] = False
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "never created in a production configuration" in result.output
    from training.auth.models import User
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_testing_config_is_used_for_dict_overrides():
    app = create_app({"ORGANISATION_NAME": "Test Board"})
    assert app.testing and app.config["ORGANISATION_NAME"] == "Test Board"


def test_sqlite_enforces_foreign_keys_and_uses_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_postgresql_connections_never_compile_statements_to_machine_code(app, database_url):
    """A statement whose estimate passes jit_above_cost would be compiled on every run: 20-30 ms
    spent before a programme-wide count that itself takes 20."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL settings")
    for _ in range(2):  # a new connection, then one back from the pool after a rollback
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            conn.rollback()
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    # Options a deployment passes to the driver, in the URL or the engine options, are kept beside it.
    url = make_url(database_url).update_query_dict({"options": "-c lock_timeout=3000"})
    other = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c statement_timeout=5000"}}})
    with other.app_context():
        try:
            with db.engine.connect() as conn:
                assert conn.execute(text("SHOW jit")).scalar() == "off"
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "5s"
                assert conn.execute(text("SHOW lock_timeout")).scalar() == "3s"
        finally:
            db.engine.dispose()


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from training.auth.models import UserRole

    db.session.add(UserRole(user_id=987654, role="trainee"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_constraints_follow_the_naming_convention(app):
    from training.auth.models import SupervisorAssignment

    names = {c.name for c in SupervisorAssignment.__table__.constraints}
    assert "pk_supervisor_assignment" in names
    assert "ck_supervisor_assignment_not_self" in names
    assert "fk_supervisor_assignment_trainee_id_user" in names
