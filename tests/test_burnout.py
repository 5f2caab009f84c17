"""Burnout signals, wellbeing check-ins, reminders by real SMTP, and dashboards that scale."""
import re
import socket
import time
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from training.auth.models import SupervisorAssignment, User, UserRole
from training.credentials.models import Credential, Enrolment
from training.extensions import db
from training.reminders import ReminderLog, send_reminders
from training.supervision.models import HourEntry, WellbeingCheckIn
from training.supervision.risk import assess

from .conftest import count_statements

TODAY = date.today()


@pytest.fixture
def team(app, people, credentials):
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=TODAY - timedelta(days=400)))
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["other_trainee"],
                                        starts_on=TODAY - timedelta(days=400)))
    db.session.commit()
    return people


def add(trainee, kind, minutes, days_ago, status="approved", **extra):
    entry = HourEntry(trainee_id=trainee.id, kind=kind, minutes=minutes, occurred_on=TODAY - timedelta(days=days_ago),
                      domain="Advocacy", status=status, **extra)
    db.session.add(entry)
    db.session.commit()
    return entry


def flags_of(trainee):
    return {f.key: f for f in assess([trainee])[0].flags}


def started(trainee, days):
    trainee.programme_started_on = TODAY - timedelta(days=days)
    db.session.commit()


def test_no_supervision_for_12_days_in_the_first_months(team):
    trainee = team["trainee"]
    started(trainee, 60)
    add(trainee, "supervision", 60, 12, supervision_format="individual")
    flag = flags_of(trainee)["supervision_overdue"]
    assert flag.level == "attention"
    assert flag.reason == "No supervision logged for 12 days; during the first 6 months it is expected weekly."


def test_supervision_is_expected_monthly_after_the_first_months(team):
    trainee = team["trainee"]
    started(trainee, 300)
    add(trainee, "supervision", 60, 20, supervision_format="individual")
    assert "supervision_overdue" not in flags_of(trainee)
    add(trainee, "service", 60, 1)
    db.session.execute(db.delete(HourEntry).where(HourEntry.kind == "supervision"))
    add(trainee, "supervision", 60, 70, supervision_format="individual")
    flag = flags_of(trainee)["supervision_overdue"]
    assert flag.level == "at_risk" and "70 days" in flag.reason and "monthly" in flag.reason


@pytest.mark.config(BURNOUT_SUPERVISION_DAYS_EARLY=3)
def test_thresholds_are_settings(team):
    trainee = team["trainee"]
    started(trainee, 30)
    add(trainee, "supervision", 60, 5, supervision_format="individual")
    assert "5 days" in flags_of(trainee)["supervision_overdue"].reason


def test_supervision_ratio_below_one_in_twenty(team):
    trainee = team["trainee"]
    started(trainee, 300)
    add(trainee, "supervision", 60, 3, supervision_format="individual")
    for day in range(5):
        add(trainee, "service", 6 * 60, 40 + day)
    flag = flags_of(trainee)["supervision_ratio"]
    assert flag.level == "attention" and "1 hours of supervision for 30 hours" in flag.reason
    for day in range(4):
        add(trainee, "service", 5 * 60, 50 + day)
    assert flags_of(trainee)["supervision_ratio"].level == "at_risk"
    add(trainee, "supervision", 120, 4, supervision_format="group")
    assert "supervision_ratio" not in flags_of(trainee)


def test_a_week_over_the_service_cap(team):
    trainee = team["trainee"]
    started(trainee, 300)
    add(trainee, "supervision", 60 * 10, 2, supervision_format="individual")
    monday = TODAY - timedelta(days=TODAY.weekday() + 7)
    for day in range(5):
        entry = add(trainee, "service", 9 * 60, 0)
        entry.occurred_on = monday + timedelta(days=day)
    db.session.commit()
    flag = flags_of(trainee)["weekly_cap"]
    assert flag.level == "attention" and "45 hours of peer support work in the week of" in flag.reason
    assert "the cap is 40 hours a week" in flag.reason


def test_entries_waiting_more_than_14_days(team):
    trainee = team["trainee"]
    started(trainee, 300)
    add(trainee, "supervision", 60, 2, supervision_format="individual")
    entry = add(trainee, "service", 60, 20, status="pending")
    from training.db_types import utcnow

    entry.submitted_at = utcnow() - timedelta(days=16)
    db.session.commit()
    flag = flags_of(trainee)["pending_too_long"]
    assert "1 hour entry waiting for approval, the oldest for 16 days" in flag.reason


def _checkins(trainee, scores):
    for offset, value in enumerate(scores):  # newest first
        db.session.add(WellbeingCheckIn(user_id=trainee.id, day=TODAY - timedelta(days=offset), energy=value,
                                        stress=6 - value, workload=6 - value, supported=value, rest=value))
    db.session.commit()


def test_a_falling_wellbeing_trend_shows_only_with_consent(team, login_as):
    trainee = team["trainee"]
    started(trainee, 300)
    add(trainee, "supervision", 60, 2, supervision_format="individual")
    _checkins(trainee, [2, 2, 3, 4, 4, 4])
    assert "wellbeing_falling" not in flags_of(trainee)
    supervisor = login_as(team["supervisor"])
    assert "Wellbeing check-ins have fallen" not in supervisor.get("/supervision").text
    assert "Wellbeing check-ins have fallen" in login_as(trainee).get("/progress").text  # the trainee sees it
    trainee.wellbeing_shared = True
    db.session.commit()
    flag = flags_of(trainee)["wellbeing_falling"]
    assert flag.level == "at_risk" and "fallen by 1.7 points" in flag.reason
    page = supervisor.get("/supervision").text
    assert "Wellbeing check-ins have fallen" in page
    assert "Energy" not in page  # never the answers themselves


def test_supervisees_are_sorted_by_risk_with_reasons(team, login_as):
    fine, overdue = team["other_trainee"], team["trainee"]
    started(fine, 300)
    started(overdue, 60)
    add(fine, "supervision", 60, 3, supervision_format="individual")
    add(overdue, "supervision", 60, 20, supervision_format="individual")
    page = login_as(team["supervisor"]).get("/supervision").text
    assert page.index(overdue.full_name) < page.index(fine.full_name)
    assert "No supervision logged for 20 days" in page and "All fine" in page


def test_trainees_see_their_own_flags_with_a_next_step(team, login_as):
    started(team["trainee"], 60)
    add(team["trainee"], "supervision", 60, 12, supervision_format="individual")
    page = login_as(team["trainee"]).get("/dashboard").text
    assert "No supervision logged for 12 days" in page and "Book a supervision session" in page


def test_a_trainee_sees_the_supervision_frequency_of_their_credential_as_their_supervisor_does(team, login_as):
    """The dashboard reads the frequency from the trainee's evaluations, not a second time."""
    from training.credentials.models import Credential
    from training.credentials.services import enrol

    trainee = team["trainee"]
    started(trainee, 300)  # past the settings' first six months: monthly would be expected
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    enrol(team["admin"], trainee, state, TODAY - timedelta(days=60))  # weekly, in its first months
    add(trainee, "supervision", 60, 20, supervision_format="individual")
    supervisor_sees = flags_of(trainee)["supervision_overdue"].reason
    assert "20 days" in supervisor_sees and "weekly" in supervisor_sees
    client = login_as(trainee)
    with count_statements() as statements:
        page = client.get("/dashboard").text
    assert "No supervision logged for 20 days" in page and "expected weekly" in page
    assert "Book a supervision session" in page
    for table in ("enrolment", "training_credit", "credential"):
        assert sum(bool(re.search(rf"\bFROM {table}\b", s)) for s in statements) == 1, table


# --- Wellbeing check-in -------------------------------------------------------------------------------

ANSWERS = {"energy": "4", "stress": "2", "workload": "3", "supported": "5", "rest": "4"}


def test_check_in_once_a_day_privately(team, login_as):
    client = login_as(team["trainee"])
    page = client.get("/wellbeing").text
    assert "self-check, not a diagnosis" in page and "emergency number" in page
    assert client.post("/wellbeing", data=ANSWERS).status_code == 302
    again = client.post("/wellbeing", data=ANSWERS, follow_redirects=True)
    assert "already checked in today" in again.text
    assert db.session.scalar(db.select(db.func.count()).select_from(WellbeingCheckIn)) == 1
    assert "4.0" in client.get("/wellbeing").text  # the day's score in the trend table


@pytest.mark.parametrize("answers", [{**ANSWERS, "stress": "6"}, {**ANSWERS, "rest": ""}, {"energy": "x"}])
def test_check_in_answers_outside_the_scale_are_refused(team, login_as, answers):
    response = login_as(team["trainee"]).post("/wellbeing", data=answers)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(WellbeingCheckIn)) == 0


@pytest.mark.parametrize("locale, answers, message", [
    ("en", {**ANSWERS, "energy": "6"}, "Choose how much energy you have had today, from 1 to 5."),
    ("en", {**ANSWERS, "rest": "very"}, "Choose how well you have been resting and sleeping, from 1 to 5."),
    ("es", {**ANSWERS, "workload": "0"}, "Elija qué tan pesada ha sentido su carga de trabajo, del 1 al 5."),
])
def test_a_check_in_answer_not_offered_is_refused_naming_its_question(team, login_as, locale, answers, message):
    """A value sent by hand is refused beside its question, saying which answer to give."""
    team["trainee"].locale = locale
    db.session.commit()
    response = login_as(team["trainee"]).post("/wellbeing", data=answers)
    assert response.status_code == 400
    assert message in response.text and "Not a valid choice" not in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(WellbeingCheckIn)) == 0


def test_sharing_switch_is_the_trainees_and_audited(team, login_as):
    client = login_as(team["trainee"])
    client.post("/wellbeing/sharing", data={"shared": "y"})
    assert db.session.get(User, team["trainee"].id).wellbeing_shared
    client.post("/wellbeing/sharing", data={})
    assert not db.session.get(User, team["trainee"].id).wellbeing_shared
    assert login_as(team["supervisor"]).post("/wellbeing/sharing", data={"shared": "y"}).status_code == 403


# --- Reminders through a real SMTP server -------------------------------------------------------------

@contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_reminders_arrive_by_smtp_once_per_period(app, team):
    trainee = team["trainee"]
    started(trainee, 60)
    add(trainee, "supervision", 60, 12, supervision_format="individual")
    add(team["other_trainee"], "service", 60, 1, status="pending")
    with smtp_server() as (port, inbox):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
        first = send_reminders()
        second = send_reminders()
        deadline = time.time() + 5
        while len(inbox.messages) < 2 and time.time() < deadline:
            time.sleep(0.05)
    assert first == {"supervisor_digest": 1, "supervision_overdue": 1, "certificate_expiry": 0}
    assert second == {"supervisor_digest": 0, "supervision_overdue": 0, "certificate_expiry": 0}
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["supervisor@example.org", "trainee@example.org"]
    digest = next(body for rcpts, body in inbox.messages if rcpts == ["supervisor@example.org"])
    assert "1 hour entry is waiting for your review" in digest and "No supervision logged for 12 days" in digest
    assert db.session.scalar(db.select(db.func.count()).select_from(ReminderLog)) == 2


def test_reminders_command(runner, team, caplog):
    caplog.set_level("INFO", logger="training.mail")
    started(team["trainee"], 60)
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "1 overdue-supervision reminder," in result.output


# --- Dashboards stay within a fixed number of SQL statements -----------------------------------------



def _add_supervisees(supervisor, count, start):
    from training.auth.services import hash_password

    password = hash_password("a-long-test-password")
    ids = []
    for n in range(count):
        user = User(email=f"bulk{start + n}@example.org", full_name=f"Bulk {start + n}", password_hash=password,
                    programme_started_on=TODAY - timedelta(days=100 + n))
        db.session.add(user)
        ids.append(user)
    db.session.flush()
    db.session.execute(insert(UserRole), [{"user_id": u.id, "role": "trainee"} for u in ids])
    db.session.execute(insert(SupervisorAssignment), [
        {"supervisor_id": supervisor.id, "trainee_id": u.id, "starts_on": TODAY - timedelta(days=90)} for u in ids])
    # Enrolled, as every trainee of a programme is: their credential's rules are read for the signals.
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    db.session.execute(insert(Enrolment), [
        {"user_id": u.id, "credential_id": credential.id, "started_on": TODAY - timedelta(days=90)} for u in ids])
    db.session.commit()
    return [u.id for u in ids]


def _add_entries(trainee_ids, count):
    rows = [{"trainee_id": trainee_ids[n % len(trainee_ids)], "kind": ("service", "supervision", "training")[n % 3],
             "occurred_on": TODAY - timedelta(days=n % 180), "minutes": 60 + 15 * (n % 8), "domain": "Advocacy",
             "status": ("approved", "pending", "approved", "returned")[n % 4],
             "supervision_format": "individual" if n % 3 == 1 else None} for n in range(count)]
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(HourEntry), rows[chunk:chunk + 5000])
    db.session.commit()


def test_dashboards_use_a_fixed_number_of_statements(app, team, login_as, course):
    supervisor, trainee = team["supervisor"], team["trainee"]
    ids = _add_supervisees(supervisor, 1, 0) + [trainee.id, team["other_trainee"].id]
    _add_entries(ids, 10)
    as_supervisor, as_trainee = login_as(supervisor), login_as(trainee)
    measured = {}
    for label in ("small", "large"):
        with count_statements() as supervisor_dashboard:
            assert as_supervisor.get("/dashboard").status_code == 200
        with count_statements() as supervisees_page:
            assert as_supervisor.get("/supervision").status_code == 200
        with count_statements() as trainee_dashboard:
            assert as_trainee.get("/dashboard").status_code == 200
        with count_statements() as trainee_progress:
            assert as_trainee.get("/progress").status_code == 200
        measured[label] = (len(supervisor_dashboard), len(supervisees_page), len(trainee_dashboard),
                           len(trainee_progress))
        if label == "small":  # from 3 supervisees and 10 entries to 300 and 3,000
            ids += _add_supervisees(supervisor, 297, 1)
            _add_entries(ids, 3_000 - 10)
    assert measured["small"] == measured["large"], measured
    with count_statements() as trainee_dashboard:  # completions are read with the credential's facts, once
        assert as_trainee.get("/dashboard").status_code == 200
    assert sum("FROM course_completion" in s for s in trainee_dashboard) == 1, trainee_dashboard
    # 300 supervisees come 25 to a page, the most at risk first; each is on exactly one page.
    first = as_supervisor.get("/supervision").text
    assert "Page 1 of 12 (300 supervisees)" in first and first.count('class="risk-card') == 25
    pages = [first] + [as_supervisor.get(f"/supervision?page={n}").text for n in range(2, 13)]
    assert sum("Bulk 150<" in page for page in pages) == 1
    assert "Page 12 of 12" in as_supervisor.get("/supervision?page=99").text
    # The dashboard shows the ten most at risk, the same ten the first page starts with.
    dashboard = as_supervisor.get("/dashboard").text
    assert dashboard.count('class="risk-card') == 10 and "All 300 supervisees, sorted by risk" in dashboard
    assert re.findall(r'/supervisees/(\d+)"', dashboard)[:10] == re.findall(
        r'/supervisees/(\d+)"', first)[:10]
