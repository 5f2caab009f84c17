"""Every list page runs the same number of SQL statements whether it shows a few rows or many:
no query per row (the dashboards' own check is in test_burnout.py)."""
import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from training.audit import AuditEvent
from training.auth.models import SupervisorAssignment, User, UserRole
from training.certificates.models import Certificate
from training.credentials.evaluation import refresh_all
from training.credentials.models import Credential, Enrolment, Evidence
from training.extensions import db
from training.supervision.models import HourEntry

from .conftest import count_statements

TODAY = date.today()


@pytest.fixture
def programme(app, people, credentials, course):
    """A supervisor and an administrator; ``grow(n)`` adds n trainees, each with what every list shows."""
    supervisor, admin = people["supervisor"], people["admin"]
    prs = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    made = {"count": 0}

    def grow(n):
        start = made["count"]
        users = [User(email=f"list{start + i}@example.org", full_name=f"Listed Trainee {start + i:03}",
                      password_hash="x", programme_started_on=TODAY - timedelta(days=100)) for i in range(n)]
        db.session.add_all(users)
        db.session.flush()
        ids = [u.id for u in users]
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
        db.session.execute(insert(SupervisorAssignment), [
            {"supervisor_id": supervisor.id, "trainee_id": i, "starts_on": TODAY - timedelta(days=90)}
            for i in ids if i % 3])  # the others are nobody's: administrators review their entries
        db.session.execute(insert(Enrolment), [
            {"user_id": i, "credential_id": prs.id, "started_on": TODAY - timedelta(days=90)} for i in ids])
        db.session.execute(insert(HourEntry), [
            {"trainee_id": i, "kind": "service", "occurred_on": TODAY - timedelta(days=d), "minutes": 60,
             "domain": "Advocacy", "status": status, "supervisor_id": supervisor.id if i % 3 else None}
            for i in ids for d, status in ((1, "pending"), (2, "approved"))])
        db.session.execute(insert(AuditEvent), [
            {"action": "hours.approved", "actor_id": supervisor.id if k % 2 else admin.id, "subject_id": i,
             "details": {"minutes": 60}} for k, i in enumerate(ids)])
        db.session.execute(insert(Evidence), [
            {"user_id": i, "key": "code-of-ethics", "title": "Code of ethics", "status": "submitted"} for i in ids])
        db.session.execute(insert(Certificate), [
            {"user_id": i, "credential_id": prs.id, "cycle": 1, "number": f"PRS-LIST-{i:06}",
             "code": hashlib.sha256(str(i).encode()).hexdigest()[:20].upper(),
             "holder_name": f"Listed {i}", "credential_slug": prs.slug, "credential_title": prs.title,
             "hours": {}, "issued_on": TODAY, "expires_on": TODAY + timedelta(days=730), "issuer_name": "Programme",
             "signatory_name": "", "signatory_title": "", "verify_url": "http://localhost/verify/x",
             "design": "classic", "pdf": b"%PDF-1.7", "pdf_sha256": "0" * 64} for i in ids[::2]])
        db.session.commit()
        refresh_all()
        db.session.commit()
        made["count"] += n

    return {"grow": grow, "supervisor": supervisor, "admin": admin}


LIST_PAGES = [
    ("supervisor", "/supervision/review"),
    ("supervisor", "/supervision"),
    ("supervisor", "/dashboard"),
    ("admin", "/supervision/review"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/people"),
    ("admin", "/admin/people?role=trainee&status=active"),
    ("admin", "/admin/certificates"),
    ("admin", "/admin/certificates/eligible?credential=peer-recovery-specialist&status=all"),
    ("admin", "/admin/credentials"),
    ("admin", "/admin/evidence"),
    ("admin", "/dashboard"),
]


def test_list_pages_run_a_fixed_number_of_statements(programme, login_as):
    clients = {role: login_as(programme[role]) for role in ("supervisor", "admin")}
    measured = {}
    for size, more in (("small", 3), ("large", 30)):
        programme["grow"](more)
        for role, url in LIST_PAGES:
            with count_statements() as statements:
                response = clients[role].get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            measured.setdefault((role, url), {})[size] = len(statements)
    grew = {page: counts for page, counts in measured.items() if counts["small"] != counts["large"]}
    assert not grew, grew
    for role in ("supervisor", "admin"):  # both review queues list entries
        assert clients[role].get("/supervision/review").text.count("Listed Trainee") >= 20


@pytest.mark.parametrize("named_at_most", [500, 0], ids=["named", "found-by-each-statement"])
def test_the_administrators_review_queue_matches_trainees_against_assignments_once(programme, login_as,
                                                                                 monkeypatch, named_at_most):
    """Which trainees nobody supervises is worked out against every assignment in force, which grows
    with the programme: once a page, then named; when too many to name, each statement finds them."""
    from training.supervision import services

    monkeypatch.setattr(services, "NAMED_AT_MOST", named_at_most)
    programme["grow"](30)
    listed = list(db.session.scalars(db.select(User).where(User.email.like("list%"))))
    unsupervised = [u for u in listed if not u.id % 3]
    supervised = [u for u in listed if u.id % 3]
    admin = login_as(programme["admin"])
    with count_statements() as statements:
        page = admin.get("/supervision/review").text
    matched = [s for s in statements if "supervisor_assignment" in s]
    assert len(matched) == (1 if named_at_most else 3)
    assert all(u.full_name in page for u in unsupervised)
    assert f"{len(unsupervised)} hour entries are waiting with no supervisor" in admin.get("/dashboard").text
    assert not any(u.full_name in page for u in supervised)


def test_a_trainees_list_pages_run_a_fixed_number_of_statements(app, people, credentials, course, login_as):
    """Hours and certificates of one trainee: a few rows, then many."""
    trainee = people["trainee"]
    prs = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    client = login_as(trainee)
    measured = {}

    def add(first, last):
        db.session.execute(insert(HourEntry), [
            {"trainee_id": trainee.id, "kind": "service", "occurred_on": TODAY - timedelta(days=d), "minutes": 60,
             "domain": "Advocacy", "status": ("approved", "pending", "returned")[d % 3]} for d in range(first, last)])
        db.session.execute(insert(Certificate), [
            {"user_id": trainee.id, "credential_id": prs.id, "cycle": cycle, "number": f"PRS-MINE-{cycle:04}",
             "code": f"MINE{cycle:016}", "holder_name": "Tina Trainee", "credential_slug": prs.slug,
             "credential_title": prs.title, "hours": {}, "issued_on": TODAY - timedelta(days=cycle),
             "expires_on": TODAY + timedelta(days=730), "issuer_name": "Programme", "signatory_name": "",
             "signatory_title": "", "verify_url": "http://localhost/verify/x", "design": "classic",
             "pdf": b"%PDF-1.7", "pdf_sha256": "0" * 64} for cycle in range(first + 1, last + 1)])
        db.session.commit()

    for size, (first, last) in (("small", (0, 2)), ("large", (2, 40))):
        add(first, last)
        for url in ("/hours", "/certificates"):
            with count_statements() as statements:
                assert client.get(url).status_code == 200
            measured.setdefault(url, {})[size] = len(statements)
    assert all(c["small"] == c["large"] for c in measured.values()), measured
