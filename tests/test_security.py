"""Security and privacy rules: links from BASE_URL only, sessions that end, links that retire,
a strict production start, shared rate limits and safe exports."""
import csv
import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from training import create_app
from training.auth.models import AccountToken, SupervisorAssignment, User, user_by_email
from training.config import DEV_SECRET_KEY, Config, ProductionConfig, config_from_environment, trusted_hosts
from training.extensions import db

from .conftest import PASSWORD, ROOT, login, mailed_links


def _path(link):
    return re.sub(r"^https?://[^/]+", "", link)


# --- Production start ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["prod", "production2", "staging", ""])
def test_an_unknown_environment_name_stops_the_start(monkeypatch, name):
    monkeypatch.setenv("TRAINING_ENV", name)
    with pytest.raises(RuntimeError, match="TRAINING_ENV"):
        config_from_environment()


@pytest.mark.parametrize("name, config", [("production", ProductionConfig), (" Production ", ProductionConfig),
                                          ("development", Config)])
def test_known_environment_names_pick_their_configuration(monkeypatch, name, config):
    monkeypatch.setenv("TRAINING_ENV", name)
    assert config_from_environment() is config


@pytest.mark.parametrize("key", ["", DEV_SECRET_KEY, "x" * 32, "x" * 64, "ab" * 16, "0123456789abcdef" * 2,
                                 "password" * 4, "short-but-random-Qz8"])
def test_production_refuses_a_guessable_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": key})


@pytest.mark.parametrize("key", [secrets.token_urlsafe(48), secrets.token_urlsafe(32), secrets.token_hex(16)],
                         ids=["urlsafe-48", "urlsafe-32", "hex-16"])
def test_production_accepts_a_random_secret_key(key):
    assert create_app({"ENV_NAME": "production", "SECRET_KEY": key}).config["ENV_NAME"] == "production"


# --- Links come from BASE_URL, and production answers only to its own host ------------------------

def test_trusted_hosts_come_from_base_url():
    assert trusted_hosts("https://training.example.org/") == ["training.example.org"]
    assert trusted_hosts("https://training.example.org:8443/app", "health.internal, ") == [
        "training.example.org", "health.internal"]
    assert ProductionConfig.TRUSTED_HOSTS == trusted_hosts(Config.BASE_URL)


def test_a_reset_requested_through_a_forged_host_still_links_to_base_url(client, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    make_user("ana@example.org")
    client.post("/password/forgot", data={"email": "ana@example.org"}, headers={"Host": "attacker.example"})
    links = mailed_links(caplog)
    assert len(links) == 1 and links[0].startswith("http://localhost/password/reset/")


def test_invitation_links_come_from_base_url_whatever_the_host(app, people, caplog):
    caplog.set_level("INFO", logger="training.mail")
    admin, forged = app.test_client(), "http://attacker.example"
    admin.post("/login", data={"email": people["admin"].email, "password": PASSWORD}, base_url=forged)
    response = admin.post("/admin/people/invite", base_url=forged,
                          data={"full_name": "New Person", "email": "new@example.org", "roles": ["trainee"]})
    assert response.status_code == 200 and 'value="http://localhost/invitation/' in response.text
    assert "attacker.example" not in response.text
    assert [link.split("/invitation/")[0] for link in mailed_links(caplog)] == ["http://localhost"]


class _Production(ProductionConfig):
    SECRET_KEY = secrets.token_urlsafe(48)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    TRUSTED_HOSTS = trusted_hosts("https://training.example.org")


@pytest.mark.parametrize("host, status", [("training.example.org", 200), ("attacker.example", 400),
                                          ("training.example.org.attacker.example", 400), ("a" * 5000, 400)])
def test_production_answers_only_to_its_own_host(host, status):
    response = create_app(_Production).test_client().get("/login", headers={"Host": host},
                                                          base_url="https://training.example.org")
    assert response.status_code == status
    if status == 400:
        assert response.text == "This site does not answer to that host name.\n"


@pytest.mark.parametrize("host", ["a" * 5000, "a" * 64 + ".example", "b" * 300])
def test_a_huge_or_malformed_host_header_gets_a_400_not_a_500(client, host):
    response = client.get("/login", headers={"Host": host})
    assert response.status_code == 400 and "host name" in response.text


# --- Sessions end on sign-out -------------------------------------------------------------------

def _copy_cookies(source, target, names=("session", "remember_token")):
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_signing_out_ends_a_copied_session_cookie(app, make_user):
    user = make_user("ana@example.org")
    browser = login(app.test_client(), user)
    copy = app.test_client()
    _copy_cookies(browser, copy, names=("session",))
    assert copy.get("/dashboard").status_code == 200
    browser.post("/logout")
    assert copy.get("/dashboard").status_code == 302


def test_signing_out_ends_remember_me_on_other_browsers(app, make_user):
    user = make_user("ana@example.org")
    laptop = login(app.test_client(), user)
    phone = app.test_client()
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    only_remembered = app.test_client()
    _copy_cookies(phone, only_remembered, names=("remember_token",))
    assert only_remembered.get("/dashboard").status_code == 200  # the cookie alone signs in
    laptop.post("/logout")
    assert app.test_client().get("/dashboard").status_code == 302
    fresh = app.test_client()
    _copy_cookies(phone, fresh, names=("remember_token",))
    assert fresh.get("/dashboard").status_code == 302
    assert phone.get("/dashboard").status_code == 302


def test_remember_me_lasts_fourteen_days_by_default(app, client, make_user):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    make_user("ana@example.org")
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert abs(expires - datetime.now(UTC) - timedelta(days=14)) < timedelta(minutes=1) and "HttpOnly" in cookie


def test_the_remember_me_lifetime_is_a_setting(monkeypatch):
    import importlib

    import training.config

    monkeypatch.setenv("REMEMBER_ME_DAYS", "3")
    try:
        assert importlib.reload(training.config).Config.REMEMBER_COOKIE_DURATION == timedelta(days=3)
    finally:
        monkeypatch.delenv("REMEMBER_ME_DAYS")
        importlib.reload(training.config)


# --- Sign-ins end SESSION_ABSOLUTE_HOURS after the password was typed ----------------------------

def _later(**delta):
    import time_machine

    return time_machine.travel(datetime.now(UTC) + timedelta(**delta), tick=True)


def test_a_sign_in_ends_after_twelve_hours_however_busy_it_has_been(app, make_user):
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 12
    browser = login(app.test_client(), make_user("ana@example.org"))
    for hours in (1, 6, 11.9):  # in use all day
        with _later(hours=hours):
            assert browser.get("/dashboard").status_code == 200
    with _later(hours=12, minutes=1):
        response = browser.get("/hours?page=2")
        assert response.status_code == 302 and response.location == "/login?next=/hours?page%3D2"
        page = browser.get(response.location).text
        assert "For your security, a sign-in lasts 12 hours at most. Please sign in again." in page
        assert browser.get("/dashboard").location == "/login?next=%2Fdashboard"  # signed out, not told twice
        assert "a sign-in lasts" not in browser.get("/login").text
        again = browser.post("/login?next=/hours", data={"email": "ana@example.org", "password": PASSWORD})
        assert again.location == "/hours" and browser.get("/dashboard").status_code == 200


def test_keep_me_signed_in_lasts_its_days_from_the_sign_in_it_was_chosen_at(app, make_user):
    """Chosen at sign-in, it lasts REMEMBER_ME_DAYS rather than twelve hours. The cookie carries the
    first sign-in's time: bringing a browser back with it never starts the days again, and a copy of
    it stops working at the same time."""
    user = make_user("ana@example.org")
    phone = app.test_client()
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    with _later(hours=13):
        assert phone.get("/dashboard").status_code == 200  # past the twelve hours of a sign-in not kept
    reopened = app.test_client()  # the browser closed and opened again: only the cookie is left
    with _later(days=13, hours=23):
        _copy_cookies(phone, reopened, names=("remember_token",))
        for page in ("/dashboard", "/hours", "/dashboard"):  # and it stays signed in, click after click
            assert reopened.get(page).status_code == 200, page
    with _later(days=14, minutes=1):
        response = reopened.get("/dashboard")
        assert response.status_code == 302 and response.location.startswith("/login")
        assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))  # removed from the browser
        assert "“Keep me signed in” lasts 14 days at most. Please sign in again." in reopened.get("/login").text
        copy = app.test_client()
        _copy_cookies(phone, copy, names=("remember_token",))
        assert copy.get("/dashboard").status_code == 302


@pytest.mark.config(SESSION_ABSOLUTE_HOURS=1)
def test_the_absolute_lifetime_of_a_sign_in_is_a_setting(app, make_user):
    browser = login(app.test_client(), make_user("ana@example.org"))
    with _later(minutes=59):
        assert browser.get("/dashboard").status_code == 200
    with _later(minutes=61):
        response = browser.get("/dashboard", headers={"Accept-Language": "es"})
        assert response.status_code == 302
        page = browser.get(response.location, headers={"Accept-Language": "es"}).text
        assert "Por su seguridad, una sesión dura como máximo 1 hora." in page


def test_a_session_from_before_sign_ins_carried_a_time_has_ended(app, make_user):
    """A session cookie that names only the account (as every one did before) cannot say how old it is."""
    user = make_user("ana@example.org")
    browser = login(app.test_client(), user)
    with browser.session_transaction() as session:
        session["_user_id"] = user.session_token
    response = browser.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "Please sign in again." in browser.get(response.location).text


# --- One-time links retire ----------------------------------------------------------------------

def test_a_reset_link_made_before_a_password_change_stops_working(app, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    user = make_user("ana@example.org")
    app.test_client().post("/password/forgot", data={"email": user.email})
    link = _path(mailed_links(caplog)[-1])
    assert app.test_client().get(link).status_code == 200
    login(app.test_client(), user).post("/account", data={
        "current_password": PASSWORD, "password": "another long one", "confirm": "another long one"})
    response = app.test_client().get(link)
    assert response.status_code == 404 and "no longer works" in response.text


def test_an_invitation_does_not_come_back_after_deactivation_and_reactivation(app, people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    admin = login_as(people["admin"])
    admin.post("/admin/people/invite", data={"full_name": "New Person", "email": "new@example.org",
                                             "roles": ["trainee"]})
    link = _path(mailed_links(caplog)[-1])
    invited = user_by_email("new@example.org")
    admin.post(f"/admin/people/{invited.id}/deactivate", data={"reason": "sent by mistake", "confirmed": "yes"})
    admin.post(f"/admin/people/{invited.id}/reactivate")
    assert db.session.get(User, invited.id).active
    assert app.test_client().get(link).status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(AccountToken)
                             .where(AccountToken.used_at.is_(None))) == 0


# --- Opening an invitation never signs anyone out by itself ---------------------------------------

def test_opening_an_invitation_while_signed_in_asks_before_signing_out(app, people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    admin = login_as(people["admin"])
    admin.post("/admin/people/invite", data={"full_name": "New Person", "email": "new@example.org",
                                             "roles": ["trainee"]})
    link = _path(mailed_links(caplog)[-1])
    page = admin.get(link)
    assert page.status_code == 200 and "You are signed in as someone else" in page.text
    assert "new@example.org" in page.text and "admin@example.org" in page.text
    assert admin.get("/admin/people").status_code == 200  # still signed in
    # Posting the form while signed in changes nothing either.
    admin.post(link, data={"full_name": "X", "password": "brand new password", "confirm": "brand new password"})
    assert user_by_email("new@example.org").password_hash is None
    assert admin.get("/admin/people").status_code == 200
    # Choosing to sign out leads back to the invitation.
    response = admin.post(f"/logout?next={link}")
    assert response.status_code == 302 and response.location == link
    assert "Choose your password" not in page.text and "Create my account" in admin.get(link).text


# --- Rate limits shared by the sign-in family ---------------------------------------------------

@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="6 per minute")
def test_sign_in_routes_share_one_rate_limit(client):
    attempts = [("/login", {"email": "x@example.org", "password": "wrong-password"}),
                ("/password/forgot", {"email": "x@example.org"}),
                ("/password/reset/not-a-token", {"password": "p" * 12, "confirm": "p" * 12}),
                ("/invitation/not-a-token", {"full_name": "X", "password": "p" * 12, "confirm": "p" * 12})]
    statuses = [client.post(url, data=data).status_code for url, data in attempts + attempts[:2]]
    assert 429 not in statuses
    assert [client.post(url, data=data).status_code for url, data in attempts] == [429] * 4


def _sign_in_from(client, address, forwarded=None):
    """A failed sign-in reaching the app from ``address`` (the proxy, behind one), forwarded for
    ``forwarded`` when the proxy says whom for."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"email": "x@example.org", "password": "wrong-password"}, headers=headers,
                       environ_base={"REMOTE_ADDR": address}).status_code


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", PROXY_COUNT=1)
def test_behind_the_proxy_one_visitors_failed_sign_ins_never_lock_out_another(client):
    """Every request reaches the app servers from the proxy's address: counted by it, one person
    guessing passwords would use up the sign-in budget of everyone."""
    assert [_sign_in_from(client, "127.0.0.1", "203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
    assert _sign_in_from(client, "127.0.0.1", "198.51.100.2") == 200
    # Only the address the proxy added counts: one a visitor wrote in front of it changes nothing.
    assert _sign_in_from(client, "127.0.0.1", "192.0.2.1, 203.0.113.7") == 429


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_without_a_proxy_a_forwarded_for_header_is_not_believed(client):
    assert [_sign_in_from(client, "203.0.113.7", f"192.0.2.{n}") for n in range(4)] == [200, 200, 200, 429]


def test_production_expects_one_proxy_in_front_and_the_number_is_a_setting(monkeypatch):
    import importlib

    import training.config

    assert Config.PROXY_COUNT == 0 and ProductionConfig.PROXY_COUNT == 1
    monkeypatch.setenv("PROXY_COUNT", "2")
    try:
        assert importlib.reload(training.config).ProductionConfig.PROXY_COUNT == 2
    finally:
        monkeypatch.delenv("PROXY_COUNT")
        importlib.reload(training.config)


# --- Exports ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [";=1+1", "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value):
    from training.spreadsheet import safe_cell

    assert safe_cell(value) == "'" + value


def test_csv_export_quotes_every_cell_so_separators_stay_inside(app, people, login_as):


    from training.supervision.models import HourEntry

    db.session.add(HourEntry(trainee_id=people["trainee"].id, kind="service", minutes=60, domain="Advocacy",
                             status="approved", occurred_on=date.today(), note="good day;=1+1",
                             organisation=";=HYPERLINK(1)"))
    db.session.commit()
    body = login_as(people["trainee"]).get("/hours/export.csv").data.decode("utf-8-sig")
    assert '"good day;=1+1"' in body and "\"';=HYPERLINK(1)\"" in body
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and all(not cell.startswith((";", "=")) for cell in rows[1])


# Each is what a trainee or trainer may type as a name, an e-mail's local part, an organisation, a
# note or a title; a spreadsheet opening the file would run every one of them as a formula.
FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1",
            ";=1+1"]


def _runs_in_a_spreadsheet(cell):
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r", ";")


def _csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.fixture
def formula_people(app, make_user, credentials):
    """Trainees whose names and e-mail addresses begin like formulas, with hours, a supervisor, an
    administrator and a cohort (its title and session topic also like formulas) that they attend."""
    from training.cohorts.models import Cohort, CohortMember, CohortSession, CohortTrainer, LiveTraining
    from training.db_types import utcnow
    from training.supervision.models import HourEntry

    trainees = [make_user(f"{value.strip()[:1]}x{i}@example.org".replace("\r", "").replace("\t", ""), name=value,
                          commit=False) for i, value in enumerate(FORMULAS)]
    # An e-mail address may begin with = + or - (RFC 5322 allows them before the @).
    trainees.append(make_user("=cmd|'/Ccalc'!A0@example.org", name="Plain Name", commit=False))
    supervisor = make_user("sup@example.org", roles=("supervisor",), name="Sue Supervisor", commit=False)
    trainer = make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer", commit=False)
    admin = make_user("admin@example.org", roles=("admin",), name="Ada Admin", commit=False)
    db.session.flush()
    now = utcnow().replace(microsecond=0)
    cohort = Cohort(title="=HYPERLINK(\"http://evil.example\")", live_training=LiveTraining(slug="t", title="T"),
                    starts_on=date.today() - timedelta(days=3), ends_on=date.today() + timedelta(days=3),
                    delivery="in_person", address="Room 2", capacity=20)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    db.session.add(CohortSession(cohort=cohort, topic="@SUM(1)", starts_at=now, ends_at=now + timedelta(hours=2),
                                 credits={}, checkin_secret="x" * 64))
    for trainee, value in zip(trainees, FORMULAS + ["-1"], strict=True):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainee.id, status="enrolled"))
        db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                            starts_on=date.today() - timedelta(days=30)))
        db.session.add(HourEntry(trainee_id=trainee.id, kind="service", minutes=60, domain="Advocacy",
                                 status="approved", occurred_on=date.today(), note=value, organisation=value,
                                 signed_name=value))
    db.session.commit()
    return {"trainees": trainees, "supervisor": supervisor, "trainer": trainer, "admin": admin, "cohort": cohort}


def test_no_csv_export_lets_a_cell_run_as_a_formula(formula_people, login_as):
    """Names, e-mail addresses, organisations, notes, titles and topics that begin like formulas
    reach every CSV export as text, whoever downloads it."""
    people = formula_people
    cohort, session = people["cohort"], people["cohort"].sessions[0]
    downloads = [(people["trainees"][0], "/hours/export.csv"),
                 (people["admin"], "/admin/programme.csv"),
                 (people["trainer"], f"/cohorts/sessions/{session.id}/sign-in-sheet.csv"),
                 (people["trainer"], f"/cohorts/{cohort.id}/attendance.csv")]
    downloads += [(people["supervisor"], f"/supervisees/{t.id}/hours.csv") for t in people["trainees"]]
    for person, url in downloads:
        rows = _csv_rows(login_as(person).get(url))
        assert len(rows) > 1, url
        running = [cell for row in rows for cell in row if _runs_in_a_spreadsheet(cell)]
        assert running == [], url
    # Neutralised, not dropped: the text is all there after the quote mark.
    sheet = _csv_rows(login_as(people["trainer"]).get(f"/cohorts/sessions/{session.id}/sign-in-sheet.csv"))
    assert "'\t=1+1" in [row[5] for row in sheet] and "'=cmd|'/ccalc'!a0@example.org" in [row[6] for row in sheet]


@pytest.mark.parametrize("number", [-1, -2.5, 0, 3])
def test_numbers_in_a_csv_export_stay_numbers(number):
    from training.spreadsheet import safe_cell

    assert safe_cell(number) == number


# --- Security headers -----------------------------------------------------------------------------

def _assert_page_headers(response):
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path, status", [("/login", 200), ("/dashboard", 302), ("/no-such-page", 404),
                                          ("/static/style.css", 200), ("/static/menu.js", 200),
                                          ("/issuer/jwks.json", 200), ("/logout", 405)])
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    response.close()  # static files are streamed from an open file
    assert response.status_code == status
    _assert_page_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # HSTS only in production


def test_error_pages_carry_the_security_headers_too(client):
    _assert_page_headers(client.get("/login", headers={"Host": "a" * 5000}))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.testing = False  # let the 500 handler answer, as in production
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    _assert_page_headers(response)


def test_production_adds_hsts_to_every_response():
    client = create_app(_Production).test_client()
    for path in ("/login", "/no-such-page", "/static/style.css"):
        response = client.get(path, base_url="https://training.example.org")
        response.close()
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        _assert_page_headers(response)


def test_a_pdf_shown_in_the_browser_may_not_be_framed(app):
    from training.security import set_security_headers

    with app.test_request_context():
        response = set_security_headers(app.response_class(b"%PDF-1.7", mimetype="application/pdf"))
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


TEMPLATES = ROOT / "templates"
# Rendered into PDFs by WeasyPrint, never served as pages.
PDF_TEMPLATES = {"certificates/transcript_pdf.html", "supervision/report_pdf.html"}


def _page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name not in PDF_TEMPLATES and not name.endswith("_pdf.html"):
            yield pytest.param(path, id=name)


@pytest.mark.parametrize("path", list(_page_templates()))
def test_page_templates_have_nothing_inline_that_the_policy_would_block(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", source), "inline <script>: move it to static/"
    assert not re.search(r"\sstyle=", source), "style attribute: use a class in static/style.css"
    assert not re.search(r"<style", source), "<style> element: use static/style.css"
    assert not re.search(r"\son[a-z]+=", source), "inline event handler: use static/ JavaScript"
    assert "javascript:" not in source


def test_course_tables_align_with_classes_not_inline_styles():
    from training.rendering import markdown_to_html

    html = markdown_to_html("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert 'class="align-right"' in html and "style=" not in html


# --- Forgot-password does the same work for every address ------------------------------------------

def _forgot(client, email, monkeypatch):
    """Post the form with the background job recorded instead of run; returns (response, jobs, statements)."""
    from sqlalchemy import event

    from training import jobs

    started, statements = [], []
    monkeypatch.setattr(jobs, "start", lambda *args, **kwargs: started.append((args, kwargs)))

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.post("/password/forgot", data={"email": email})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return response, started, statements


def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(app, make_user, monkeypatch):
    make_user("ana@example.org")
    known = _forgot(app.test_client(), "ana@example.org", monkeypatch)
    unknown = _forgot(app.test_client(), "nobody@example.org", monkeypatch)
    for response, started, statements in (known, unknown):
        assert response.status_code == 302 and response.location == "/login"
        assert statements == []  # the request itself never looks the address up
        assert len(started) == 1
    assert known[1][0][0][0] == unknown[1][0][0][0] == "training.auth.services.send_password_reset"
    assert [known[1][0][0][1], unknown[1][0][0][1]] == ["ana@example.org", "nobody@example.org"]
    assert known[0].headers.get("Set-Cookie") is not None and unknown[0].headers.get("Set-Cookie") is not None


def test_the_reset_job_mails_only_registered_active_addresses(app, make_user, caplog):
    from training.auth.services import send_password_reset

    caplog.set_level("INFO", logger="training.mail")
    make_user("ana@example.org")
    make_user("gone@example.org", active=False)
    for email in ("nobody@example.org", "gone@example.org", "ANA@example.org"):
        send_password_reset(email)
    links = mailed_links(caplog)
    assert len(links) == 1 and links[0].startswith("http://localhost/password/reset/")


@pytest.mark.config(RQ_ENABLED=True)
def test_with_workers_the_reset_is_queued_for_them(app, make_user, monkeypatch):
    import rq

    queued = []

    class FakeQueue:
        def __init__(self, name, connection):
            self.name = name

        def enqueue(self, *args, **kwargs):
            queued.append((self.name, args))

    monkeypatch.setattr(rq, "Queue", FakeQueue)
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/2"
    app.test_client().post("/password/forgot", data={"email": "nobody@example.org"})
    assert queued == [("mail", ("training.jobs.run", "training.auth.services.send_password_reset",
                                "nobody@example.org"))]


# --- Zip files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Ana/../../../Startup/evil", "Ana\\..\\..\\Startup\\evil", "Ana: <evil>?|*\""])
def test_a_supervisees_name_never_makes_a_path_inside_the_reports_zip(people, make_user, login_as, name):
    """A name is whatever its owner typed: in a zip file, a slash or '..' would place the report
    outside the folder it is unpacked into, and some characters cannot name a file at all."""
    import zipfile

    from training.supervision.models import HourEntry

    supervisor, trainee = people["supervisor"], make_user("ana@example.org", name=name)
    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee, starts_on=date(2026, 1, 1)))
    db.session.add(HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind="service", minutes=60,
                             occurred_on=date.today(), domain="Advocacy", status="approved", organisation="Centre"))
    db.session.commit()
    client = login_as(supervisor)
    page = client.post("/supervision/reports", follow_redirects=True).text
    download = re.search(r'href="(/jobs/\d+/download)"', page).group(1)
    with client.get(download) as response:
        names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    words = "ana-startup-evil" if "Startup" in name else "ana-evil"
    assert [n for n in names if n.endswith(".pdf")] == [f"supervision-report-{words}-{trainee.id}.pdf"]


# --- Uploads ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language, words", [("en", "That was too large to send"),
                                             ("es", "Lo enviado es demasiado grande")])
def test_a_file_beyond_the_size_any_request_may_have_gets_the_sites_own_page(client, language, words):
    """A phone's full-resolution scan can pass the largest request the site takes: the answer
    says so in the reader's language, on a page with the way on, not a bare server error."""
    response = client.post("/hours/new", data=b"x" * (12 * 1024 * 1024 + 1),
                           content_type="multipart/form-data; boundary=x", headers={"Accept-Language": language})
    assert response.status_code == 413 and f"<h1>{words}</h1>" in response.text and "site-header" in response.text
