"""Pages under load on PostgreSQL at a real programme's size, as a ratio to a bare route's floor.

    make bench                          # 1,000 then 10,000 trainees
    python -m bench --sizes small --seconds 5

For each size: create a throwaway database on the PostgreSQL server (BENCH_DATABASE_URL, by
default the local one), migrate it, fill it set-based (bench/data.py), serve it with gunicorn as in
production (README), and load each page over HTTP with wrk at fixed concurrency, alternating with
/floor, a bare Flask route doing one indexed query under the same server. Prints the median, the
99th percentile, requests per second and the ratio to the floor run just before, then how much
slower each page is at 10,000 trainees than at 1,000. The database is dropped at the end.

The numbers depend on what else the machine is doing: the load average is printed with them.
"""
import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST_COURSE = data.FIRST_COURSE


@dataclass
class Page:
    label: str
    who: str          # an e-mail address, or "" for the public
    path: str
    target: float | None  # the largest ratio to the floor allowed, when the issue sets one


@dataclass
class Result:
    median: float
    p99: float
    rate: float
    errors: int


# --- The database -----------------------------------------------------------------------------------

def _server_url(database):
    parts = urlsplit(SERVER)
    return parts._replace(path=f"/{database}").geturl()


def create_database(name):
    from training.config import database_url

    engine = create_engine(database_url(SERVER), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return _server_url(name)


def drop_database(name):
    from training.config import database_url

    engine = create_engine(database_url(SERVER), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def prepare(url, size):
    """Migrate and fill the database; return what the pages need (ids, codes, slugs)."""
    from flask_migrate import upgrade

    from training import create_app
    from training.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        print(f"Building {size.label} ...")
        certificate = data.build(size)
        print(f"  built in {time.perf_counter() - started:.0f} s")
        module = db.session.execute(text(
            "SELECT m.slug FROM module m JOIN course c ON c.id = m.course_id WHERE c.slug = :course "
            "ORDER BY m.position LIMIT 1"), {"course": FIRST_COURSE}).scalar()
        facts = {"certificate": certificate.id, "code": certificate.grouped_code, "module": module,
                 "demo_password": app.config["DEMO_PASSWORD"]}
        db.engine.dispose()
    return facts


def pages(facts):
    trainee, supervisor, lead = ("trainee1@bench.example", "supervisor1@bench.example", "lead@bench.example")
    admin, holder = "admin@example.org", "ready@example.org"
    eligible = "/admin/certificates/eligible?" + urlencode({"credential": "peer-recovery-specialist"})
    return [
        Page("Module page", trainee, f"/courses/{FIRST_COURSE}/{facts['module']}", 3),
        Page("Trainee dashboard", trainee, "/dashboard", 3),
        Page("Verify page", "", f"/verify/{facts['code']}", 3),
        Page("Verify JSON (signed Open Badges)", "", f"/verify/{facts['code']}.json", 3),
        Page("Certificate PDF download", holder, f"/certificates/{facts['certificate']}.pdf", 3),
        Page("Supervisor dashboard, 50 supervisees", supervisor, "/dashboard", 3),
        Page("Supervisees page, 50 supervisees", supervisor, "/supervision", 3),
        Page("Supervisor dashboard, 300 supervisees", lead, "/dashboard", 6),
        Page("Supervisees page, 300 supervisees", lead, "/supervision", 6),
        Page("People list", admin, "/admin/people", 4),
        Page("Eligibility page", admin, eligible, 4),
        Page("Review queue, 50 supervisees", supervisor, "/supervision/review", None),
        Page("Review queue, 300 supervisees", lead, "/supervision/review", None),
        Page("Review queue, administrators", admin, "/supervision/review", None),
        Page("Programme overview", admin, "/admin/programme", None),
        Page("Audit log", admin, "/admin/audit", None),
        Page("Certificates (administrators)", admin, "/admin/certificates", None),
        Page("Trainee's certificates", trainee, "/certificates", None),
        Page("Trainee's hours", trainee, "/hours", None),
    ]


# --- The server ------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url, port, workers):
    """gunicorn as the README runs it in production, serving bench.wsgi (the app plus /floor)."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "SERVER_NAME")}
    env.update(DATABASE_URL=url, TRAINING_ENV="production", SECRET_KEY=secrets.token_urlsafe(48),
               BASE_URL=f"http://127.0.0.1:{port}", VERIFY_RATE_LIMIT="1000000 per minute",
               LOGIN_RATE_LIMIT="1000 per minute")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The server's own lines (one per request) go to a file, not between the results.
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-gunicorn-{port}.log"
    print(f"server log: {log}")
    with log.open("ab") as output:
        process = subprocess.Popen([str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                                    "--log-level", "warning", "bench.wsgi:app"], cwd=ROOT, env=env,
                                   start_new_session=True, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/floor/")[0] == 200:
                return process
        except OSError:
            time.sleep(0.5)
    stop_server(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def request(port, method, path, cookies=None, form=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    if cookies is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
    connection.close()
    return response.status, content


def sign_in(port, email, password):
    """The cookies of a signed-in session (the form's CSRF token included, as a browser would)."""
    cookies = {}
    status, page = request(port, "GET", "/login", cookies)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    status, _ = request(port, "POST", "/login", cookies, {"csrf_token": token.group(1).decode() if token else "",
                                                           "email": email, "password": password})
    if status != 302:
        raise RuntimeError(f"signing in as {email} answered {status}")
    return cookies


# --- The load --------------------------------------------------------------------------------------

def _ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def load(port, path, cookies, seconds, connections, warm_up=False):
    """wrk at ``connections`` concurrent connections for ``seconds``."""
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "--timeout", "10s"]
    if cookies:
        command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    output = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    if warm_up:
        return None
    completed = int(re.search(r"(\d+) requests in", output).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    if not completed:  # every request took longer than the run
        return Result(float("inf"), float("inf"), 0.0, errors)
    percentiles = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.M))
    if not percentiles:
        raise RuntimeError(f"wrk measured no latency on {path}:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return Result(_ms(percentiles["50"]), _ms(percentiles.get("99", percentiles["50"])), rate, errors)


def measure(port, facts, seconds, connections):
    sessions = {"": None}
    results = {}
    print(f"\n{'':44} {'median':>9} {'p99':>9} {'req/s':>7} {'floor':>8} {'ratio':>6}  target")
    for page in pages(facts):
        if page.who not in sessions:
            password = facts["demo_password"] if page.who.endswith("@example.org") else data.PASSWORD
            sessions[page.who] = sign_in(port, page.who, password)
        cookies = sessions[page.who]
        status, _ = request(port, "GET", page.path, dict(cookies) if cookies else None)
        if status != 200:
            raise RuntimeError(f"{page.label}: {page.path} answered {status}")
        load(port, "/floor/", None, 1, connections, warm_up=True)
        load(port, page.path, cookies, 1, connections, warm_up=True)
        floor = load(port, "/floor/", None, seconds, connections)
        result = load(port, page.path, cookies, seconds, connections)
        ratio = result.median / floor.median if floor.median else float("inf")
        verdict = ""
        if page.target is not None:
            verdict = f"{page.target:g}x " + ("ok" if ratio <= page.target else "OVER")
        if result.p99 >= 250:
            verdict += "  p99 OVER 250 ms"
        if result.errors or floor.errors:
            verdict += f"  {result.errors + floor.errors} ERRORS"
        print(f"{page.label:44} {result.median:7.1f}ms {result.p99:7.1f}ms {result.rate:7.1f} "
              f"{floor.median:6.1f}ms {ratio:5.1f}x  {verdict}", flush=True)
        results[page.label] = (result, floor, ratio)
    return results


def run_size(size, args):
    name = f"bench_{os.getpid()}_{size.trainees}"
    url = create_database(name)
    process = None
    try:
        facts = prepare(url, size)
        port = free_port()
        process = start_server(url, port, args.workers)
        before = os.getloadavg()
        print(f"\n{size.label}: gunicorn --workers {args.workers}, wrk -c {args.connections}, "
              f"{args.seconds} s per run; load average {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
        results = measure(port, facts, args.seconds, args.connections)
        after = os.getloadavg()
        print(f"load average after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} on {os.cpu_count()} cores")
        return results
    finally:
        if process is not None:
            stop_server(process)
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,full", help="small (1,000 trainees), full (10,000) or both")
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (the README's 4)")
    parser.add_argument("--keep", action="store_true", help="keep the databases to look at query plans")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it (apt-get install wrk) when run as root.")
    sizes = {"small": data.SMALL, "full": data.FULL}
    measured = {}
    for key in args.sizes.split(","):
        measured[key] = run_size(sizes[key], args)
    if "small" in measured and "full" in measured:
        print(f"\nGrowth from {data.SMALL.label} to {data.FULL.label} (median; at most 1.3x):")
        for label, (full, _, full_ratio) in measured["full"].items():
            small, _, small_ratio = measured["small"][label]
            growth = full.median / small.median
            print(f"{label:44} {small.median:7.1f}ms -> {full.median:7.1f}ms  {growth:4.2f}x  "
                  f"(ratio {small_ratio:.1f}x -> {full_ratio:.1f}x)  {'ok' if growth <= 1.3 else 'OVER'}")


if __name__ == "__main__":
    main()
