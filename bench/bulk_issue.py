"""Bulk issue of certificates on RQ workers, and pages served meanwhile (``make bench-jobs``).

On a throwaway PostgreSQL database (created and dropped here) and the Redis of ``REDIS_URL``:

1. where the time of one certificate goes (in this process: evaluation and rows, PDF rendering,
   Open Badges signing), issued one at a time as before and as a bulk issue does it now;
2. a bulk issue of ``--certificates`` eligible trainees by ``--workers`` workers (``flask jobs
   worker``, as ``make worker`` starts them), from the job's creation to its end, three times on
   different trainees: with the site idle, with two people loading a page every half second, and
   with pages loaded back to back by this process (which shares the machine's cores);
3. pages served by gunicorn (as in production) during the last two, against the same pages idle.

    REDIS_URL=redis://127.0.0.1:6379/2 python -m bench.bulk_issue [--certificates 1000] [--workers 2]

Prints the machine's load average with the numbers: on a shared machine they move with it.
"""
import argparse
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser import Browser  # noqa: E402

BENCH_CREDENTIAL = """
slug: bench-credential
title: Bench Credential
description: Asks for a little of each kind of hours, so that thousands of trainees can meet it.
certificate_prefix: BEN
domains: [Advocacy, Mentoring/Education, Recovery/Wellness Support, Ethical Responsibility]
requirements:
  - kind: training_hours
    total: 4
    domains: {Advocacy: 1, Mentoring/Education: 1, Recovery/Wellness Support: 1, Ethical Responsibility: 1}
  - kind: work_hours
    total: 10
  - kind: supervision_hours
    total: 1
validity_months: 24
"""


def load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(app, trainees, supervisees):
    """Trainees who each meet the bench credential, and the demo supervisor with ``supervisees`` of them."""
    from training.auth.models import SupervisorAssignment, User, UserRole
    from training.courses.services import sync_courses
    from training.credentials.evaluation import refresh_all
    from training.credentials.loader import sync_credentials
    from training.credentials.models import Credential, Enrolment
    from training.demo import load_demo
    from training.extensions import db
    from training.supervision.models import HourEntry

    credentials = Path(tempfile.mkdtemp(prefix="bench-credentials-"))
    for path in (ROOT / "certificates" / "credentials").glob("*.yaml"):
        shutil.copy(path, credentials)
    (credentials / "bench-credential.yaml").write_text(BENCH_CREDENTIAL)
    sync_courses(ROOT / "courses")
    sync_credentials(credentials)
    load_demo()
    today = date.today()
    db.session.execute(insert(User), [
        {"email": f"t{n}@bench.example", "full_name": f"Trainee {n:05d}", "password_hash": None, "active": True,
         "session_token": f"bench-{n}", "programme_started_on": today - timedelta(days=200),
         "wellbeing_shared": False} for n in range(trainees)])
    ids = list(db.session.scalars(db.select(User.id).where(User.email.like("%@bench.example")).order_by(User.id)))
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
    supervisor = db.session.scalar(db.select(User).where(User.email == "supervisor@example.org"))
    db.session.execute(insert(SupervisorAssignment), [
        {"supervisor_id": supervisor.id, "trainee_id": i, "starts_on": today - timedelta(days=150)}
        for i in ids[:supervisees]])
    entries = []
    for i in ids:
        common = {"trainee_id": i, "status": "approved", "occurred_on": today - timedelta(days=30),
                  "supervisor_id": supervisor.id}
        entries += [{**common, "kind": "training", "minutes": 60, "domain": d, "provider": "Academy"}
                    for d in ("Advocacy", "Mentoring/Education", "Recovery/Wellness Support", "Ethical Responsibility")]
        entries += [{**common, "kind": "service", "minutes": 600, "domain": "Advocacy"},
                    {**common, "kind": "supervision", "minutes": 60, "domain": "Advocacy",
                     "supervision_format": "individual"},
                    {**common, "kind": "service", "minutes": 90, "domain": "Advocacy", "status": "pending"}]
    for start in range(0, len(entries), 10000):
        db.session.execute(insert(HourEntry), entries[start:start + 10000])
    # Every trainee is enrolled in the credential, as in a programme (the rows above went around
    # the stored results, so they are worked out here, as after a `credentials refresh`).
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "bench-credential"))
    db.session.execute(insert(Enrolment), [{"user_id": i, "credential_id": credential.id,
                                            "started_on": today - timedelta(days=200)} for i in ids])
    db.session.commit()
    refresh_all()
    return ids


def time_one_certificate(app, trainee_ids, count):
    """Per certificate: everything, the PDF rendering, and the signing."""
    from training.auth.models import User
    from training.certificates import services
    from training.credentials.models import Credential
    from training.extensions import db

    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "bench-credential"))
    spent = {"render": 0.0, "sign": 0.0}
    originals = services.render_pdf, services.sign_certificate

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
        return wrapper

    services.render_pdf, services.sign_certificate = timed("render", originals[0]), timed("sign", originals[1])
    results = {}
    try:
        people = [db.session.get(User, i) for i in trainee_ids[:2 * count + 1]]
        services.issue(people[0], credential)  # warm: fonts, stylesheets, keys
        for label, group in (("issued, PDF rendered and stored", people[1:count + 1]),):
            spent.update(render=0.0, sign=0.0)
            start = time.perf_counter()
            for person in group:
                services.issue(person, credential)
            total = (time.perf_counter() - start) / len(group) * 1000
            results[label] = (total, spent["render"] / len(group) * 1000, spent["sign"] / len(group) * 1000)
    finally:
        services.render_pdf, services.sign_certificate = originals
    return results


def median_page_ms(browser, paths, seconds):
    """Median and p90 time of each page, loaded in turn for ``seconds``."""
    times = {path: [] for path in paths}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path in paths:
            response = browser.get(path)
            assert response.status == 200, (path, response.status)
            times[path].append(response.seconds * 1000)
    return {path: statistics.median(values) for path, values in times.items()}


PAGES = ["/supervision", "/dashboard"]  # the supervisor's; the trainee loads /dashboard
# Each bulk issue runs on its own trainees, with the site idle, then used: the supervisor and the
# trainee each load a page every PACE seconds (people reading), then back to back with no pause
# (the most this bench's one client can ask; it runs on the same two cores as the workers).
PACE = 0.5
PHASES = [("idle site", None), (f"site in use (a page every {PACE} s by each of two people)", PACE),
          ("busy site (pages back to back)", 0.0)]


def bulk_issue(admin, credential, people, users, pace):
    """Start a bulk issue and wait for its end, loading pages as ``users`` meanwhile.

    Returns the seconds it took, the finished job and each page's times (ms) while it ran."""
    from training.certificates.jobs import start_bulk_issue
    from training.extensions import db
    from training.jobs.models import Job

    during = {f"{who} {path}": [] for who in users for path in (PAGES if who == "supervisor" else ["/dashboard"])}
    start = time.perf_counter()
    job = start_bulk_issue(admin, credential, people)
    while True:
        step = time.perf_counter()
        for key in during:
            who, path = key.split(" ", 1)
            during[key].append(users[who].get(path).seconds * 1000)
        db.session.expire_all()
        if db.session.get(Job, job.id).status == "finished":
            break
        time.sleep(max(0.0, (pace if users else 0.5) - (time.perf_counter() - step)))
    elapsed = time.perf_counter() - start
    return elapsed, db.session.get(Job, job.id), during


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nice", type=int, default=10, help="the workers' CPU priority below the app servers'")
    parser.add_argument("--phases", nargs="*", choices=[label.split()[0] for label, _ in PHASES],
                        help="only these of the three runs (default: all)")
    parser.add_argument("--supervisees", type=int, default=50, help="the demo supervisor's caseload")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="a database on the server where the throwaway database is created")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("Set REDIS_URL: the workers take their work from Redis.")

    from redis import Redis

    from training.config import database_url

    name = f"bench_jobs_{os.getpid()}"
    server = create_engine(database_url(args.postgres), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = database_url(args.postgres).rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "RQ_ENABLED": "1",
           "SECRET_KEY": secrets.token_urlsafe(48), "JOB_FILES_DIR": str(folder), "BASE_URL": f"http://127.0.0.1:{port}",
           "LOGIN_RATE_LIMIT": "10000 per minute", "VERIFY_RATE_LIMIT": "10000 per minute",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "TRAINING_ENV": "development"}
    processes = []
    try:
        from flask_migrate import upgrade

        from training import create_app
        from training.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "RQ_ENABLED": True,
                          "JOB_FILES_DIR": str(folder), "BASE_URL": env["BASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                          "TESTING": False})
        with app.app_context():
            upgrade()
            print(f"Building {args.certificates:,} eligible trainees … ({load()})")
            ids = build(app, len(PHASES) * args.certificates + 41, args.supervisees)
            print(f"\nWhere the time of one certificate goes (20 each, this process, {load()}):")
            spare = ids[len(PHASES) * args.certificates:]
            for label, (total, render, sign) in time_one_certificate(app, spare, 20).items():
                print(f"  {label:36} {total:7.1f} ms: PDF {render:6.1f} ms, signing {sign:5.1f} ms, "
                      f"the rest {total - render - sign:5.1f} ms")
            db.session.remove()

        gunicorn = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind",
                                     f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(gunicorn)
        browser = Browser(f"http://127.0.0.1:{port}")
        for _ in range(120):
            try:
                browser.get("/login")
                break
            except ConnectionError:
                time.sleep(0.5)
        browser.login("supervisor@example.org", env.get("DEMO_PASSWORD", "recovery-demo-2026"))
        trainee = Browser(f"http://127.0.0.1:{port}")
        trainee.login("trainee@example.org", env.get("DEMO_PASSWORD", "recovery-demo-2026"))
        idle = {f"supervisor {path}": ms for path, ms in median_page_ms(browser, PAGES, 10).items()}
        idle["trainee /dashboard"] = median_page_ms(trainee, ["/dashboard"], 5)["/dashboard"]

        Redis.from_url(redis_url).delete("rq:queue:jobs")
        workers = [subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "app", "jobs", "worker", "--nice",
                                     str(args.nice)], cwd=ROOT,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(args.workers)]
        processes += workers
        time.sleep(8)  # let the workers start: the measure is of the job, not of starting Python

        with app.app_context():
            from training.auth.models import User
            from training.credentials.models import Credential

            credential = db.session.scalar(db.select(Credential).where(Credential.slug == "bench-credential"))
            admin = db.session.scalar(db.select(User).where(User.email == "admin@example.org"))
            users = {"supervisor": browser, "trainee": trainee}
            for number, (label, pace) in enumerate(PHASES):
                if args.phases and label.split()[0] not in args.phases:
                    continue
                batch = ids[number * args.certificates:(number + 1) * args.certificates]
                people = list(db.session.scalars(db.select(User).where(User.id.in_(batch))))
                print(f"\nBulk issue of {len(people):,} certificates by {args.workers} workers at nice {args.nice}, "
                      f"{label} ({load()} at the start)")
                elapsed, job, during = bulk_issue(admin, credential, people, users if pace is not None else {},
                                                  pace)
                print(f"  {elapsed:.1f} s in all, {elapsed / max(job.done, 1) * 1000:.1f} ms a certificate "
                      f"({job.succeeded} issued, {job.failed} failed; target 45 s; {load()} at the end)")
                for path, times in during.items():
                    ratio = statistics.median(times) / idle[path]
                    print(f"  {path:22} idle {idle[path]:7.1f} ms, during {statistics.median(times):7.1f} ms "
                          f"(median of {len(times)}): {ratio:.2f}x (target at most 2x)")

            db.session.remove()
            db.engine.dispose()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
