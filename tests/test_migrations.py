"""The migrations build exactly the schema the models describe, on both databases."""
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from training.extensions import db

from .test_certificates import certificate, credential, ready  # noqa: F401  (fixtures)


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models changed without a migration: run `flask --app app db migrate`"


def test_upgrade_command_is_idempotent(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_the_cohorts_migration_keeps_rows_and_the_trainer_role_up_and_down(app):
    """0008 on a database holding people, roles, modules and hours: upgrade, downgrade, upgrade."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    def scalar(sql, **params):
        with db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def run(sql, **params):
        with db.engine.begin() as conn:
            conn.execute(text(sql), params)

    db.session.remove()
    downgrade(revision="0007")
    try:
        run("INSERT INTO \"user\" (id, email, full_name, active, session_token, wellbeing_shared, created_at) "
            "VALUES (1, 'ana@example.org', 'Ana', :t, 'tok1', :f, '2026-01-01 00:00:00')", t=True, f=False)
        run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainee')")
        try:
            run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainer')")
            raise AssertionError("before 0008 the trainer role must be refused")
        except IntegrityError:
            pass
        run("INSERT INTO course (id, slug, title, summary, position, prerequisites, active, source_path, synced_at) "
            "VALUES (1, 'c', 'C', '', 0, '[]', :t, '', '2026-01-01 00:00:00')", t=True)
        run("INSERT INTO module (id, course_id, slug, position, title, estimated_minutes, objectives, reflection, "
            "body_markdown, body_html, active, source_path) VALUES (1, 1, 'm', 1, 'M', 5, '[]', 'R', '', '', :t, '')",
            t=True)
        run("INSERT INTO hour_entry (id, trainee_id, kind, occurred_on, minutes, domain, organisation, note, provider, "
            "status, review_comment, signed_name, signature_hash, correction_reason, submitted_at, created_at) "
            "VALUES (1, 1, 'service', '2026-01-02', 60, 'Advocacy', '', '', '', 'approved', '', 'S', '', '', "
            "'2026-01-02 00:00:00', '2026-01-02 00:00:00')")

        upgrade(revision="0008")
        assert scalar("SELECT minutes FROM hour_entry WHERE id = 1") == 60
        assert scalar("SELECT attendance_id FROM hour_entry WHERE id = 1") is None
        assert scalar("SELECT reflection_required FROM module WHERE id = 1") in (False, 0)
        run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainer')")
        assert scalar("SELECT count(*) FROM user_role WHERE user_id = 1") == 2

        downgrade(revision="0007")
        assert scalar("SELECT count(*) FROM user_role WHERE user_id = 1 AND role = 'trainee'") == 1
        assert scalar("SELECT count(*) FROM user_role WHERE role = 'trainer'") == 0
        assert scalar("SELECT minutes FROM hour_entry WHERE id = 1") == 60
        assert scalar("SELECT title FROM module WHERE id = 1") == "M"
    finally:
        upgrade()
    assert scalar("SELECT email FROM \"user\" WHERE id = 1") == "ana@example.org"


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


# --- Revision 0006 moves credential definitions and enrols trainees, with rows in place --------------

OLD_REQUIREMENTS = {
    "courses": ["foundations-of-peer-recovery-support"],
    "training_hours": {"Advocacy": 10, "Ethical Responsibility": 16},
    "service_hours": {"total": 250, "within_months_of_start": 6, "supervision_counts_as_work": False},
    "supervision_hours": {"total": 12, "group_cap": 6},
    "exam": "foundations-of-peer-recovery-support",
}
OLD_RENEWAL = {"period_months": 12, "continuing_education_hours": 10, "ethics_hours": 3}


@pytest.fixture
def scratch_database(database_url, tmp_path):
    """An empty database of the same kind as ``database_url``, for running migrations step by step."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0006_converts_credentials_enrols_trainees_and_goes_back(scratch_database):
    from flask_migrate import downgrade, upgrade

    from training import create_app
    from training.credentials.schema import CredentialFile

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO \"user\" (id, email, full_name, active, session_token, programme_started_on, created_at, "
                "wellbeing_shared) VALUES (1, 'ana@example.org', 'Ana', :yes, 'tok', '2026-02-01', "
                "'2026-01-15 10:00:00', :no)"), {"yes": True, "no": False})
            conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'trainee')"))
            conn.execute(text(
                "INSERT INTO credential (id, slug, title, description, certificate_prefix, domains, requirements, "
                "initial_period_months, supervision_initial_days, supervision_after_days, validity_months, renewal, "
                "active, source_path, synced_at) VALUES (1, 'peer-recovery-specialist', 'PRS', '', 'PRS', :domains, "
                ":requirements, 6, 7, 31, 12, :renewal, :yes, 'x.yaml', '2026-01-01 00:00:00')"),
                {"domains": json.dumps(["Advocacy", "Ethical Responsibility"]), "yes": True,
                 "requirements": json.dumps(OLD_REQUIREMENTS), "renewal": json.dumps(OLD_RENEWAL)})
            conn.execute(text(
                "INSERT INTO hour_entry (trainee_id, kind, occurred_on, minutes, domain, organisation, note, provider, "
                "status, review_comment, signed_name, signature_hash, correction_reason, submitted_at, created_at) "
                "VALUES (1, 'training', '2026-03-01', 120, 'Ethical Responsibility', '', '', 'Academy', 'approved', "
                "'', '', '', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00')"))
        upgrade(revision="0006")
        with db.engine.connect() as conn:
            definition = conn.execute(text("SELECT definition FROM credential")).scalar()
            definition = json.loads(definition) if isinstance(definition, str) else definition
            enrolment = conn.execute(text("SELECT user_id, credential_id, started_on FROM enrolment")).one()
            category = conn.execute(text("SELECT category FROM hour_entry")).scalar()
        spec = CredentialFile.model_validate(definition, strict=False)
        kinds = [r.kind for r in spec.requirements]
        assert kinds == ["course", "training_hours", "work_hours", "supervision_hours", "exam"]
        work = spec.requirements[2]
        assert work.total == 250 and work.window.months == 6 and work.supervision_counts_as_work is False
        assert spec.requirements[3].group_at_most == 6
        assert spec.renewal.cycle == "calendar_year" and spec.renewal.categories["ethics"].hours == 3
        assert (enrolment[0], enrolment[1], str(enrolment[2])[:10]) == (1, 1, "2026-02-01")
        assert category == "ethics"
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            requirements = conn.execute(text("SELECT requirements FROM credential")).scalar()
            renewal = conn.execute(text("SELECT renewal FROM credential")).scalar()
        requirements = json.loads(requirements) if isinstance(requirements, str) else requirements
        renewal = json.loads(renewal) if isinstance(renewal, str) else renewal
        assert requirements == OLD_REQUIREMENTS
        assert renewal == OLD_RENEWAL
        upgrade()
        db.engine.dispose()


def test_0010_adds_each_persons_language_keeping_people_and_the_name_index(scratch_database):
    """0010 on a database holding people: the language column comes and goes, rows and the
    lower(full_name) index stay (SQLite rebuilds the table on the way down)."""
    from flask_migrate import downgrade, upgrade

    from training import create_app

    def name_index_exists(conn):
        if conn.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_user_name_lower'"
        else:
            sql = "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_user_name_lower'"
        return conn.execute(text(sql)).scalar() == 1

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO \"user\" (id, email, full_name, active, session_token, created_at, wellbeing_shared) "
                "VALUES (1, 'ana@example.org', 'Ana Álvarez', :yes, 'tok', '2026-01-15 10:00:00', :no)"),
                {"yes": True, "no": False})
            conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'trainee')"))
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT locale FROM \"user\" WHERE id = 1")).scalar() is None
            conn.execute(text("UPDATE \"user\" SET locale = 'es' WHERE id = 1"))
            assert name_index_exists(conn)
        downgrade(revision="0009")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT full_name FROM \"user\" WHERE id = 1")).scalar() == "Ana Álvarez"
            assert conn.execute(text("SELECT role FROM user_role WHERE user_id = 1")).scalar() == "trainee"
            assert name_index_exists(conn)
        upgrade(revision="0010")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT locale FROM \"user\" WHERE id = 1")).scalar() is None
            assert name_index_exists(conn)
        db.engine.dispose()


def test_0011_adds_content_translations_beside_courses_modules_and_questions(scratch_database):
    """0011 on a database holding a course, a module and a question: versions come and go, the rest stays."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from training import create_app

    tables = {"course_translation", "module_translation", "question_translation"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO course (id, slug, title, summary, position, prerequisites, active, source_path, "
                "synced_at) VALUES (1, 'c', 'C', '', 0, '[]', :t, '', '2026-01-01 00:00:00')"), {"t": True})
            conn.execute(text(
                "INSERT INTO module (id, course_id, slug, position, title, estimated_minutes, objectives, reflection, "
                "body_markdown, body_html, active, source_path, reflection_required) VALUES (1, 1, 'm', 1, 'M', 5, "
                "'[]', 'R', '', '', :t, '', :f)"), {"t": True, "f": False})
            conn.execute(text(
                "INSERT INTO question (id, course_id, key, category, qtype, title, stem, stem_format, stem_html, data, "
                "explanation, source_file, source_line, active, created_at, updated_at) VALUES (1, 1, 'm/q', 'm', "
                "'true_false', 'Q', 'Is it?', 'moodle', 'Is it?', '{\"answer\": true}', '', 'q.gift', 1, :t, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"t": True})
        upgrade(revision="0011")
        assert tables <= set(inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO module_translation (module_id, locale, title, objectives, reflection, "
                              "body_markdown, body_html, source_path) VALUES (1, 'es', 'M es', '[]', 'R', '', '', '')"))
            conn.execute(text("INSERT INTO question_translation (question_id, locale, title, stem, stem_format, "
                              "stem_html, data, explanation, source_file, source_line) VALUES (1, 'es', 'P', "
                              "'¿Lo es?', 'moodle', '¿Lo es?', '{\"answer\": true}', '', 'q.es.gift', 1)"))
        downgrade(revision="0010")
        assert not tables & set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT title FROM module WHERE id = 1")).scalar() == "M"
            assert conn.execute(text("SELECT stem FROM question WHERE id = 1")).scalar() == "Is it?"
        upgrade()
        db.engine.dispose()
