"""The migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from training.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models changed without a migration: run `flask --app app db migrate`"


def test_upgrade_command_is_idempotent(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_the_cohorts_migration_keeps_rows_and_the_trainer_role_up_and_down(app):
    """0006 on a database holding people, roles, modules and hours: upgrade, downgrade, upgrade."""
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
    downgrade(revision="0005")
    try:
        run("INSERT INTO \"user\" (id, email, full_name, active, session_token, wellbeing_shared, created_at) "
            "VALUES (1, 'ana@example.org', 'Ana', :t, 'tok1', :f, '2026-01-01 00:00:00')", t=True, f=False)
        run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainee')")
        try:
            run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainer')")
            raise AssertionError("before 0006 the trainer role must be refused")
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

        upgrade(revision="0006")
        assert scalar("SELECT minutes FROM hour_entry WHERE id = 1") == 60
        assert scalar("SELECT attendance_id FROM hour_entry WHERE id = 1") is None
        assert scalar("SELECT reflection_required FROM module WHERE id = 1") in (False, 0)
        run("INSERT INTO user_role (user_id, role) VALUES (1, 'trainer')")
        assert scalar("SELECT count(*) FROM user_role WHERE user_id = 1") == 2

        downgrade(revision="0005")
        assert scalar("SELECT count(*) FROM user_role WHERE user_id = 1 AND role = 'trainee'") == 1
        assert scalar("SELECT count(*) FROM user_role WHERE role = 'trainer'") == 0
        assert scalar("SELECT minutes FROM hour_entry WHERE id = 1") == 60
        assert scalar("SELECT title FROM module WHERE id = 1") == "M"
    finally:
        upgrade()
    assert scalar("SELECT email FROM \"user\" WHERE id = 1") == "ana@example.org"
