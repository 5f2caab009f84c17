"""Load and faults: simulated people against two gunicorn servers sharing PostgreSQL and Redis.

    make loadtest                                   # 100 people for 60 s, PostgreSQL restarted mid-run
    python -m bench.loadtest --users 10 --seconds 20 --database-fault terminate

Trainees read modules, take quizzes and log hours; supervisors review and approve; visitors
verify certificates. Like a load balancer, a person whose server stops answering goes on with
the other one. Mid-run one app server is killed with SIGKILL, and later PostgreSQL goes away:
``terminate`` ends every connection to the database (pg_terminate_backend: safe on a shared
server), ``restart`` restarts a PostgreSQL server of the load test's own (``--private-postgres``,
never the shared one). Then it checks:

- no 5xx response, except a clear 503 page (no traceback) while PostgreSQL is away;
- every hour entry whose form was answered with its redirect is stored exactly once, and no
  entry is stored twice; an entry whose answer never came (its server was killed) at most once;
- after the kill, the other server keeps answering;
- after PostgreSQL comes back, pages are served again within 10 s.
"""
import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser import Browser  # noqa: E402

PASSWORD = "load-test-password"
COURSE = "foundations-of-peer-recovery-support"
UNAVAILABLE = "briefly unavailable"  # the 503 page's title


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --- PostgreSQL: a throwaway database on a server, or a server of our own --------------------------------

class SharedPostgres:
    """A throwaway database on an existing server; the fault it can make is ending every connection."""

    def __init__(self, admin_url):
        from training.config import database_url

        self.admin_url = database_url(admin_url)
        self.name = f"loadtest_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = self.admin_url.rsplit("/", 1)[0] + "/" + self.name
        self.engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def start(self):
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))

    def terminate(self):
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name})

    def restart(self):
        raise RuntimeError("the shared PostgreSQL is never restarted: use --private-postgres")

    def stop(self):
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.engine.dispose()


class PrivatePostgres(SharedPostgres):
    """A PostgreSQL server of the load test's own (initdb in a temporary folder), which it may restart."""

    def __init__(self):
        installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        self.bin = installed[-1].parent if installed else Path("/usr/bin")
        self.folder = Path(tempfile.mkdtemp(prefix="loadtest-pg-"))
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        super().__init__(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")

    def _ctl(self, *args):
        subprocess.run(self.as_postgres + [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-w", "-l",
                                           str(self.folder / "log"), *args], check=True, capture_output=True)

    def start(self):
        subprocess.run(self.as_postgres + [str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
                                           "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
        self._ctl("-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        super().start()

    def restart(self):
        self._ctl("-m", "fast", "restart")

    def stop(self):
        self.engine.dispose()
        self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- Data --------------------------------------------------------------------------------------------

@dataclass
class Cast:
    trainees: list
    supervisors: list
    quiz_id: int
    module_path: str
    codes: list


def prepare(url, trainees, supervisors):
    """The schema, the courses and credentials, people with one password, and certificates to verify."""
    from flask_migrate import upgrade

    from training import create_app
    from training.auth.models import SupervisorAssignment, User, UserRole
    from training.auth.services import hash_password
    from training.certificates.services import issue
    from training.courses.models import Course
    from training.courses.services import sync_courses
    from training.credentials.loader import sync_credentials
    from training.credentials.models import Credential
    from training.extensions import db

    # A testing app waits for the work issuing hands to threads (notices), so nothing outlives the set-up.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    with app.app_context():
        upgrade()
        sync_courses(ROOT / "courses")
        sync_credentials(ROOT / "certificates" / "credentials")
        password = hash_password(PASSWORD)
        today = date.today()
        people = [{"email": f"trainee{n}@load.example", "full_name": f"Trainee Number{n}", "role": "trainee"}
                  for n in range(trainees)]
        people += [{"email": f"supervisor{n}@load.example", "full_name": f"Supervisor Number{n}",
                    "role": "supervisor"} for n in range(supervisors)]
        db.session.execute(insert(User), [
            {"email": p["email"], "full_name": p["full_name"], "password_hash": password, "active": True,
             "session_token": secrets.token_hex(16), "programme_started_on": today - timedelta(days=60),
             "wellbeing_shared": False} for p in people])
        ids = dict(db.session.execute(db.select(User.email, User.id).where(User.email.like("%@load.example"))).all())
        db.session.execute(insert(UserRole), [{"user_id": ids[p["email"]], "role": p["role"]} for p in people])
        trainee_emails = [p["email"] for p in people if p["role"] == "trainee"]
        supervisor_emails = [p["email"] for p in people if p["role"] == "supervisor"]
        db.session.execute(insert(SupervisorAssignment), [
            {"supervisor_id": ids[supervisor_emails[n % len(supervisor_emails)]], "trainee_id": ids[email],
             "starts_on": today - timedelta(days=60)} for n, email in enumerate(trainee_emails)])
        db.session.commit()
        course = db.session.scalar(db.select(Course).where(Course.slug == COURSE))
        module = course.active_modules[0]
        quiz = next(m.quiz for m in course.active_modules if m.quiz is not None)
        credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
        codes = [issue(db.session.get(User, ids[email]), credential, check=False)[0].grouped_code
                 for email in trainee_emails[:3]]
        cast = Cast(trainee_emails, supervisor_emails, quiz.id, f"/courses/{COURSE}/{module.slug}", codes)
        db.session.remove()
        db.engine.dispose()
    return cast


# --- Simulated people -----------------------------------------------------------------------------------

@dataclass
class Record:
    at: float          # seconds since the start
    server: int
    action: str
    status: int        # 0: no answer (connection refused or dropped)
    unavailable_page: bool = False
    traceback: bool = False


@dataclass
class Run:
    start: float = field(default_factory=time.monotonic)
    records: list = field(default_factory=list)
    submitted: dict = field(default_factory=dict)  # note -> "stored" (redirect seen) or "unknown" (no answer)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    dead: set = field(default_factory=set)  # servers known to be gone: a load balancer stops sending to them

    def now(self):
        return time.monotonic() - self.start


class Person(threading.Thread):
    def __init__(self, run, servers, email, role, cast, seed):
        super().__init__(daemon=True)
        self.shared, self.servers, self.email, self.role, self.cast = run, servers, email, role, cast
        self.rng = random.Random(seed)
        self.server = seed % len(servers)
        self.browsers = {}

    def browser(self):
        if self.server not in self.browsers:
            self.browsers[self.server] = Browser(self.servers[self.server], timeout=60)
            # Session cookies are signed with the shared secret: any server accepts them.
            others = [b for b in self.browsers.values() if b.cookies]
            if others:
                self.browsers[self.server].cookies = dict(others[0].cookies)
        return self.browsers[self.server]

    def request(self, action, method, path, form=None, page=None):
        """One request, recorded; None when the server did not answer (the person moves to the other one)."""
        server = self.server
        try:
            browser = self.browser()
            if form is not None and page is not None:
                response = browser.submit(None, path, form, page=page)
            elif form is not None:
                response = browser.post(path, form)
            else:
                response = browser.get(path)
        except ConnectionError:
            self.record(server, action, 0)
            self.failover()
            return None
        for other in self.browsers.values():  # keep the cookies in step across servers
            if other is not browser:
                other.cookies = dict(browser.cookies)
        text_ = response.text if response.status >= 500 else ""
        self.record(server, action, response.status, UNAVAILABLE in text_, "Traceback" in text_)
        return response

    def record(self, server, action, status, unavailable=False, traceback=False):
        with self.shared.lock:
            self.shared.records.append(Record(self.shared.now(), server, action, status, unavailable, traceback))

    def failover(self):
        with self.shared.lock:
            alive = [i for i in range(len(self.servers)) if i not in self.shared.dead and i != self.server]
        if alive:
            self.server = alive[0]
        time.sleep(0.2)

    def sign_in(self):
        while not self.shared.stop.is_set():
            page = self.request("login page", "GET", "/login")
            if page is None or page.status != 200:
                time.sleep(0.5)
                continue
            response = self.request("sign in", "POST", "/login", {"email": self.email, "password": PASSWORD}, page)
            if response is not None and response.status == 302:
                return True
            time.sleep(0.5)
        return False

    def think(self):
        self.shared.stop.wait(self.rng.uniform(0.5, 2.0))

    def run(self):
        if self.role != "visitor" and not self.sign_in():
            return
        while not self.shared.stop.is_set():
            self.act()
            self.think()


class Trainee(Person):
    def act(self):
        choice = self.rng.random()
        if choice < 0.35:
            self.request("module page", "GET", self.cast.module_path)
        elif choice < 0.5:
            self.request("dashboard", "GET", "/dashboard")
        elif choice < 0.75:
            self.log_hours()
        else:
            self.take_quiz()

    def log_hours(self):
        page = self.request("hours form", "GET", "/hours/new")
        if page is None or page.status != 200:
            return
        note = "group session tag " + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(12))
        form = {"kind": "service", "occurred_on": (date.today() - timedelta(days=1)).isoformat(), "hours": "1.5",
                "domain": "Advocacy", "note": note}
        response = self.request("log hours", "POST", "/hours/new", form, page)
        with self.shared.lock:
            if response is None:
                self.shared.submitted[note] = "unknown"
            elif response.status == 302:
                self.shared.submitted[note] = "stored"
            elif response.status < 500 and response.status != 400:
                self.shared.submitted[note] = f"refused {response.status}"

    def take_quiz(self):
        overview = self.request("quiz", "GET", f"/quizzes/{self.cast.quiz_id}")
        if overview is None or overview.status != 200:
            return
        started = self.request("start quiz", "POST", f"/quizzes/{self.cast.quiz_id}/start", {}, overview)
        if started is None or started.status != 302 or "/attempts/" not in started.location:
            return
        attempt = self.request("attempt", "GET", started.location)
        if attempt is not None and attempt.status == 200:
            asked = self.request("submit quiz", "POST", started.location, {"action": "submit"}, attempt)
            if asked is not None and asked.status == 200:  # questions left blank: the page asks once more
                self.request("submit quiz", "POST", started.location, {"action": "submit", "blanks_ok": "yes"}, asked)


class Supervisor(Person):
    ENTRY = re.compile(r'name="decision-(\d+)"')

    def act(self):
        choice = self.rng.random()
        if choice < 0.3:
            self.request("supervisees", "GET", "/supervision")
        elif choice < 0.45:
            self.request("dashboard", "GET", "/dashboard")
        else:
            page = self.request("review", "GET", "/supervision/review")
            if page is None or page.status != 200:
                return
            entries = list(dict.fromkeys(self.ENTRY.findall(page.text)))[:3]
            if entries:
                name = "Supervisor Number" + self.email.split("@")[0].removeprefix("supervisor")
                decisions = {f"decision-{entry}": "approve" for entry in entries}
                self.request("approve", "POST", "/supervision/review", {**decisions, "signed_name": name}, page)


class Visitor(Person):
    def act(self):
        code = self.rng.choice(self.cast.codes)
        if self.rng.random() < 0.6:
            self.request("verify", "GET", f"/verify/{code}")
        else:
            self.request("verify json", "GET", f"/verify/{code}.json")


# --- App servers ---------------------------------------------------------------------------------------

def start_server(env, port, log):
    """gunicorn as the README runs it (two workers each here: two servers share two cores); its log to ``log``."""
    with open(log, "ab") as output:
        return subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--timeout", "60",
                                 "--bind", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env,
                                stdout=output, stderr=output, start_new_session=True)


def tracebacks_in(logs, limit=3):
    """The first few tracebacks the app servers logged, to show why a request failed."""
    found = []
    for log in logs:
        lines = Path(log).read_text(errors="replace").splitlines() if Path(log).exists() else []
        for n, line in enumerate(lines):
            if line.startswith("{") and '"error"' in line and len(found) < limit:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                found.append(entry.get("message", "") + "\n" + "\n".join(entry["error"].splitlines()[-12:]))
            elif line.startswith("Traceback") and len(found) < limit:
                block = [line]
                for following in lines[n + 1:]:
                    block.append(following)
                    if not following.startswith((" ", "\t", "Traceback", "During handling", "The above")) \
                            and following.strip():
                        break
                found.append("\n".join(block[-12:]))
    return found


def wait_until_serving(port, seconds=120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if Browser(f"http://127.0.0.1:{port}").get("/login").status == 200:
                return
        except ConnectionError:
            time.sleep(0.3)
    raise RuntimeError(f"the app server on port {port} did not start")


# --- The run ------------------------------------------------------------------------------------------

@dataclass
class Report:
    users: int
    seconds: int
    requests: int
    per_second: float
    server_errors: list          # 5xx that are not the clear 503 page while PostgreSQL was away
    unavailable: int             # clear 503 pages while PostgreSQL was away
    tracebacks: int
    no_answer: int
    stored: int                  # entries answered with their redirect
    unknown: int                 # entries whose answer never came
    lost: list                   # answered entries missing from the database
    doubled: list                # entries stored more than once
    unknown_doubled: list
    served_after_kill: int       # answers from the surviving server after the kill
    database_fault: str
    recovery_seconds: float | None  # from PostgreSQL back to the first page served again
    killed_at: float | None
    fault_at: float | None
    fault_seconds: float | None  # how long the restart (or the ending of connections) took
    load: str
    by_action: dict = field(default_factory=dict)  # action -> {status: count}
    server_tracebacks: list = field(default_factory=list)  # what the app servers logged for the 5xx

    def problems(self):
        found = []
        if self.server_errors:
            found.append(f"{len(self.server_errors)} 5xx response(s) other than the 503 page while the database "
                         f"was away: {self.server_errors[:5]}")
        if self.tracebacks:
            found.append(f"{self.tracebacks} error page(s) showed a traceback")
        if self.lost:
            found.append(f"{len(self.lost)} answered entr(ies) lost: {self.lost[:3]}")
        if self.doubled or self.unknown_doubled:
            found.append(f"entries stored twice: {(self.doubled + self.unknown_doubled)[:3]}")
        if self.killed_at is not None and not self.served_after_kill:
            found.append("the surviving server answered nothing after the other was killed")
        if self.database_fault != "none" and (self.recovery_seconds is None or self.recovery_seconds > 10):
            found.append(f"pages came back {self.recovery_seconds} s after PostgreSQL (more than 10 s)")
        if not self.stored:
            found.append("no hour entry was stored at all")
        return found

    def print(self):
        print(f"{self.users} people for {self.seconds} s against 2 app servers ({self.load})")
        print(f"  {self.requests:,} requests, {self.per_second:.1f}/s; {self.no_answer} without an answer "
              f"(their server was killed); {self.unavailable} clear 503 page(s) while PostgreSQL was away")
        print(f"  5xx other than that: {len(self.server_errors)}; tracebacks shown: {self.tracebacks}")
        print(f"  hour entries: {self.stored} answered and stored exactly once: {not self.lost and not self.doubled}; "
              f"{self.unknown} without an answer, stored at most once: {not self.unknown_doubled}")
        if self.killed_at is not None:
            print(f"  app server 1 killed (SIGKILL) at {self.killed_at:.1f} s; the other answered "
                  f"{self.served_after_kill:,} requests after that")
        if self.database_fault != "none":
            back = "never" if self.recovery_seconds is None else f"{self.recovery_seconds:.1f} s"
            print(f"  PostgreSQL {self.database_fault} at {self.fault_at:.1f} s, done in {self.fault_seconds:.1f} s: "
                  f"pages served again {back} after that")
        print("  answers by action: " + "; ".join(
            f"{action} " + ", ".join(f"{status or 'none'}x{count}" for status, count in sorted(statuses.items()))
            for action, statuses in sorted(self.by_action.items())))
        problems = self.problems()
        print("  OK" if not problems else "  PROBLEMS:\n    " + "\n    ".join(problems))
        for traceback in self.server_tracebacks:
            print("  logged by an app server:\n      " + traceback.replace("\n", "\n      "))


def by_action(records):
    table = {}
    for r in records:
        statuses = table.setdefault(r.action, {})
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return table


def run_load(users, seconds, postgres, redis_url, kill=True, database_fault="terminate"):
    """Run the load with its faults and return a Report (the database is dropped afterwards)."""
    postgres.start()
    servers, folder = [], Path(tempfile.mkdtemp(prefix="loadtest-"))
    try:
        supervisors = max(1, users // 8)
        visitors = max(1, users // 10)
        trainees = max(1, users - supervisors - visitors)
        cast = prepare(postgres.url, trainees, supervisors)
        env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis_url, "RQ_ENABLED": "0",
               "SECRET_KEY": secrets.token_urlsafe(48), "TRAINING_ENV": "development", "JOB_FILES_DIR": str(folder),
               "LOGIN_RATE_LIMIT": "100000 per minute", "VERIFY_RATE_LIMIT": "100000 per minute",
               "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "HOURS_BACKDATE_DAYS": "120"}
        ports = [free_port(), free_port()]
        logs = [folder / f"server-{n}.log" for n in range(len(ports))]
        servers = [start_server(env, port, log) for port, log in zip(ports, logs, strict=True)]
        for port in ports:
            wait_until_serving(port)
        urls = [f"http://127.0.0.1:{port}" for port in ports]

        run = Run()
        people = [Trainee(run, urls, email, "trainee", cast, n) for n, email in enumerate(cast.trainees)]
        people += [Supervisor(run, urls, email, "supervisor", cast, 1000 + n)
                   for n, email in enumerate(cast.supervisors)]
        people += [Visitor(run, urls, None, "visitor", cast, 2000 + n) for n in range(visitors)]
        for person in people:
            person.start()
        killed_at = fault_at = back_at = None
        kill_time, fault_time = seconds * 0.35, seconds * 0.6
        while run.now() < seconds:
            if kill and killed_at is None and run.now() >= kill_time:
                with run.lock:
                    run.dead.add(0)
                os.killpg(servers[0].pid, signal.SIGKILL)
                killed_at = run.now()
            if database_fault != "none" and fault_at is None and run.now() >= fault_time:
                fault_at = run.now()
                getattr(postgres, database_fault)()
                back_at = run.now()
            time.sleep(0.1)
        run.stop.set()
        for person in people:
            person.join(timeout=70)

        records = list(run.records)
        window_end = (back_at or 0) + 10
        server_errors, unavailable = [], 0
        for r in records:
            if r.status >= 500:
                allowed = (r.status == 503 and r.unavailable_page and fault_at is not None
                           and fault_at <= r.at <= window_end)
                if allowed:
                    unavailable += 1
                else:
                    server_errors.append((round(r.at, 1), r.action, r.status))
        recovery = None
        if back_at is not None:
            served = [r.at for r in records if r.at >= back_at and 200 <= r.status < 400 and r.action != "login page"]
            recovery = round(max(0.0, min(served) - back_at), 1) if served else None
        survivor = 1 if kill else None

        from training.config import database_url

        engine = create_engine(database_url(postgres.url))
        with engine.connect() as conn:
            counts = dict(conn.execute(text("SELECT note, count(*) FROM hour_entry WHERE note LIKE 'group session tag %' "
                                            "GROUP BY note")).all())
        engine.dispose()
        stored = [n for n, s in run.submitted.items() if s == "stored"]
        unknown = [n for n, s in run.submitted.items() if s == "unknown"]
        return Report(
            users=len(people), seconds=seconds, requests=len(records), per_second=len(records) / seconds,
            server_errors=server_errors, unavailable=unavailable, tracebacks=sum(r.traceback for r in records),
            no_answer=sum(r.status == 0 for r in records), stored=len(stored), unknown=len(unknown),
            lost=[n for n in stored if counts.get(n, 0) == 0], doubled=[n for n in stored if counts.get(n, 0) > 1],
            unknown_doubled=[n for n in unknown if counts.get(n, 0) > 1],
            served_after_kill=sum(1 for r in records if killed_at is not None and r.at > killed_at
                                  and r.server == survivor and 0 < r.status < 500),
            database_fault=database_fault, recovery_seconds=recovery, killed_at=killed_at, fault_at=fault_at,
            fault_seconds=None if fault_at is None else round(back_at - fault_at, 1), load=load(),
            by_action=by_action(records), server_tracebacks=tracebacks_in(logs) if server_errors else [])
    finally:
        for server in servers:
            try:
                os.killpg(server.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database-fault", choices=("restart", "terminate", "none"), default="restart")
    parser.add_argument("--no-kill", action="store_true", help="keep both app servers running")
    parser.add_argument("--postgres", default=os.environ.get("LOADTEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="the shared server, for --database-fault terminate or none")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("Set REDIS_URL: the two app servers share their rate limits through Redis.")
    postgres = PrivatePostgres() if args.database_fault == "restart" else SharedPostgres(args.postgres)
    report = run_load(args.users, args.seconds, postgres, redis_url, kill=not args.no_kill,
                      database_fault=args.database_fault)
    report.print()
    sys.exit(1 if report.problems() else 0)


if __name__ == "__main__":
    main()
