"""The migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

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
        downgrade(revision="0005")
        inspector = inspect(db.engine)
        assert "signed_json" not in {c["name"] for c in inspector.get_columns("certificate")}
        assert not {"issuer_key", "status_list", "badge_holder"} & set(inspector.get_table_names())
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT number FROM certificate")).scalars().all() == [number]
        upgrade()
        stored = db.session.get(Certificate, certificate_id)
        assert stored.signed_json is None and stored.image_png is None and stored.pdf_sha256 == pdf_sha256
        assert stored.credential.design == "classic"
        first = client.get(f"/verify/{code}.json")
        verify_data_integrity(client, first.get_json())
        db.session.expire_all()
        assert db.session.get(Certificate, certificate_id).signed_json.encode() == first.data
    finally:
        db.session.close()
        upgrade()
