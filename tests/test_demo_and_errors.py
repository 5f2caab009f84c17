"""Demo data, the CLI, error pages, and input that must never cause a 500."""
import pytest

from training.auth.models import SupervisorAssignment, User, user_by_email
from training.courses.models import CourseCompletion, ModuleCompletion, TrainingCredit
from training.demo import load_demo
from training.extensions import db

from .conftest import login


def dated_activity(user):
    """(what, day) of everything a trainee did or was given that carries a date."""
    from training.cohorts.models import Attendance, CohortSession
    from training.credentials.models import Enrolment
    from training.quizzes.models import QuizAttempt
    from training.supervision.models import HourEntry, WellbeingCheckIn

    def days(what, column, *where):
        return [(what, day.date() if hasattr(day, "date") else day) for day in db.session.scalars(
            db.select(column).where(*where))]

    return [
        *days("hour entry", HourEntry.occurred_on, HourEntry.trainee_id == user.id),
        *days("cohort session", CohortSession.starts_at, CohortSession.id == Attendance.session_id,
              Attendance.user_id == user.id),
        *days("module", ModuleCompletion.completed_at, ModuleCompletion.user_id == user.id),
        *days("quiz attempt", QuizAttempt.started_at, QuizAttempt.user_id == user.id),
        *days("course", CourseCompletion.completed_at, CourseCompletion.user_id == user.id),
        *days("training credit", TrainingCredit.credited_at, TrainingCredit.user_id == user.id),
        *days("check-in", WellbeingCheckIn.day, WellbeingCheckIn.user_id == user.id),
        *days("enrolment", Enrolment.started_on, Enrolment.user_id == user.id),
        *days("supervisor assignment", SupervisorAssignment.starts_on, SupervisorAssignment.trainee_id == user.id),
    ]


def test_demo_creates_the_documented_accounts_and_activity(app, course, credentials, client):
    from training.supervision.risk import assess

    load_demo()
    for email in ("admin@example.org", "supervisor@example.org", "trainee@example.org", "ready@example.org"):
        assert user_by_email(email) is not None, email
    trainee, ready = user_by_email("trainee@example.org"), user_by_email("ready@example.org")
    done = db.session.scalar(db.select(db.func.count()).where(ModuleCompletion.user_id == trainee.id))
    assert 0 < done < len(course.active_modules)  # part-way through
    assert db.session.scalar(db.select(CourseCompletion).where(CourseCompletion.user_id == ready.id))
    assert db.session.scalar(db.select(db.func.sum(TrainingCredit.minutes))
                             .where(TrainingCredit.user_id == ready.id)) == course.credited_minutes
    supervised = set(db.session.scalars(db.select(SupervisorAssignment.trainee_id)))
    assert {trainee.id, ready.id} <= supervised
    # Nobody did anything before their programme started, and the trainees said to be fine raise no flag.
    trainees = [u for u in db.session.scalars(db.select(User)) if u.has_role("trainee")]
    for user in trainees:
        early = [(what, day) for what, day in dated_activity(user) if day < user.programme_started_on]
        assert not early, (user.full_name, user.programme_started_on, early)
    flags = {risk.trainee.email: {flag.key for flag in risk.flags} for risk in assess(trainees)}
    assert flags["ready@example.org"] == flags["new.trainee@example.org"] == set()
    # The demo password from the configuration signs in.
    response = client.post("/login", data={"email": "trainee@example.org",
                                           "password": app.config["DEMO_PASSWORD"]})
    assert response.status_code == 302


def test_the_demo_holds_a_certificate_near_expiry_with_its_renewal_under_way(app, course, credentials):
    """Dana's certificate expires in three weeks: the administrators' dashboard counts it among the
    certificates to renew, and her certificates page shows what its renewal still asks. The audit
    log dates the demo's story as it happened, not the moment the demo was loaded."""
    from datetime import date, timedelta

    from training.audit import AuditEvent
    from training.certificates.models import Certificate

    load_demo()
    dana, admin = user_by_email("certified@example.org"), user_by_email("admin@example.org")
    certificate = db.session.scalar(db.select(Certificate).where(Certificate.user_id == dana.id))
    assert certificate.expires_on == date.today() + timedelta(days=21) and certificate.status == "valid"
    password = app.config["DEMO_PASSWORD"]
    dashboard = login(app.test_client(), admin, password).get("/dashboard").text
    assert "1 certificate expires within 60 days and has not been renewed." in dashboard
    page = login(app.test_client(), dana, password).get("/certificates").text
    assert "14 h of 20 h" in page and "Log 4 more hours of continuing education in the category “Ethics”." in page
    issued = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert issued.created_at.date() == certificate.issued_on
    confirmed = db.session.scalars(db.select(AuditEvent.created_at).where(
        AuditEvent.action == "attendance.confirmed")).all()
    assert len(confirmed) == 3 and all(day.date() < date.today() - timedelta(days=6) for day in confirmed)
    load_demo()  # again: nothing more
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


def test_demo_load_is_idempotent(app, course, runner):
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "already there" in second.output
    from training.demo import PEOPLE

    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == len(PEOPLE)
    assert db.session.scalar(db.select(db.func.count()).select_from(CourseCompletion)) == 1


def test_users_create_command_makes_a_first_administrator(app, runner, client):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org", "--name", "Bo Boss",
                                 "--role", "admin", "--role", "supervisor", "--password", "a strong password"])
    assert result.exit_code == 0, result.output
    user = user_by_email("boss@example.org")
    assert user.role_names == {"admin", "supervisor"}
    assert client.post("/login", data={"email": "boss@example.org", "password": "a strong password"}).status_code == 302
    again = runner.invoke(args=["users", "create", "--email", "boss@example.org", "--name", "B",
                                "--password", "a strong password"])
    assert again.exit_code != 0 and "already has an account" in again.output
    weak = runner.invoke(args=["users", "create", "--email", "w@example.org", "--name", "W", "--password", "short"])
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output


def test_users_invite_and_deactivate_commands(app, runner, caplog):
    caplog.set_level("INFO", logger="training.mail")
    result = runner.invoke(args=["users", "invite", "--email", "cli@example.org", "--name", "Cli Person"])
    assert result.exit_code == 0, result.output
    assert any("/invitation/" in r.getMessage() for r in caplog.records)
    result = runner.invoke(args=["users", "deactivate", "--email", "cli@example.org", "--reason", "test"])
    assert result.exit_code == 0 and not user_by_email("cli@example.org").active
    listing = runner.invoke(args=["users", "list"])
    assert "cli@example.org" in listing.output and "deactivated" in listing.output


def test_a_server_error_shows_a_page_in_the_layout_and_rolls_back(app, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        db.session.add(User(email="half@example.org", full_name="Half"))
        db.session.flush()
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text and "Skip to main content" in response.text
    assert user_by_email("half@example.org") is None


def test_a_database_that_went_away_gets_a_clear_503_page_and_nothing_is_saved(app, make_user, login_as):
    """A restart or failover of the database mid-request: a page in the layout that says to retry, no traceback."""
    from sqlalchemy.exc import OperationalError

    person = make_user("ana@example.org")

    @app.get("/database-gone")
    def database_gone():
        db.session.add(User(email="half@example.org", full_name="Half"))
        db.session.flush()
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    response = login_as(person).get("/database-gone")
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "The service is briefly unavailable" in response.text and "it was not saved" in response.text
    assert "Skip to main content" in response.text and "Traceback" not in response.text
    assert user_by_email("half@example.org") is None


def test_a_connection_lost_as_the_page_ends_still_delivers_the_page(app, make_user, login_as, monkeypatch):
    """The database ends the connection after the page is made: the closing ROLLBACK fails, the page arrives."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    client = login_as(make_user("ana@example.org"))
    close, lost = Session.close, []

    def close_on_a_lost_connection(session):
        close(session)
        if not lost:  # the first close is the request's, as it ends
            lost.append(session)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(Session, "close", close_on_a_lost_connection)
    response = client.get("/account")
    assert lost and response.status_code == 200 and "Your account" in response.text
    monkeypatch.setattr(Session, "close", close)
    assert client.get("/account").status_code == 200  # the next request gets a working session


@pytest.mark.parametrize("path", [
    "/admin/people?page=abc", "/admin/people?page=0&role=x&status=y&q=%00",
    "/admin/audit?date_from=31/12/2026&page=-1", "/admin/people/999999", "/admin/people/abc",
    "/courses/%2e%2e", "/admin/audit?person=" + "x" * 5000,
])
def test_odd_admin_input_never_causes_a_server_error(people, path):
    from flask import current_app

    client = current_app.test_client()
    login(client, people["admin"])
    assert client.get(path).status_code < 500


@pytest.mark.parametrize("data", [
    {"email": "x" * 10000 + "@example.org", "password": "p"},
    {"email": ["a@example.org", "b@example.org"], "password": ["x", "y"]},
    {"email": "a@example.org", "password": "p" * 100000},
])
def test_odd_sign_in_input_gets_a_message_not_a_500(client, data):
    response = client.post("/login", data=data)
    assert response.status_code == 200


def test_nul_characters_are_refused_with_a_message(client):
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400 and "cannot be saved" in response.text
    assert client.get("/login?next=%00").status_code == 400


def test_odd_admin_posts_get_messages_not_500s(people, login_as):
    client = login_as(people["admin"])
    tid = people["trainee"].id
    for url, data in [
        (f"/admin/people/{tid}/roles", {"roles": ["x" * 1000]}),
        (f"/admin/people/{tid}/assignments", {"supervisor_id": "abc", "starts_on": "2026-13-45"}),
        (f"/admin/people/{tid}/assignments", {"supervisor_id": "99999", "starts_on": "2026-01-01"}),
        (f"/admin/people/{tid}/deactivate", {"reason": "r" * 5000}),
        ("/admin/assignments/424242/end", {"ends_on": "2026-01-01"}),
        ("/admin/people/invite", {"full_name": "x" * 500, "email": "a@b", "roles": "admin"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, response.status_code)
    assert user_by_email(people["trainee"].email).active
