"""The data `make bench` measures pages on, written at a tiny size: what each page has to show
must be there, or the bench times an empty list."""
import re

import pytest
from sqlalchemy import func, select

from bench import data
from training.auth.models import User
from training.certificates.models import Certificate
from training.credentials.models import Credential, Enrolment
from training.extensions import db
from training.supervision.models import HourEntry

TINY = data.Size("200 trainees, 8,000 entries", 200, 8_000, 400, 20, 200)


@pytest.fixture
def bench_data(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("The bench writes its data with PostgreSQL's generate_series; it runs on PostgreSQL only.")
    data.build(TINY, log=lambda line: None)
    return app


def test_the_bench_holds_the_entries_it_says_and_trainees_waiting_for_a_certificate(bench_data, client):
    assert db.session.scalar(select(func.count()).select_from(HourEntry).where(
        HourEntry.trainee.has(User.email.like("%@bench.example")))) == TINY.entries

    credential = db.session.scalar(select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    certified = select(Certificate.user_id).where(Certificate.credential_id == credential.id)
    waiting = db.session.scalars(select(User.email).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.credential_id == credential.id, Enrolment.eligible, User.email.like("%@bench.example"),
        User.id.not_in(certified))).all()
    # Every twentieth trainee is ready; the last 20 hold a certificate, among them one ready trainee.
    ready = {f"trainee{n}@bench.example" for n in range(data.READY_EVERY, TINY.trainees + 1, data.READY_EVERY)}
    assert set(waiting) == ready - {f"trainee{TINY.trainees}@bench.example"}

    client.post("/login", data={"email": "admin@example.org", "password": bench_data.config["DEMO_PASSWORD"]})
    page = client.get("/admin/certificates/eligible?credential=peer-recovery-specialist").text
    listed = set(re.findall(r"trainee\d+@bench\.example", page))
    assert listed == set(waiting)
