"""Measure what the quality bars name, at realistic sizes, on a throwaway SQLite database.

    make bench            # the full run
    python -m bench --quick

Reports the median of repeated runs. Numbers depend on the machine; run it on an idle one.
"""
import argparse
import contextvars
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def report(label, value, target=None, unit="ms"):
    verdict = "" if target is None else ("  ok" if value <= target else f"  OVER the {target} {unit} target")
    print(f"{label:58} {value:9.1f} {unit}{verdict}")


def build(app, trainees, entries):
    from training.auth.models import SupervisorAssignment, User, UserRole
    from training.auth.services import hash_password
    from training.courses.services import sync_courses
    from training.credentials.loader import sync_credentials
    from training.demo import load_demo
    from training.extensions import db
    from training.supervision.models import HourEntry

    sync_courses(ROOT / "courses")
    sync_credentials(ROOT / "certificates" / "credentials")
    load_demo()
    supervisor = db.session.scalar(db.select(User).where(User.email == "supervisor@example.org"))
    password = hash_password("bench-password-1")
    today = date.today()
    rows = [{"email": f"t{n}@bench.example", "full_name": f"Trainee {n}", "password_hash": password,
             "active": True, "session_token": f"bench-{n}", "programme_started_on": today - timedelta(days=n % 400),
             "wellbeing_shared": False} for n in range(trainees)]
    db.session.execute(insert(User), rows)
    ids = [u for u in db.session.scalars(db.select(User.id).where(User.email.like("%@bench.example")))]
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
    # The demo supervisor supervises 300 of them: a large but realistic caseload for a team lead.
    db.session.execute(insert(SupervisorAssignment), [
        {"supervisor_id": supervisor.id, "trainee_id": i, "starts_on": today - timedelta(days=100)} for i in ids[:300]])
    rng = random.Random(7)
    kinds = ("service", "service", "service", "supervision", "training")
    for chunk in range(0, entries, 10000):
        db.session.execute(insert(HourEntry), [
            {"trainee_id": rng.choice(ids), "kind": (kind := rng.choice(kinds)), "minutes": rng.choice((60, 120, 240)),
             "occurred_on": today - timedelta(days=rng.randrange(365)), "domain": "Advocacy",
             "status": rng.choice(("approved", "approved", "pending")),
             "supervision_format": "individual" if kind == "supervision" else None}
            for _ in range(min(10000, entries - chunk))])
    db.session.commit()
    return supervisor


class Client:
    """A test client whose requests get their own app context (fresh g and session), as in production."""

    def __init__(self, app):
        self._client = app.test_client()

    def get(self, *args, **kwargs):
        return contextvars.Context().run(self._client.get, *args, **kwargs)

    def post(self, *args, **kwargs):
        return contextvars.Context().run(self._client.post, *args, **kwargs)


def login(app, email, password):
    client = Client(app)
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, email
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer runs")
    args = parser.parse_args()
    trainees, entries, runs = (500, 50_000, 5) if args.quick else (3000, 1_000_000, 15)

    from training import create_app
    from training.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "WTF_CSRF_ENABLED": False,
                      "SIGNING_KEY_FILE": str(folder / "key.pem"), "COURSES_DIR": str(ROOT / "courses"),
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        print(f"Building {trainees:,} trainees and {entries:,} hour entries …")
        start = time.perf_counter()
        build(app, trainees, entries)
        print(f"  built in {time.perf_counter() - start:.0f} s\n")

        demo_password = app.config["DEMO_PASSWORD"]
        supervisor = login(app, "supervisor@example.org", demo_password)
        trainee = login(app, "trainee@example.org", demo_password)
        admin = login(app, "admin@example.org", demo_password)
        pages = [
            ("Supervisor dashboard (300 supervisees)", supervisor, "/dashboard", 300),
            ("Supervisees by risk (300 supervisees)", supervisor, "/supervision", 300),
            ("Trainee dashboard", trainee, "/dashboard", 150),
            ("Trainee progress with charts", trainee, "/progress", 150),
            ("Module page", trainee, "/courses/foundations-of-peer-recovery-support/"
                                     "what-peer-recovery-support-is-and-is-not", 100),
            ("People list, page 1 of thousands", admin, "/admin/people", 150),
        ]
        for label, client, url, target in pages:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            value, _ = median_ms(lambda c=client, u=url: c.get(u), runs)
            report(label, value, target)

        from training.auth.models import user_by_email
        from training.certificates.render import render_pdf
        from training.certificates.services import issue, pdf_context
        from training.credentials.models import Credential

        credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
        certificate, _ = issue(user_by_email("ready@example.org"), credential)
        context = pdf_context(certificate)
        render_pdf(certificate.design, context)
        value, _ = median_ms(lambda: render_pdf(certificate.design, context), max(runs, 20))
        report("Certificate render, warm process (median)", value, 50)
        public = Client(app)
        value, _ = median_ms(lambda: public.get(f"/verify/{certificate.grouped_code}"), runs)
        report("Public verification page", value, 100)
        value, _ = median_ms(lambda: public.get(f"/verify/{certificate.grouped_code}.json"), runs)
        report("Signed Open Badges credential", value, 100)


if __name__ == "__main__":
    main()
