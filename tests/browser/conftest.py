"""Browser tests: Debian's chromium, driven by Playwright, against a live server.

The server runs in a thread of the test process on its own SQLite file, with the courses
and the demo data loaded, CSRF protection on (the real forms must work) and rate limits off.
These tests never use the root conftest's ``app``/``client`` fixtures: those are
parametrised over two databases and emptied between tests.

Without /usr/bin/chromium the browser tests are skipped, except in CI (CI=true), where
they fail: a CI run must not pass silently without them.
"""
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSES_DIR = ROOT / "courses"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000

COURSE_SLUG = "foundations-of-peer-recovery-support"
ADMIN = "admin@example.org"
SUPERVISOR = "supervisor@example.org"
TRAINEE = "trainee@example.org"            # modules 1-3 done
READY = "ready@example.org"                # course complete
NEW_TRAINEE = "new.trainee@example.org"    # nothing done
TRAINER = "trainer@example.org"            # trains the demo cohort, whose fourth session runs now
QUIZ_TAKER = "overdue.trainee@example.org"  # no course progress; used only for the attempt page


class MailCollector(logging.Handler):
    """Keeps every message written to the "training.mail" logger (mail is logged, not sent)."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []

    def emit(self, record):
        # Records arrive from the server's request threads; Handler.handle holds self.lock.
        self.messages.append(record.getMessage())

    def links_for(self, address):
        """The links in every message sent to ``address``, oldest first."""
        found = []
        for message in list(self.messages):
            if re.search(rf"^To: {re.escape(address)}$", message, re.MULTILINE):
                found += re.findall(r"https?://\S+", message)
        return found


@dataclass(frozen=True)
class Module:
    slug: str
    title: str
    path: str


@dataclass(frozen=True)
class ModelAnswer:
    """The full-marks answer to one question of an attempt, with the question as shown."""
    position: int
    qtype: str
    data: dict
    answer: object


@dataclass
class LiveServer:
    url: str
    password: str
    course_title: str
    modules: list
    quiz_ids: dict          # module number -> quiz id; "exam" -> the final exam's id
    user_ids: dict
    app: object = field(repr=False)
    mail: MailCollector = field(repr=False)

    def module_path(self, number):
        """The address of module ``number`` (1-based) of the first course."""
        return self.modules[number - 1].path

    def quiz_path(self, number):
        return f"/quizzes/{self.quiz_ids[number]}"

    def achievement_path(self):
        """The public page of the default credential (credentials loaded on first use)."""
        from training.credentials.loader import sync_credentials

        with self.app.app_context():
            sync_credentials(self.app.config["CREDENTIALS_DIR"])
        return "/credentials/peer-recovery-specialist"

    def verify_path(self):
        """The verification page of a certificate issued to the quiz taker (issued once)."""
        from training.auth.models import User
        from training.certificates.services import issue
        from training.credentials.models import Credential
        from training.extensions import db

        self.achievement_path()
        with self.app.app_context():
            person = db.session.scalar(db.select(User).where(User.email == QUIZ_TAKER))
            credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
            certificate, _ = issue(person, credential, check=False)
            path = f"/verify/{certificate.grouped_code}"
            db.session.remove()
        return path

    def model_answers(self, attempt_id):
        """The right answer to every question of an attempt, read from the server's database.

        The browser never sees right answers before submitting, so the tests look them up
        the way the graders do.
        """
        from training.extensions import db
        from training.quizzes.models import QuizAttempt
        from training.quizzes.types import model_answer

        with self.app.app_context():
            attempt = db.session.get(QuizAttempt, attempt_id)
            answers = [ModelAnswer(slot.position, slot.qtype, slot.data, model_answer(slot.qtype, slot.data))
                       for slot in attempt.slots]
            db.session.remove()
        return answers


def midday_zone():
    """A fixed-offset time zone in which it is about noon now."""
    from datetime import UTC, datetime

    offset = 12 - datetime.now(UTC).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture(scope="session", autouse=True)
def _chromium_available():
    """Skip (or, in CI, fail) the browser tests when Debian's chromium is not installed."""
    if not CHROMIUM.is_file():
        message = (f"{CHROMIUM} is missing: install Debian's chromium "
                   "(apt-get install chromium) to run the browser tests.")
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)


def _closing_each_body(app):
    """The app, with each response read whole and closed before the server writes it.

    When a browser drops a connection (it often gives up on the favicon), Werkzeug's development
    server stops before closing the response, so a static file stays open until the garbage
    collector finds it, and its ResourceWarning fails whichever test is running then.
    """
    def application(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return application


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with demo data, served on a free port of 127.0.0.1 for the whole session."""
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from training import create_app
    from training.auth.models import User
    from training.cohorts.loader import sync_trainings
    from training.courses.models import Course
    from training.courses.services import active_quiz, final_exam, sync_courses
    from training.credentials.loader import sync_credentials
    from training.demo import load_demo
    from training.extensions import db

    database = tmp_path_factory.mktemp("browser") / "browser.db"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "WTF_CSRF_ENABLED": True,
        "COURSES_DIR": str(COURSES_DIR),
        "RATELIMIT_ENABLED": False,
        # Sessions are scheduled in local time: a zone where it is about noon keeps a session
        # that starts now from running past midnight, whenever the suite runs.
        "TIMEZONE": midday_zone(),
    })
    with app.app_context():
        upgrade()
        sync_courses(COURSES_DIR)
        sync_credentials(ROOT / "certificates" / "credentials")
        sync_trainings(ROOT / "trainings")
        load_demo()
        course = db.session.scalar(select(Course).where(Course.slug == COURSE_SLUG))
        modules = [Module(m.slug, m.title, f"/courses/{COURSE_SLUG}/{m.slug}")
                   for m in course.active_modules]
        course_title = course.title
        quiz_ids = {number: active_quiz(m).id for number, m in enumerate(course.active_modules, start=1)
                    if active_quiz(m) is not None}
        if final_exam(course) is not None:
            quiz_ids["exam"] = final_exam(course).id
        user_ids = {u.email: u.id for u in db.session.scalars(select(User))}
        db.session.remove()

    mail = MailCollector()
    mail_logger = logging.getLogger("training.mail")
    mail_logger.addHandler(mail)
    # Werkzeug logs every request to stderr; the tests do not need that noise.
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.WARNING)

    server = make_server("127.0.0.1", 0, _closing_each_body(app), threaded=True)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # e-mailed links come from it
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", password=app.config["DEMO_PASSWORD"],
                         course_title=course_title, modules=modules, quiz_ids=quiz_ids,
                         user_ids=user_ids, app=app, mail=mail)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        mail_logger.removeHandler(mail)
        werkzeug_logger.setLevel(werkzeug_level)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def fill_sign_in_form(page, email, password):
    """Sign in through the real form, as a person would, and wait for the dashboard."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


@pytest.fixture(scope="session")
def signed_in_state(browser, live_server):
    """``signed_in_state(email)``: cookies of a session signed in through the form (cached)."""
    states = {}

    def state_for(email):
        if email not in states:
            context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
            context.set_default_timeout(TIMEOUT_MS)
            try:
                fill_sign_in_form(context.new_page(), email, live_server.password)
                states[email] = context.storage_state()
            finally:
                context.close()
        return states[email]

    return state_for


BLOCKED_BY_POLICY = "Content Security Policy"


def watch_for_blocked_content(page, blocked):
    """Note every console message saying the page's Content-Security-Policy blocked something."""
    def check(message):
        if BLOCKED_BY_POLICY in message.text:
            blocked.append(f"{page.url}: {message.text}")
    page.on("console", check)
    return page


@pytest.fixture
def open_page(browser, live_server, signed_in_state):
    """``open_page(as_user=None, viewport=DESKTOP)``: a page in a browser context of its own.

    With ``as_user`` the context starts signed in as that person; every context is closed
    when the test ends.
    """
    contexts, blocked = [], []

    def factory(as_user=None, viewport=DESKTOP):
        state = signed_in_state(as_user) if as_user else None
        context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                      storage_state=state)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return watch_for_blocked_content(context.new_page(), blocked)

    yield factory
    for context in contexts:
        context.close()
    assert not blocked, f"the security policy blocked part of a page: {blocked}"


@pytest.fixture(scope="module")
def shared_page(browser, live_server, signed_in_state):
    """``shared_page(as_user=None, viewport=DESKTOP)``: one page per person and size, reused.

    For read-only checks only (it saves a new context per test): the tests of a module
    that take it share its cookies and history, so they must not change anything.
    """
    pages, contexts, blocked = {}, [], []

    def factory(as_user=None, viewport=DESKTOP):
        key = (as_user, viewport["width"], viewport["height"])
        if key not in pages:
            state = signed_in_state(as_user) if as_user else None
            context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                          storage_state=state)
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
            pages[key] = watch_for_blocked_content(context.new_page(), blocked)
        return pages[key]

    yield factory
    for context in contexts:
        context.close()
    assert not blocked, f"the security policy blocked part of a page: {blocked}"


@pytest.fixture
def sign_in(live_server):
    """``sign_in(page, email)``: sign in through the form with the demo password."""
    def do_sign_in(page, email, password=None):
        fill_sign_in_form(page, email, password or live_server.password)
    return do_sign_in


def pytest_collection_modifyitems(items):
    """Keep the browser tests in two test processes, each with one served app and one chromium: the
    Spanish pages' audit takes about as long as all the others, so it runs beside them."""
    for item in items:
        if "/browser/" in item.nodeid or item.nodeid.startswith("browser/"):
            group = "browser-es" if "test_spanish_journey" in item.nodeid else "browser"
            item.add_marker(pytest.mark.xdist_group(group))
