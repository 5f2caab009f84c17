"""Live training cohorts: set-up, enrolment, check-in codes, attendance that credits hours,
corrections, make-up sessions, records, calendar feeds, reminders and training certificates."""
import csv
import hashlib
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from flask_babel import force_locale, gettext
from icalendar import Calendar
from pypdf import PdfReader

from training.audit import AuditEvent
from training.cohorts.models import Attendance, Cohort, CohortMember, CohortSession, LiveTraining
from training.cohorts.services import (
    CohortError,
    check_in,
    code_for,
    confirm,
    credit_for,
    current_code,
    local,
    mark,
    member_of,
    split_quarters,
)
from training.credentials.evaluation import evaluate_one
from training.credentials.models import Credential
from training.db_types import utcnow
from training.extensions import db
from training.supervision.models import HourEntry
from training.templating import format_date

from .conftest import ROOT, count_statements, login, mailed_links

ADVOCACY, MENTORING, ETHICS = "Advocacy", "Mentoring/Education", "Ethical Responsibility"
# Days inside the test cohorts' dates (from 30 days ago to 30 days ahead).
SOON, LATER = (date.today() + timedelta(days=2)).isoformat(), (date.today() + timedelta(days=3)).isoformat()


# --- Partial attendance in quarter hours ------------------------------------------------------------

@pytest.mark.parametrize("credits, attended, length, expected", [
    ({ADVOCACY: 180}, 180, 180, {ADVOCACY: 180}),                       # full attendance
    ({ADVOCACY: 180}, 120, 180, {ADVOCACY: 120}),                       # left an hour early
    ({ADVOCACY: 180}, 130, 180, {ADVOCACY: 120}),                       # rounded down to a quarter hour
    ({ADVOCACY: 120, ETHICS: 60}, 120, 180, {ADVOCACY: 75, ETHICS: 45}),  # spread, largest remainder first
    ({ADVOCACY: 90, ETHICS: 90}, 170, 210, {ADVOCACY: 75, ETHICS: 60}),   # longer than it credits; ties by name
    ({ADVOCACY: 180}, 10, 180, {}),                                     # less than a quarter hour credits nothing
])
def test_partial_attendance_credits_quarter_hours_that_add_up(credits, attended, length, expected):
    parts = split_quarters(credits, attended, length)
    assert parts == expected
    assert all(m % 15 == 0 for m in parts.values())
    assert sum(parts.values()) == (sum(credits.values()) * min(attended, length) // length) // 15 * 15


# --- Fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def credential(app, credentials):
    return db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))


@pytest.fixture
def trainer(make_user):
    return make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer")


@pytest.fixture
def live(app, credential):
    """The live trainings shipped in trainings/, loaded."""
    from training.cohorts.loader import sync_trainings

    sync_trainings(ROOT / "trainings")
    return db.session.scalar(db.select(LiveTraining).where(LiveTraining.slug == "ethics-in-peer-work"))


def _cohort(trainer, people, credential, sessions, **values):
    """A cohort with ``sessions`` as (start offset from now, hours, credits) and both trainees enrolled."""
    live = LiveTraining(slug=values.pop("slug", f"t{len(sessions)}"), title="Core skills", sessions=[])
    cohort = Cohort(title=values.pop("title", "Evening cohort"), live_training=live, credential=credential,
                    starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=30),
                    delivery="in_person", address="Room 2, 14 Mill Lane", capacity=values.pop("capacity", 10),
                    **values)
    db.session.add(cohort)
    db.session.flush()
    from training.cohorts.models import CohortTrainer

    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    now = utcnow().replace(microsecond=0)
    for offset, hours, credits in sessions:
        db.session.add(CohortSession(cohort=cohort, topic=f"Session at {offset}", starts_at=now + offset,
                                     ends_at=now + offset + timedelta(hours=hours), credits=credits,
                                     checkin_secret=f"{offset}".ljust(64, "x")))
    for person in ("trainee", "other_trainee"):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=people[person].id, status="enrolled"))
    db.session.commit()
    return cohort


@pytest.fixture
def running(people, trainer, credential):
    """A cohort whose first session started 30 minutes ago and runs three hours."""
    return _cohort(trainer, people, credential, [
        (timedelta(minutes=-30), 3, {ADVOCACY: 120, ETHICS: 60}),
        (timedelta(days=1), 3, {MENTORING: 180}),
    ])


def training_minutes(trainee):
    evaluation = evaluate_one(trainee)
    return {i.key.split(":", 1)[1]: i.minutes_done for i in evaluation.items if i.key.startswith("training:")}


# --- The journey, through the pages -------------------------------------------------------------------

def _midday_zone():
    """A fixed-offset zone where it is about noon now, so a three-hour session never crosses midnight."""
    offset = 12 - datetime.now(UTC).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.mark.config(TIMEZONE=_midday_zone())
def test_a_cohort_of_three_sessions_from_creation_to_credited_hours_and_the_report(
        app, people, trainer, credential, course, login_as):
    """An administrator creates a cohort and its sessions and enrols two trainees; one checks in
    with the code the trainer shows, the other is marked as leaving an hour early; the trainer
    confirms; both trainees' training hours rise in the right domains, and the report shows it."""
    admin = login_as(people["admin"])
    page = admin.get("/cohorts/new")
    assert f"Course: {course.title}" in page.text and "Tia Trainer" in page.text
    today = date.today()
    response = admin.post("/cohorts/new", data={
        "title": "Spring cohort", "training": f"course:{course.id}", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=14)).isoformat(), "delivery": "online",
        "meeting_url": "https://meet.example.org/spring", "capacity": "10", "trainers": [str(trainer.id)]})
    assert response.status_code == 302
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.title == "Spring cohort"))
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(app.config["TIMEZONE"]))
    start = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    assert 8 <= start.hour <= 14
    for index, (topic, credits) in enumerate([("Advocacy in practice", {"credit_0": "2", "credit_3": "1"}),
                                              ("Mentoring", {"credit_1": "3"}), ("Ethics", {"credit_3": "3"})]):
        day_start = start + timedelta(days=7 * index)
        response = admin.post(f"/cohorts/{cohort.id}/sessions/new", data={
            "topic": topic, "day": day_start.date().isoformat(), "start": day_start.strftime("%H:%M"),
            "end": (day_start + timedelta(hours=3)).strftime("%H:%M"), "makeup_of_id": "0", **credits})
        assert response.status_code == 302, response.text
    for person in ("trainee", "other_trainee"):
        response = admin.post(f"/cohorts/{cohort.id}/members", data={"email": people[person].email,
                                                                     "action": "enrol"}, follow_redirects=True)
        assert f"{people[person].full_name} is enrolled." in response.text
    first = cohort.sessions[0]

    trainer_client = login_as(trainer)
    code_page = trainer_client.get(f"/cohorts/sessions/{first.id}/code")
    shown = re.search(r'id="code-digits">(\d{3}) (\d{3})<', code_page.text)
    assert shown and "<svg" in code_page.text
    # The QR code scales with its box (a viewBox, no fixed size): large and centred on a projector.
    svg = re.search(r"<svg[^>]*>", code_page.text).group(0)
    assert "viewBox=" in svg and "width=" not in svg and "height=" not in svg
    trainee = login_as(people["trainee"])
    response = trainee.post(f"/cohorts/sessions/{first.id}/check-in", data={"code": "".join(shown.groups())},
                            follow_redirects=True)
    assert "You are checked in" in response.text
    roster = trainer_client.get(f"/cohorts/sessions/{first.id}/attendance").text
    assert "Checked in" in roster
    other = people["other_trainee"]
    response = trainer_client.post(f"/cohorts/sessions/{first.id}/attendance", data={
        f"status_{other.id}": "left_early", f"missed_{other.id}": "60"})
    assert response.status_code == 302
    response = trainer_client.post(f"/cohorts/sessions/{first.id}/confirm", data={"signed_name": "Tia Trainer"},
                                   follow_redirects=True)
    assert "training hours credited to 2 trainees" in response.text

    assert training_minutes(people["trainee"])[ADVOCACY] == 120
    assert training_minutes(people["trainee"])[ETHICS] == 60
    # Two of three hours attended: 2 of the 3 credited hours, spread 1.25 / 0.75.
    assert training_minutes(other)[ADVOCACY] == 75
    assert training_minutes(other)[ETHICS] == 45
    entries = db.session.scalars(db.select(HourEntry).where(HourEntry.trainee_id == other.id)).all()
    assert {(e.kind, e.status, e.signed_name, e.supervisor_id) for e in entries} == {
        ("training", "approved", "Tia Trainer", trainer.id)}
    assert all(len(e.signature_hash) == 64 and e.attendance_id for e in entries)
    hours_page = login_as(other).get("/hours").text
    assert "Signed by Tia Trainer" in hours_page

    report = trainer_client.get(f"/cohorts/{cohort.id}/attendance.csv")
    rows = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    header, by_name = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name[other.full_name][f"{ADVOCACY} (hours)"] == "1.25"
    assert by_name[other.full_name]["Total hours"] == "2"
    assert by_name[people["trainee"].full_name]["Total hours"] == "3"
    assert any("Advocacy in practice" in h for h in header)
    assert "Left early (60 min missed)" in by_name[other.full_name].values()
    pdf = trainer_client.get(f"/cohorts/{cohort.id}/attendance.pdf")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Attendance report" in text and other.full_name in text and "1.25" in text


# --- Check-in codes ------------------------------------------------------------------------------------

def test_the_code_rotates_every_minute_and_a_code_seen_a_minute_later_fails(running, people):
    session = running.sessions[0]
    now = (session.starts_at + timedelta(minutes=20)).replace(second=5)
    shown, seconds = current_code(session, now)
    assert shown and 0 < seconds <= 60
    later = now + timedelta(minutes=1, seconds=30)
    assert current_code(session, later)[0] != shown
    with pytest.raises(CohortError, match="not the one on the screen"):
        check_in(people["trainee"], session, shown, now=later)
    assert db.session.scalar(db.select(Attendance)) is None
    # Typed a few seconds after the minute turned, the code on screen a moment ago still works.
    attendance = check_in(people["trainee"], session, shown, now=now + timedelta(seconds=62))
    assert attendance.status == "late" and attendance.minutes_missed == 30


def test_checking_in_late_keeps_the_trainers_mark_and_notes_the_time(running, people, trainer):
    """A trainer who marked someone there already decided: a check-in afterwards is noted beside
    the mark and changes nothing. Marked absent before they arrived, the check-in counts."""
    session = running.sessions[0]
    now = (session.starts_at + timedelta(minutes=50)).replace(second=5)
    mark(trainer, session, people["trainee"], "present")
    mark(trainer, session, people["other_trainee"], "absent")
    db.session.commit()
    kept = check_in(people["trainee"], session, current_code(session, now)[0], now=now)
    assert (kept.status, kept.minutes_missed, kept.checked_in_at) == ("present", 0, now)
    arrived = check_in(people["other_trainee"], session, current_code(session, now)[0], now=now)
    assert (arrived.status, arrived.minutes_missed) == ("late", 60)


def test_a_code_works_only_for_enrolled_trainees_of_that_session_while_it_runs(running, people, make_user):
    session, tomorrow = running.sessions
    now = utcnow()
    code = code_for(session, int(now.timestamp() // 60))
    stranger = make_user("stranger@example.org", name="Stella Stranger")
    with pytest.raises(CohortError, match="not enrolled"):
        check_in(stranger, session, code, now=now)
    tomorrow_code = code_for(tomorrow, int(now.timestamp() // 60))
    with pytest.raises(CohortError, match="only during the session"):
        check_in(people["trainee"], tomorrow, tomorrow_code, now=now)
    with pytest.raises(CohortError, match="not the one on the screen"):
        check_in(people["trainee"], session, tomorrow_code if tomorrow_code != code else "000000", now=now)
    with pytest.raises(CohortError, match="only during the session"):
        check_in(people["trainee"], session, code_for(session, int((session.ends_at.timestamp() + 60) // 60)),
                 now=session.ends_at + timedelta(minutes=1))


def test_check_in_page_says_what_is_wrong_next_to_the_field(running, people, login_as):
    client = login_as(people["trainee"])
    response = client.post(f"/cohorts/sessions/{running.sessions[0].id}/check-in", data={"code": "12"})
    assert response.status_code == 400
    assert 'id="code-error"' in response.text and "changes every minute" in response.text
    assert db.session.scalar(db.select(Attendance)) is None


@pytest.mark.parametrize("typed", ["12", "12ab56", "1234567", "12.34.56"])
def test_a_check_in_code_in_the_wrong_shape_is_told_what_a_code_looks_like(running, people, login_as, typed):
    """Too few digits, letters or a seventh digit: the message beside the field says what a code
    looks like, rather than that it is not the code on the screen."""
    client = login_as(people["trainee"])
    response = client.post(f"/cohorts/sessions/{running.sessions[0].id}/check-in", data={"code": typed})
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="code-error">([^<]*)</p>', response.text)
    assert error and error.group(1) == ("A check-in code is six digits, such as 482 019. Enter the six digits "
                                        "on your trainer’s screen.")
    assert 'href="#code"' in response.text
    assert db.session.scalar(db.select(Attendance)) is None


def test_a_check_in_code_typed_in_two_groups_is_read_as_its_six_digits(running, people, login_as):
    session = running.sessions[0]
    client = login_as(people["trainee"])
    wrong = client.post(f"/cohorts/sessions/{session.id}/check-in", data={"code": "000 000"})
    if "You are checked in" not in wrong.text:  # one chance in a million that 000000 is the code now
        assert wrong.status_code == 400 and "is not the one on the screen now" in wrong.text
    code, _seconds = current_code(session)
    response = client.post(f"/cohorts/sessions/{session.id}/check-in", data={"code": f"{code[:3]} {code[3:]}"},
                           follow_redirects=True)
    assert "You are checked in" in response.text


def test_check_in_after_the_trainer_confirmed_says_so_not_that_the_session_is_over(running, people, trainer,
                                                                                   login_as):
    session = running.sessions[0]
    confirm(trainer, session, "Tia Trainer")
    page = login_as(people["trainee"]).get(f"/cohorts/sessions/{session.id}/check-in").text
    assert "Attendance at this session is already confirmed. Ask your trainer." in page
    assert "Check-in is open only during the session" not in page


# --- Confirmation and corrections ---------------------------------------------------------------------

def test_confirming_needs_the_trainers_typed_name_and_credits_nothing_otherwise(running, people, trainer):
    session = running.sessions[0]
    with pytest.raises(CohortError, match="Tia Trainer") as error:
        confirm(trainer, session, "Someone Else")
    assert error.value.field == "signed_name"
    db.session.rollback()
    assert db.session.scalar(db.select(HourEntry)) is None
    assert session.confirmed_at is None
    with pytest.raises(CohortError, match="once the session has started"):
        confirm(trainer, running.sessions[1], "Tia Trainer")


def test_a_signature_typed_in_another_case_records_the_name_as_the_account_writes_it(running, people, trainer):
    """Typed on a phone without capitals, the signature is accepted; the sign-in sheet, the roster and
    the credited hours all say who signed as their account names them."""
    session = running.sessions[0]
    mark(trainer, session, people["trainee"], "present")
    confirm(trainer, session, "  tia   TRAINER ")
    assert session.signed_name == "Tia Trainer"
    assert {e.signed_name for e in db.session.scalars(db.select(HourEntry))} == {"Tia Trainer"}


def test_saving_a_roster_with_nobody_marked_says_nothing_was_saved(running, trainer, login_as):
    page = login_as(trainer).post(f"/cohorts/sessions/{running.sessions[0].id}/attendance",
                                  data={"action": "save"}, follow_redirects=True).text
    assert "Nobody was marked, so nothing was saved." in page and "Attendance saved." not in page


def test_minutes_missed_beyond_the_session_are_refused_naming_the_trainee(running, people, trainer, login_as):
    session, other = running.sessions[0], people["other_trainee"]
    response = login_as(trainer).post(f"/cohorts/sessions/{session.id}/attendance", data={
        f"status_{other.id}": "late", f"missed_{other.id}": "200", "action": "save"})
    assert response.status_code == 400
    problem = "Enter minutes from 0 to 180, the length of the session."
    assert f"Minutes missed by {other.full_name}: {problem}" in response.text  # in the list at the top
    assert f'<p class="error" id="missed_{other.id}-error">{problem}</p>' in response.text  # and beside the field
    assert db.session.scalar(db.select(db.func.count()).select_from(Attendance).where(
        Attendance.session_id == session.id)) == 0


def test_confirming_saves_the_marks_on_the_page_with_it(running, people, trainer, login_as):
    """The roster and its confirmation are one form: a trainer who marks everyone and confirms without
    saving first credits what they marked. A refused signature keeps the marks, saved, on the page."""
    session, trainee, other = running.sessions[0], people["trainee"], people["other_trainee"]
    client = login_as(trainer)
    page = client.get(f"/cohorts/sessions/{session.id}/attendance").text
    assert page.count("<form") == page.count('<form method="post" action="/language"') + \
        page.count('action="/logout"') + 1  # the roster, its signature and both buttons: one form
    marks = {f"status_{trainee.id}": "present", f"status_{other.id}": "late", f"missed_{other.id}": "30"}

    refused = client.post(f"/cohorts/sessions/{session.id}/attendance",
                          data={**marks, "action": "confirm", "signed_name": "Someone Else"})
    assert refused.status_code == 400 and "to sign" in refused.text
    db.session.expire_all()
    assert db.session.get(CohortSession, session.id).confirmed_at is None
    saved = db.session.scalars(db.select(Attendance).where(Attendance.session_id == session.id))
    assert {a.user_id: (a.status, a.minutes_missed) for a in saved} == {
        trainee.id: ("present", 0), other.id: ("late", 30)}
    assert re.search(rf'value="present"[^>]*checked[^>]*name="status_{trainee.id}"|'
                     rf'name="status_{trainee.id}"[^>]*value="present"[^>]*checked|'
                     rf'checked[^>]*name="status_{trainee.id}"[^>]*value="present"', refused.text)

    done = client.post(f"/cohorts/sessions/{session.id}/attendance",
                       data={**marks, "action": "confirm", "signed_name": "Tia Trainer"}, follow_redirects=True)
    assert "training hours credited to 2 trainees" in done.text
    db.session.expire_all()
    assert db.session.get(CohortSession, session.id).confirmed_at is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry).where(
        HourEntry.trainee_id == other.id, HourEntry.status == "approved")) > 0


def test_changing_confirmed_attendance_updates_exactly_that_entry_and_is_audited(running, people, trainer):
    session = running.sessions[0]
    mark(trainer, session, people["trainee"], "present")
    mark(trainer, session, people["other_trainee"], "present")
    confirm(trainer, session, "Tia Trainer")
    others = {(e.id, e.minutes) for e in db.session.scalars(db.select(HourEntry).where(
        HourEntry.trainee_id == people["other_trainee"].id))}
    before = {e.domain: e.id for e in db.session.scalars(db.select(HourEntry).where(
        HourEntry.trainee_id == people["trainee"].id))}

    with pytest.raises(CohortError, match="to sign"):
        mark(trainer, session, people["trainee"], "left_early", 90)
    db.session.rollback()
    mark(trainer, session, people["trainee"], "left_early", 90, signed_name="tia  trainer")
    db.session.commit()
    after = {e.domain: (e.id, e.minutes) for e in db.session.scalars(db.select(HourEntry).where(
        HourEntry.trainee_id == people["trainee"].id))}
    assert after == {ADVOCACY: (before[ADVOCACY], 60), ETHICS: (before[ETHICS], 30)}
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "attendance.changed"))
    assert event.subject_id == people["trainee"].id and event.details["hours"][ADVOCACY] == "2 -> 1"

    mark(trainer, session, people["trainee"], "excused", signed_name="Tia Trainer")
    db.session.commit()
    assert db.session.scalar(db.select(HourEntry).where(HourEntry.trainee_id == people["trainee"].id)) is None
    assert {(e.id, e.minutes) for e in db.session.scalars(db.select(HourEntry).where(
        HourEntry.trainee_id == people["other_trainee"].id))} == others


def test_the_audit_log_shows_attendance_marks_in_the_readers_words(running, people, trainer, login_as):
    session = running.sessions[0]
    mark(trainer, session, people["trainee"], "present")
    mark(trainer, session, people["trainee"], "left_early", 60)
    db.session.commit()
    admin = login_as(people["admin"])
    with count_statements() as statements:
        page = admin.get("/admin/audit?action=attendance.marked").text
    assert not [s for s in statements if "cohort_trainer" in s]  # the session's cohort, without its trainers
    assert "<strong>before</strong>: Present</span>" in page
    assert "<strong>after</strong>: Left early (60 min missed)</span>" in page
    assert "left_early" not in page
    assert f"<strong>session</strong>: {session.topic}</span>" in page  # its topic, not its id
    confirm(trainer, session, "Tia Trainer")
    confirmed = admin.get("/admin/audit?action=attendance.confirmed").text
    assert f"<strong>cohort</strong>: {session.cohort.title}</span>" in confirmed
    # A supervision event's session is a supervision session, whatever its id: it is not named as a live one.
    from training import audit

    audit.record("supervision.logged", actor=people["supervisor"], session=session.id, minutes=60)
    db.session.commit()
    logged = admin.get("/admin/audit?action=supervision.logged").text
    assert f"<strong>session</strong>: {session.id}</span>" in logged and session.topic not in logged
    people["admin"].locale = "es"
    db.session.commit()
    spanish = admin.get("/admin/audit?action=attendance.marked").text
    with force_locale("es"):
        words = f"{gettext('Left early')} {gettext('(%(minutes)s min missed)', minutes=60)}"
    assert words in spanish and words.startswith("Salió temprano")


def test_the_audit_log_gives_a_live_trainings_title_and_topics_in_the_readers_language(
        app, people, trainer, live, login_as):
    admin = login_as(people["admin"])
    admin.post("/cohorts/new", data={
        "title": "Ethics refresher", "training": f"live:{live.id}", "starts_on": "2027-03-01", "ends_on": "2027-03-01",
        "first_start": "18:30", "days_between": "7", "delivery": "in_person", "address": "Room 2",
        "capacity": "8", "trainers": [str(trainer.id)]})
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.title == "Ethics refresher"))
    last = cohort.sessions[-1]
    assert login_as(trainer).post(f"/cohorts/sessions/{last.id}/remove").status_code == 302
    people["admin"].locale = "es"
    db.session.commit()
    spanish = admin.get("/admin/audit").text
    words = live.words("es")
    assert f"<strong>capacitación</strong>: {words['title']}</span>" in spanish
    assert live.title not in spanish
    assert f"<strong>tema</strong>: {words['topics'][-1]}</span>" in spanish
    # The removed session's start, in the programme's clock as Spanish writes it, not as stored.
    assert "2027-03-15T" not in spanish and "15 de marzo de 2027, 18:30 UTC" in spanish


def test_unmarked_trainees_are_absent_on_confirmation_and_shown_at_risk(running, people, trainer, login_as):
    session = running.sessions[0]
    mark(trainer, session, people["trainee"], "present")
    credited = confirm(trainer, session, "Tia Trainer")
    assert credited[people["other_trainee"].email] == {}
    page = login_as(trainer).get("/dashboard").text
    assert "At risk of not completing" in page and "Otto Other: missed 1 session" in page
    assert "Attendance rate: 50%" in page


def _row_of(page, text):
    """The table row of ``page`` that holds ``text``."""
    return re.search(rf"<tr>(?:(?!</tr>).)*?{re.escape(text)}.*?</tr>", page, re.S).group(0)


def test_a_trainees_cohort_page_shows_what_a_late_arrival_credited_not_the_full_credit(running, people, trainer,
                                                                                         login_as):
    """An hour late to a three-hour session credits two of its three hours: the trainee's page shows
    those two hours, and the mark with the time missed, beside the full credit a whole attendance
    would have given."""
    session, trainee = running.sessions[0], people["trainee"]
    mark(trainer, session, trainee, "late", 60)
    mark(trainer, session, people["other_trainee"], "absent")
    confirm(trainer, session, "Tia Trainer")
    page = login_as(trainee).get(f"/cohorts/{running.id}").text
    row = _row_of(page, session.topic)
    credits = re.search(r'data-label="Credits">(.*?)</td>', row, re.S).group(1)
    text = re.sub(r"<[^>]+>", " ", credits)
    assert "Advocacy 1.25 h" in text and "Ethical Responsibility 0.75 h" in text
    assert "Advocacy 2 h" not in text
    assert "of 3 h for a full attendance" in text
    assert "Late (60 min missed)" in row
    assert "Training hours credited so far: 2 h." in page

    absent = login_as(people["other_trainee"]).get(f"/cohorts/{running.id}").text
    row = _row_of(absent, session.topic)
    assert "Nothing credited" in row and "Advocacy 2 h" not in row


def test_a_make_up_session_credits_only_what_was_missed(people, trainer, credential):
    cohort = _cohort(trainer, people, credential, [(timedelta(hours=-5), 3, {ADVOCACY: 180}),
                                                   (timedelta(hours=-2), 3, {ADVOCACY: 180})])
    original, makeup = cohort.sessions
    makeup.makeup_of_id = original.id
    db.session.commit()
    mark(trainer, original, people["trainee"], "left_early", 60)
    mark(trainer, original, people["other_trainee"], "present")
    confirm(trainer, original, "Tia Trainer")
    for person in ("trainee", "other_trainee"):
        mark(trainer, makeup, people[person], "present")
    confirm(trainer, makeup, "Tia Trainer")
    assert training_minutes(people["trainee"])[ADVOCACY] == 180
    assert training_minutes(people["other_trainee"])[ADVOCACY] == 180


def test_at_risk_counts_only_the_hours_of_sessions_not_made_up(people, trainer, credential):
    """Missed two sessions and made one up: one session missed, and only its hours not credited."""
    from training.cohorts.services import at_risk, attendance_report

    cohort = _cohort(trainer, people, credential, [(timedelta(hours=-30), 3, {ADVOCACY: 180}),
                                                   (timedelta(hours=-26), 2, {ADVOCACY: 120}),
                                                   (timedelta(hours=-2), 3, {ADVOCACY: 180})])
    first, second, makeup = cohort.sessions
    makeup.makeup_of_id = first.id
    db.session.commit()
    for session in (first, second):
        mark(trainer, session, people["other_trainee"], "present")
        confirm(trainer, session, "Tia Trainer")
    mark(trainer, makeup, people["trainee"], "present")
    confirm(trainer, makeup, "Tia Trainer")
    risky = {record.user.id: (record.missed, lost) for record, lost in at_risk(attendance_report(cohort), cohort)}
    assert risky == {people["trainee"].id: (1, 120)}


def test_late_or_left_early_needs_quarter_hours_shorter_than_the_session(running, people, trainer, login_as):
    session = running.sessions[0]
    client = login_as(trainer)
    trainee, other = people["trainee"], people["other_trainee"]
    response = client.post(f"/cohorts/sessions/{session.id}/attendance", data={
        f"status_{trainee.id}": "late", f"missed_{trainee.id}": "20",
        f"status_{other.id}": "left_early", f"missed_{other.id}": "0"})
    # Both trainees' problems at once, each beside its trainee and named in the summary; nothing saved.
    assert response.status_code == 400
    for person in (trainee, other):
        assert re.search(rf'<p class="error" id="status_{person.id}-error">Enter the time missed in quarter hours',
                         response.text)
        assert f'<a href="#status_{person.id}">{person.full_name}: Enter the time missed' in response.text
    assert db.session.scalar(db.select(Attendance).where(Attendance.marked_by_id.is_not(None))) is None
    with pytest.raises(CohortError, match="shorter than the session"):
        mark(trainer, session, people["trainee"], "late", 180)


def test_correcting_a_confirmed_roster_without_signing_says_so_beside_the_signature(running, people, trainer,
                                                                                     login_as):
    session = running.sessions[0]
    mark(trainer, session, people["trainee"], "present")
    confirm(trainer, session, "Tia Trainer")
    response = login_as(trainer).post(f"/cohorts/sessions/{session.id}/attendance", data={
        f"status_{people['trainee'].id}": "absent"})
    assert response.status_code == 400
    assert re.search(r'<p class="error" id="signed_name-error">Type your full name exactly as it appears on your '
                     r'account \(Tia Trainer\) to sign.</p>', response.text)
    assert "Tina Trainee: Type your full name" not in response.text
    assert db.session.scalar(db.select(Attendance.status).where(Attendance.user_id == people["trainee"].id)) == \
        "present"


def _meanwhile(action):
    """Patch the signature check so that ``action`` (another tab or trainer) runs, to its end, between
    the moment a confirmation starts and the moment it writes: the race of a double click."""
    from training.cohorts import services

    original, calls = services._check_signature, []

    def check(trainer, signed_name):
        if not calls:
            calls.append(trainer)  # before the action, whose own confirmation checks a signature too
            action()
        return original(trainer, signed_name)

    return mock.patch.object(services, "_check_signature", check)


def _confirmed_events():
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "attendance.confirmed"))


def test_confirming_twice_at_once_credits_hours_once_and_tells_the_second_click(running, people, trainer,
                                                                                  login_as):
    """A double click on "confirm": the second request finds the session confirmed by the first,
    changes nothing and says so, instead of confirming (and crediting) again."""
    session, trainee = running.sessions[0], people["trainee"]
    mark(trainer, session, trainee, "present")
    db.session.commit()
    first, second = login_as(trainer), login_as(trainer)
    url = f"/cohorts/sessions/{session.id}/confirm"
    with _meanwhile(lambda: first.post(url, data={"signed_name": "Tia Trainer"})):
        response = second.post(url, data={"signed_name": "Tia Trainer"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Tia Trainer has already confirmed attendance at this session; nothing was changed." in response.text
    assert "Attendance confirmed" not in response.text
    assert training_minutes(trainee)[ADVOCACY] == 120 and training_minutes(trainee)[ETHICS] == 60
    assert _confirmed_events() == 1


def test_two_trainers_confirming_one_roster_at_once_credit_only_the_first_ones_marks(running, people, trainer,
                                                                                       make_user, login_as):
    """Two trainers of a cohort confirm the roster at the same moment with different marks: the
    first confirmation stands; the second saves none of its marks (they would disagree with the
    hours credited) and is told to correct a mark with a signature instead."""
    from training.cohorts.models import CohortTrainer

    colleague = make_user("trainer2@example.org", roles=("trainer",), name="Theo Trainer")
    db.session.add(CohortTrainer(cohort_id=running.id, user_id=colleague.id))
    db.session.commit()
    session, trainee, other = running.sessions[0], people["trainee"], people["other_trainee"]
    url = f"/cohorts/sessions/{session.id}/attendance"
    present = {f"status_{trainee.id}": "present", f"status_{other.id}": "present", "action": "confirm"}
    absent = {f"status_{trainee.id}": "absent", f"status_{other.id}": "absent", "action": "confirm"}
    theo = login_as(colleague)
    with _meanwhile(lambda: theo.post(url, data={**present, "signed_name": "Theo Trainer"})):
        response = login_as(trainer).post(url, data={**absent, "signed_name": "Tia Trainer"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Theo Trainer has already confirmed attendance at this session; nothing was changed." in response.text
    db.session.expire_all()
    assert db.session.get(CohortSession, session.id).confirmed_by_id == colleague.id
    assert set(db.session.scalars(db.select(Attendance.status).where(Attendance.session_id == session.id))) == \
        {"present"}
    assert sum(training_minutes(trainee).values()) == 180 and sum(training_minutes(other).values()) == 180
    assert _confirmed_events() == 1


# --- Trainees given a place after the cohort started ----------------------------------------------------

@pytest.fixture
def joined_late(people, trainer, credential):
    """Three sessions held on the last three days. Tina was enrolled from the start; Otto was given his
    place after the second, which he took part in as a guest: he is marked present there, and not at
    the first. At the third, Tina is absent and Otto present."""
    cohort = _cohort(trainer, people, credential, [(timedelta(days=-3), 2, {ADVOCACY: 120}),
                                                  (timedelta(days=-2), 2, {ETHICS: 120}),
                                                  (timedelta(days=-1), 2, {MENTORING: 120})])
    first, second, third = cohort.sessions
    tina, otto = people["trainee"], people["other_trainee"]
    member_of(cohort, otto).enrolled_at = second.ends_at + timedelta(hours=1)
    db.session.commit()
    mark(trainer, first, tina, "present")
    confirm(trainer, first, "Tia Trainer")
    mark(trainer, second, tina, "present")
    mark(trainer, second, otto, "present")
    confirm(trainer, second, "Tia Trainer")
    mark(trainer, third, tina, "absent")
    mark(trainer, third, otto, "present")
    confirm(trainer, third, "Tia Trainer")
    return cohort


def test_a_session_held_before_a_trainee_joined_is_not_one_they_missed(joined_late, people, trainer, login_as):
    """Otto missed only the session held before he had a place: he is not at risk, and that session is
    no place of his in the attendance rate; the session before joining that he did attend still counts."""
    tina, otto = people["trainee"], people["other_trainee"]
    client = login_as(trainer)
    dashboard = client.get("/dashboard").text
    assert "Tina Trainee: missed 1 session (2 h of training)" in dashboard and "Otto Other: missed" not in dashboard
    assert "Attendance rate: 80%" in dashboard  # Tina 2 of 3, Otto 2 of his 2
    page = client.get(f"/cohorts/{joined_late.id}").text
    assert "Attendance rate: 80% of places at confirmed sessions." in page
    assert "Otto Other</strong>" not in page  # not listed as at risk
    row = _row_of(page, "Otto Other")
    assert re.search(r'data-label="Attended" class="num">2<', row) and re.search(r'data-label="Missed" class="num">0<',
                                                                                 row)
    report = client.get(f"/cohorts/{joined_late.id}/attendance.csv")
    rows = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert (by_name[otto.full_name]["Sessions attended"], by_name[otto.full_name]["Sessions missed"]) == ("2", "0")
    assert (by_name[tina.full_name]["Sessions attended"], by_name[tina.full_name]["Sessions missed"]) == ("2", "1")
    pdf = client.get(f"/cohorts/{joined_late.id}/attendance.pdf")
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Attendance rate at confirmed sessions: 80%" in text


def test_every_record_shows_a_session_before_a_trainee_joined_as_not_yet_enrolled(joined_late, people, trainer,
                                                                                  login_as):
    """Not "absent": the cohort page (the trainer's and the trainee's own), the attendance report and
    the sign-in sheet all say the trainee was not yet enrolled, and confirming recorded nothing for him."""
    first = joined_late.sessions[0]
    otto = people["other_trainee"]
    # Confirming the first session recorded no absence for someone not yet enrolled (and told him of none).
    assert db.session.scalar(db.select(Attendance).where(Attendance.session_id == first.id,
                                                         Attendance.user_id == otto.id)) is None
    client = login_as(trainer)
    page = client.get(f"/cohorts/{joined_late.id}").text
    joined = format_date(local(member_of(joined_late, otto).enrolled_at).date())
    assert f"Enrolled on {joined}, after 1 session" in _row_of(page, "Otto Other")
    assert "Enrolled on" not in _row_of(page, "Tina Trainee")

    own = login_as(otto).get(f"/cohorts/{joined_late.id}").text
    assert "Not yet enrolled" in _row_of(own, first.topic) and "Absent" not in _row_of(own, first.topic)
    assert "Nothing credited" not in _row_of(own, first.topic)  # what the session offered, never his to get
    assert "Present" in _row_of(own, joined_late.sessions[1].topic)

    report = client.get(f"/cohorts/{joined_late.id}/attendance.csv")
    rows = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    marks = [v for k, v in by_name[otto.full_name].items() if k.endswith(tuple(s.topic for s in joined_late.sessions))]
    assert marks == ["Not yet enrolled", "Present", "Present"]
    pdf = client.get(f"/cohorts/{joined_late.id}/attendance.pdf")
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "– not yet enrolled" in text

    sheet = client.get(f"/cohorts/sessions/{first.id}/sign-in-sheet.csv")
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert {r[5]: r[7] for r in rows[1:]} == {"Otto Other": "Not yet enrolled", "Tina Trainee": "Present"}
    sheet = client.get(f"/cohorts/sessions/{first.id}/sign-in-sheet.pdf")
    text = " ".join(PdfReader(io.BytesIO(sheet.data)).pages[0].extract_text().split())
    assert "Otto Other Not yet enrolled" in text


def test_confirming_a_session_still_running_warns_that_it_credits_the_full_hours(running, people, trainer, credential,
                                                                                login_as):
    """The first session runs for two and a half hours more: the confirmation says until when, and what
    confirming now means. A session that has ended carries no such warning."""
    session, client = running.sessions[0], login_as(trainer)
    page = client.get(f"/cohorts/sessions/{session.id}/attendance").text
    until = local(session.ends_at).strftime("%H:%M")
    assert f"This session runs until {until}. Confirming before it ends credits its full hours" in page
    ended = _cohort(trainer, people, credential, [(timedelta(hours=-3), 2, {ADVOCACY: 120})], slug="ended").sessions[0]
    assert "Confirming before it ends" not in client.get(f"/cohorts/sessions/{ended.id}/attendance").text


def test_the_confirmation_says_who_is_not_recorded_absent(people, trainer, credential, login_as):
    """Confirming records as absent anyone not marked, except someone given their place after the
    session started: the confirmation says so, only when someone on the roster is in that case."""
    cohort = _cohort(trainer, people, credential, [(timedelta(hours=-3), 2, {ADVOCACY: 120})])
    session, client = cohort.sessions[0], login_as(trainer)
    exception = "Except those given their place after the session started"
    assert exception not in client.get(f"/cohorts/sessions/{session.id}/attendance").text
    member_of(cohort, people["other_trainee"]).enrolled_at = session.starts_at + timedelta(hours=1)
    db.session.commit()
    page = client.get(f"/cohorts/sessions/{session.id}/attendance").text
    assert "Anyone not marked is recorded as absent. " + exception in page


def test_an_absence_recorded_before_a_trainee_withdrew_and_came_back_still_counts(people, trainer, credential,
                                                                                  login_as):
    """Coming back to a cohort gives a new place, but the absence recorded while Tina had her first
    place is still hers: missed, not "not yet enrolled". A session held while she was away, with no
    mark, is not one she missed."""
    from training.cohorts.services import at_risk, attendance_report, enrol, withdraw

    cohort = _cohort(trainer, people, credential, [(timedelta(hours=-30), 2, {ADVOCACY: 120}),
                                                   (timedelta(hours=-20), 2, {ETHICS: 120}),
                                                   (timedelta(hours=-2), 2, {MENTORING: 120})])
    first, second, third = cohort.sessions
    tina, otto, admin = people["trainee"], people["other_trainee"], people["admin"]
    mark(trainer, first, otto, "present")
    confirm(trainer, first, "Tia Trainer")  # Tina is recorded absent
    withdraw(admin, member_of(cohort, tina))
    db.session.commit()
    mark(trainer, second, otto, "present")
    confirm(trainer, second, "Tia Trainer")  # Tina was not in the cohort
    enrol(admin, cohort, tina)
    mark(trainer, third, tina, "present")
    mark(trainer, third, otto, "present")
    confirm(trainer, third, "Tia Trainer")
    record = next(r for r in attendance_report(cohort) if r.user.id == tina.id)
    assert (record.attended, record.missed, record.before_joining) == (1, 1, 1)
    assert not record.not_yet_enrolled(first) and record.not_yet_enrolled(second)
    assert [(r.user.id, lost) for r, lost in at_risk(attendance_report(cohort), cohort)] == [(tina.id, 120)]
    page = login_as(tina).get(f"/cohorts/{cohort.id}").text
    assert "Absent" in _row_of(page, first.topic) and "Not yet enrolled" in _row_of(page, second.topic)
    mark(trainer, first, tina, "excused", signed_name="Tia Trainer")  # a correction of a mark from her first place
    db.session.commit()
    record = next(r for r in attendance_report(cohort) if r.user.id == tina.id)
    assert (record.marks[first.id].status, record.missed) == ("excused", 1)


def test_a_trainee_who_joined_late_is_told_on_the_roster_and_can_still_be_marked(joined_late, people, trainer,
                                                                                 login_as):
    """The roster of a session held before a trainee had a place says so beside them, and still lets the
    trainer record that they took part: then it counts as attended."""
    first, otto = joined_late.sessions[0], people["other_trainee"]
    client = login_as(trainer)
    roster_page = client.get(f"/cohorts/sessions/{first.id}/attendance").text
    item = re.search(rf'<fieldset id="status_{otto.id}".*?</fieldset>', roster_page, re.S).group(0)
    assert "Not yet enrolled when this session started" in item and f'name="status_{otto.id}"' in item
    assert f'aria-describedby="status_{otto.id}-joined"' in item
    tina = people["trainee"]
    assert "Not yet enrolled" not in re.search(rf'<fieldset id="status_{tina.id}".*?</fieldset>', roster_page,
                                               re.S).group(0)
    response = client.post(f"/cohorts/sessions/{first.id}/attendance", data={
        f"status_{otto.id}": "present", "signed_name": "Tia Trainer"})
    assert response.status_code == 302
    assert training_minutes(otto)[ADVOCACY] == 120
    page = client.get(f"/cohorts/{joined_late.id}").text
    assert "Enrolled on" not in _row_of(page, "Otto Other")
    assert re.search(r'data-label="Attended" class="num">3<', _row_of(page, "Otto Other"))


def test_marking_a_late_joiner_absent_before_their_place_records_nothing(joined_late, people, trainer, login_as):
    """Otto had no place at the first session: a trainer who marks him absent there (or excused) records
    nothing, so he has missed no session and is not at risk; his records still say not yet enrolled."""
    from training.cohorts.services import at_risk, attendance_report

    first, otto, tina = joined_late.sessions[0], people["other_trainee"], people["trainee"]
    client = login_as(trainer)
    for status in ("absent", "excused"):
        response = client.post(f"/cohorts/sessions/{first.id}/attendance", data={
            f"status_{otto.id}": status, f"status_{tina.id}": "present", "signed_name": "Tia Trainer"})
        assert response.status_code == 302
        assert db.session.scalar(db.select(Attendance).where(Attendance.session_id == first.id,
                                                             Attendance.user_id == otto.id)) is None
    record = next(r for r in attendance_report(joined_late) if r.user.id == otto.id)
    assert (record.attended, record.missed, record.before_joining) == (2, 0, 1)
    assert otto.id not in [r.user.id for r, _lost in at_risk(attendance_report(joined_late), joined_late)]
    assert "Not yet enrolled" in _row_of(login_as(otto).get(f"/cohorts/{joined_late.id}").text, first.topic)


def test_a_mark_of_taking_part_before_a_place_is_taken_back_with_its_hours(joined_late, people, trainer, login_as):
    """Otto was marked present at the second session, held before his place; he was not there after all.
    Marked absent, he is recorded nowhere there: the hours it credited are removed, he is told so,
    and the session is again one held before he joined, neither attended nor missed."""
    from training.cohorts.services import attendance_report

    second, otto, tina = joined_late.sessions[1], people["other_trainee"], people["trainee"]
    assert training_minutes(otto)[ETHICS] == 120
    response = login_as(trainer).post(f"/cohorts/sessions/{second.id}/attendance", data={
        f"status_{otto.id}": "absent", f"status_{tina.id}": "present", "signed_name": "Tia Trainer"})
    assert response.status_code == 302
    assert training_minutes(otto)[ETHICS] == 0 and training_minutes(tina)[ETHICS] == 120
    record = next(r for r in attendance_report(joined_late) if r.user.id == otto.id)
    assert (record.attended, record.missed, record.before_joining) == (1, 0, 2)
    day = format_date(local(second.starts_at).date())
    assert _told(otto)[-1] == ("attendance_corrected", f"Tia Trainer corrected your attendance at “{second.topic}” "
                               f"on {day}: it was held before you had your place, and you are no longer recorded "
                               "there, nor credited any training hours for it.")
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "attendance.changed")).all()[-1]
    assert (event.subject_id, event.details["before"]["attendance"], event.details["after"]["attendance"]) == \
        (otto.id, "present", None)


def test_minutes_lost_count_only_the_sessions_missed_since_joining(joined_late, people, trainer):
    """Otto, absent from the third session, is at risk for it alone: not for the one held before he joined."""
    from training.cohorts.services import at_risk, attendance_report

    otto = people["other_trainee"]
    mark(trainer, joined_late.sessions[2], otto, "absent", signed_name="Tia Trainer")
    db.session.commit()
    risky = {record.user.id: (record.missed, lost) for record, lost in at_risk(attendance_report(joined_late),
                                                                               joined_late)}
    assert risky[otto.id] == (1, 120)


def test_a_late_joiners_training_certificate_counts_the_sessions_they_attended(joined_late, people):
    """Of the cohort's three sessions, Otto attended two: his certificate says so, neither three nor one."""
    from training.cohorts.certificates import issue_for_cohort
    from training.cohorts.models import TrainingCertificate

    issue_for_cohort(people["admin"], joined_late)
    certificate = db.session.scalar(db.select(TrainingCertificate).where(
        TrainingCertificate.user_id == people["other_trainee"].id))
    assert (certificate.sessions_attended, certificate.sessions_total) == (2, 3)


# --- Setting up ---------------------------------------------------------------------------------------

def test_creating_a_cohort_of_a_live_training_schedules_its_planned_sessions(app, people, trainer, live, login_as):
    client = login_as(people["admin"])
    response = client.post("/cohorts/new", data={
        "title": "Ethics refresher", "training": f"live:{live.id}", "starts_on": "2027-03-01", "ends_on": "2027-03-01",
        "first_start": "18:30", "days_between": "7", "delivery": "in_person", "address": "Room 2",
        "capacity": "8", "trainers": [str(trainer.id)]})
    assert response.status_code == 302
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.title == "Ethics refresher"))
    assert [(s.starts_at, s.minutes, s.credits) for s in cohort.sessions] == [
        (datetime(2027, 3, 1 + 7 * i, 18, 30, tzinfo=UTC), 120, {ETHICS: 120}) for i in range(3)]
    assert cohort.ends_on == date(2027, 3, 15)


@pytest.mark.parametrize("data, field, message", [
    ({"delivery": "online", "meeting_url": "meet.example.org"}, "meeting_url", "starting with https://"),
    ({"delivery": "in_person", "address": ""}, "address", "Enter the address"),
    ({"ends_on": "2026-12-31"}, "ends_on", "on or after the first day"),
    ({"trainers": []}, "trainers", "Choose at least one trainer"),
    ({"starts_on": "1 March"}, "starts_on", "Enter a date like 2026-03-31."),
    ({"ends_on": "9999-12-31"}, "ends_on", "Enter a date between 1900 and 2199."),
])
def test_a_bad_cohort_gets_a_message_next_to_the_field_and_saves_nothing(
        app, people, trainer, live, login_as, data, field, message):
    values = {"title": "X", "training": f"live:{live.id}", "starts_on": "2027-01-01", "ends_on": "2027-01-02",
              "delivery": "in_person", "address": "Room 2", "capacity": "8", "trainers": [str(trainer.id)], **data}
    response = login_as(people["admin"]).post("/cohorts/new", data=values)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert db.session.scalar(db.select(Cohort)) is None


def test_a_session_cannot_credit_more_than_it_lasts_or_outside_the_credentials_domains(
        running, trainer, login_as):
    response = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data={
        "topic": "Long", "day": SOON, "start": "09:00", "end": "10:00", "credit_0": "2", "makeup_of_id": "0"})
    assert response.status_code == 400 and "cannot credit more than 1 hours" in response.text
    assert len(running.sessions) == 2


def test_a_session_form_sent_as_a_browser_sends_it_saves_domains_left_at_zero(running, trainer, login_as):
    """A browser sends every domain's field, "0.00" for those the session does not credit: that is
    no credit in that domain, not an error (the form showed "Enter between 0.25 and 24 hours")."""
    response = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data={
        "topic": "Speaking up", "day": SOON, "start": "09:00", "end": "12:00", "makeup_of_id": "0",
        "credit_0": "2", "credit_1": "0.00", "credit_2": "0", "credit_3": "1"}, follow_redirects=True)

    assert response.status_code == 200 and "Session added." in response.text
    added = next(s for s in running.sessions if s.topic == "Speaking up")
    assert added.credits == {ADVOCACY: 120, ETHICS: 60}


def test_a_make_up_session_sent_as_a_browser_sends_it_is_added(running, trainer, login_as):
    """Every domain's field comes with the form, "0" for those the make-up does not credit."""
    original = running.sessions[0]  # Advocacy 2 h and Ethics 1 h
    form = {"topic": "Catching up", "day": LATER, "start": "09:00", "end": "12:00",
            "makeup_of_id": str(original.id), "credit_0": "2", "credit_1": "0", "credit_2": "0", "credit_3": "0"}
    response = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data=form, follow_redirects=True)
    assert response.status_code == 200 and "Session added." in response.text
    added = next(s for s in running.sessions if s.topic == "Catching up")
    assert added.credits == {ADVOCACY: 120} and added.makeup_of_id == original.id
    # Crediting a domain the session made up for does not credit is still refused.
    refused = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data=form | {"credit_1": "1"})
    assert refused.status_code == 400 and "A make-up session credits at most what" in refused.text


@pytest.mark.parametrize("days", [31, -31])
def test_a_session_outside_the_cohorts_dates_is_refused_beside_its_date(running, trainer, login_as, days):
    """A session a day after the cohort's last day (or before its first) is refused, and the message
    beside the date says which days the cohort runs; nothing is saved."""
    day = date.today() + timedelta(days=days)
    response = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data={
        "topic": "Out of term", "day": day.isoformat(), "start": "09:00", "end": "12:00", "makeup_of_id": "0",
        "credit_0": "3"})
    assert response.status_code == 400
    first, last = (format_date(date.today() + timedelta(days=d)) for d in (-30, 30))
    error = re.search(r'<p class="error" id="day-error">([^<]*)</p>', response.text)
    assert error and error.group(1) == f"Choose a day within the cohort’s dates, {first} to {last}."
    assert 'href="#day"' in response.text
    assert len(running.sessions) == 2


def test_moving_a_session_outside_the_cohorts_dates_is_refused(running, trainer, login_as):
    session = running.sessions[1]
    before = session.starts_at
    response = login_as(trainer).post(f"/cohorts/sessions/{session.id}/edit", data={
        "topic": session.topic, "day": (date.today() + timedelta(days=40)).isoformat(), "start": "09:00",
        "end": "12:00", "makeup_of_id": "0", "credit_1": "3"})
    assert response.status_code == 400 and 'id="day-error"' in response.text
    db.session.expire_all()
    assert db.session.get(CohortSession, session.id).starts_at == before


def _session_day(cohort, index):
    return local(cohort.sessions[index].starts_at).date()


@pytest.mark.parametrize("field, value, message", [
    ("starts_on", lambda c: _session_day(c, 1) + timedelta(days=1), "2 sessions fall outside these dates."),
    ("ends_on", lambda c: _session_day(c, 0), "1 session falls outside these dates."),
])
def test_a_cohorts_new_dates_must_keep_its_sessions_inside_them(running, people, login_as, field, value, message):
    """Changing a cohort's dates so that sessions fall outside them is refused, saying how many, beside
    the date that leaves them out; the cohort keeps its dates."""
    before = (running.starts_on, running.ends_on)
    data = {"title": running.title, "starts_on": running.starts_on.isoformat(),
            "ends_on": running.ends_on.isoformat(), "delivery": "in_person", "address": running.address,
            "capacity": "10", field: value(running).isoformat()}
    response = login_as(people["admin"]).post(f"/cohorts/{running.id}/edit", data=data)
    assert response.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and error.group(1).startswith(message)
    db.session.expire_all()
    cohort = db.session.get(Cohort, running.id)
    assert (cohort.starts_on, cohort.ends_on) == before
    # Dates that still hold every session are saved.
    data[field] = (_session_day(cohort, 0) if field == "starts_on" else _session_day(cohort, 1)).isoformat()
    assert login_as(people["admin"]).post(f"/cohorts/{running.id}/edit", data=data).status_code == 302


@pytest.mark.parametrize("value, message", [
    ("-0.25", "Enter between 0 and 24 hours."),
    ("0.3", "Enter the duration in quarter hours"),
    ("25", "Enter between 0 and 24 hours."),
    ("nan", "Enter hours as a number"),
])
def test_a_sessions_domain_credit_is_quarter_hours_from_zero_to_24(running, trainer, login_as, value, message):
    response = login_as(trainer).post(f"/cohorts/{running.id}/sessions/new", data={
        "topic": "Odd", "day": SOON, "start": "09:00", "end": "12:00", "makeup_of_id": "0",
        "credit_0": value})

    assert response.status_code == 400 and message in response.text
    assert len(running.sessions) == 2


def test_the_waiting_list_fills_free_places_in_order(people, trainer, credential, make_user, login_as):
    cohort = _cohort(trainer, people, credential, [], capacity=2, self_enrolment=True)
    first, second = make_user("w1@example.org"), make_user("w2@example.org")
    login_as(first).post(f"/cohorts/{cohort.id}/join")
    login_as(second).post(f"/cohorts/{cohort.id}/join")
    statuses = {m.user_id: m.status for m in db.session.scalars(db.select(CohortMember))}
    assert statuses[first.id] == statuses[second.id] == "waiting"
    page = login_as(first).get(f"/cohorts/{cohort.id}").text
    assert "Waiting list" in page
    # The full cohort says so before anyone joins it: on its card and on its page.
    latecomer = login_as(make_user("w3@example.org"))
    assert "Join the waiting list" in latecomer.get("/cohorts/").text
    assert "Join the waiting list" in latecomer.get(f"/cohorts/{cohort.id}").text
    # Giving up a place asks first, saying where it goes; keeping it changes nothing.
    leaving = login_as(people["trainee"])
    assert f'href="/cohorts/{cohort.id}/leave"' in leaving.get(f"/cohorts/{cohort.id}").text
    ask = leaving.get(f"/cohorts/{cohort.id}/leave").text
    assert "Give up your place?" in ask and "for the next person on the waiting list" in ask
    assert db.session.scalar(db.select(CohortMember.status).where(CohortMember.user_id == first.id)) == "waiting"
    leaving.post(f"/cohorts/{cohort.id}/leave")
    statuses = {m.user_id: m.status for m in db.session.scalars(db.select(CohortMember))}
    assert statuses[first.id] == "enrolled" and statuses[second.id] == "waiting"


def test_an_ended_cohort_offers_neither_a_place_nor_giving_one_up(people, trainer, credential, make_user, login_as):
    cohort = _cohort(trainer, people, credential, [], self_enrolment=True)
    cohort.starts_on, cohort.ends_on = date.today() - timedelta(days=60), date.today() - timedelta(days=1)
    db.session.commit()
    member = login_as(people["trainee"])
    page = member.get(f"/cohorts/{cohort.id}").text
    assert "Give up my place" not in page and "open for enrolment" not in page
    response = member.post(f"/cohorts/{cohort.id}/leave", follow_redirects=True)
    assert "This cohort has ended: your place and the hours it credited stay on record." in response.text
    assert member_of(cohort, people["trainee"]).status == "enrolled"
    newcomer = login_as(make_user("late@example.org"))
    page = newcomer.get(f"/cohorts/{cohort.id}").text
    assert "This cohort has ended." in page and "Join this cohort" not in page


def test_removing_a_session_asks_first(running, trainer, login_as):
    spare = running.sessions[1]
    client = login_as(trainer)
    assert f'href="/cohorts/sessions/{spare.id}/remove"' in client.get(f"/cohorts/sessions/{spare.id}/edit").text
    ask = client.get(f"/cohorts/sessions/{spare.id}/remove").text
    assert "Remove this session?" in ask and spare.topic in ask and "cannot be brought back" in ask
    assert len(running.sessions) == 2
    assert "Session removed." in client.post(f"/cohorts/sessions/{spare.id}/remove", follow_redirects=True).text


def test_a_closed_cohort_takes_trainees_only_by_invitation(people, trainer, credential, make_user, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    cohort = _cohort(trainer, people, credential, [])
    newcomer = make_user("newcomer@example.org", name="Nia Newcomer")
    client = login_as(newcomer)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    client.post(f"/cohorts/{cohort.id}/join")
    assert db.session.scalar(db.select(CohortMember).where(CohortMember.user_id == newcomer.id)) is None
    login_as(people["admin"]).post(f"/cohorts/{cohort.id}/members", data={"email": newcomer.email,
                                                                           "action": "invite"})
    link = [u for u in mailed_links(caplog) if "/cohorts/" in u][-1]
    assert link == f"http://localhost/cohorts/{cohort.id}"
    assert "Accept my place" in client.get(f"/cohorts/{cohort.id}").text
    client.post(f"/cohorts/{cohort.id}/join")
    member = db.session.scalar(db.select(CohortMember).where(CohortMember.user_id == newcomer.id))
    assert member.status == "enrolled"


def test_inviting_someone_without_an_account_invites_them_to_create_one(running, people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    client = login_as(people["admin"])
    client.post(f"/cohorts/{running.id}/members", data={"email": "fresh@example.org", "action": "invite",
                                                        "full_name": "Fay Fresh"})
    links = mailed_links(caplog)
    assert any("/invitation/" in u for u in links) and f"http://localhost/cohorts/{running.id}" in links


def test_one_trainee_never_sees_another_cohorts_roster_or_hours(running, people, make_user, login_as, trainer):
    mark(trainer, running.sessions[0], people["other_trainee"], "present")
    confirm(trainer, running.sessions[0], "Tia Trainer")
    page = login_as(people["trainee"]).get(f"/cohorts/{running.id}").text
    assert "Otto Other" not in page
    other_trainer = make_user("trainer2@example.org", roles=("trainer",), name="Tom Trainer")
    client = login_as(other_trainer)
    assert client.get(f"/cohorts/{running.id}").status_code == 404
    assert client.get(f"/cohorts/sessions/{running.sessions[0].id}/attendance").status_code == 403


# --- Calendar and reminders ------------------------------------------------------------------------

@pytest.mark.config(BASE_URL="https://training.example.org")
def test_each_person_has_a_private_calendar_feed_of_their_sessions(running, people, trainer, login_as):
    page = login_as(people["trainee"]).get("/cohorts/calendar").text
    url = re.search(r'id="feed-url" value="([^"]+)"', page).group(1)
    assert url.startswith("https://training.example.org/cohorts/calendar/")
    response = login_as(people["trainee"]).get(url.removeprefix("https://training.example.org"))
    assert response.mimetype == "text/calendar"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [f"{s.topic} · {running.title}" for s in running.sessions]
    assert events[0].decoded("DTSTART") == running.sessions[0].starts_at
    assert str(events[0]["URL"]) == f"https://training.example.org/cohorts/{running.id}"
    anonymous = login_as(people["supervisor"])
    path = url.removeprefix("https://training.example.org")
    assert anonymous.get(path[:-8] + "0" * 4 + path[-4:]).status_code == 404
    login_as(people["trainee"]).post("/cohorts/calendar/reset")
    assert anonymous.get(path).status_code == 404
    trainer_page = login_as(trainer).get("/cohorts/calendar").text
    trainer_url = re.search(r'id="feed-url" value="([^"]+)"', trainer_page).group(1)
    assert trainer_url != url


def test_the_day_before_email_goes_once_per_session_and_person(people, trainer, credential, caplog):
    from training.cohorts.reminders import send_session_reminders

    caplog.set_level("INFO", logger="training.mail")
    tomorrow = date.today() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(18), tzinfo=UTC) - utcnow().replace(microsecond=0)
    cohort = _cohort(trainer, people, credential, [(start, 2, {ADVOCACY: 120}),
                                                   (start + timedelta(days=1), 2, {ADVOCACY: 120})])
    assert send_session_reminders() == 3
    assert send_session_reminders() == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "training.mail"]
    assert len(messages) == 3 and all(cohort.sessions[0].topic in m for m in messages)
    assert {m.split("\n")[0].removeprefix("Mail (not sent: no MAIL_SERVER configured)") for m in messages}
    assert any("To: trainer@example.org" in m for m in messages)


def test_the_day_before_reminder_is_also_a_notification_that_no_digest_repeats(people, trainer, credential,
                                                                               login_as, caplog):
    from training.cohorts.reminders import send_session_reminders
    from training.notifications.models import Notification
    from training.notifications.services import send_digests, set_delivery

    caplog.set_level("INFO", logger="training.mail")
    set_delivery(people["trainee"], "digest")  # a reminder must not wait for the digest, nor come twice
    tomorrow = date.today() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(18), tzinfo=UTC) - utcnow().replace(microsecond=0)
    cohort = _cohort(trainer, people, credential, [(start, 2, {ADVOCACY: 120})])
    session = cohort.sessions[0]
    assert send_session_reminders() == 3
    assert send_session_reminders() == 0
    told = db.session.scalars(db.select(Notification).where(Notification.kind == "session_tomorrow")).all()
    assert sorted(n.user_id for n in told) == sorted([people["trainee"].id, people["other_trainee"].id, trainer.id])
    assert all(n.emailed_at is not None for n in told)
    mailed = [r.getMessage() for r in caplog.records if r.name == "training.mail"]
    assert any("To: trainee@example.org" in m and session.topic in m for m in mailed)

    trainee = login_as(people["trainee"])
    page = trainee.get("/notifications").text
    local_start = local(session.starts_at)
    assert f"your session “{session.topic}” (Evening cohort) is tomorrow" in page.replace("&#34;", '"')
    assert f"from {local_start:%H:%M} to {local_start + timedelta(hours=2):%H:%M}" in page
    opened = re.search(r'href="(/notifications/\d+/open)">[^<]*is tomorrow', page.replace("&#34;", '"')).group(1)
    assert trainee.get(opened).location == f"/cohorts/{cohort.id}"
    assert send_digests(date.today() + timedelta(days=1)) == 0  # told by its own e-mail already
    assert sum("To: trainee@example.org" in r.getMessage() for r in caplog.records if r.name == "training.mail") == 1


# --- Records and certificates -------------------------------------------------------------------------

def test_the_sign_in_sheet_lists_the_roster_as_pdf_and_csv(running, people, trainer, login_as):
    session = running.sessions[0]
    client = login_as(trainer)
    pdf = client.get(f"/cohorts/sessions/{session.id}/sign-in-sheet.pdf")
    assert pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Sign-in sheet" in text and "Tina Trainee" in text and "Otto Other" in text and session.topic in text
    rows = list(csv.reader(io.StringIO(client.get(f"/cohorts/sessions/{session.id}/sign-in-sheet.csv")
                                       .data.decode("utf-8-sig"))))
    assert [r[5] for r in rows[1:]] == ["Otto Other", "Tina Trainee"]


def test_training_certificates_list_hours_by_domain_and_verify_publicly(app, running, people, trainer, client, login_as):
    first, second = running.sessions
    for session in (first, second):
        session.starts_at -= timedelta(days=2)
        session.ends_at -= timedelta(days=2)
    db.session.commit()
    mark(trainer, first, people["trainee"], "present")
    mark(trainer, first, people["other_trainee"], "late", 60)
    confirm(trainer, first, "Tia Trainer")
    admin = login_as(people["admin"])
    response = admin.post(f"/cohorts/{running.id}/certificates", follow_redirects=True)
    assert "once attendance at every session is confirmed" in response.text
    mark(trainer, second, people["trainee"], "present")
    confirm(trainer, second, "Tia Trainer")
    response = admin.post(f"/cohorts/{running.id}/certificates", follow_redirects=True)
    assert "2 training certificates issued." in response.text
    admin.post(f"/cohorts/{running.id}/certificates")
    from training.cohorts.models import TrainingCertificate

    certificates = db.session.scalars(db.select(TrainingCertificate).order_by(TrainingCertificate.user_id)).all()
    assert len(certificates) == 2
    mine = next(c for c in certificates if c.user_id == people["trainee"].id)
    assert mine.hours == {ADVOCACY: 120, ETHICS: 60, MENTORING: 180} and mine.sessions_attended == 2
    text = PdfReader(io.BytesIO(mine.pdf)).pages[0].extract_text()
    assert "Tina Trainee" in text and "Core skills" in text and mine.number in text and mine.grouped_code in text
    assert "Advocacy" in text and "6 hours of training" in text

    page = client.get(f"/verify/{mine.grouped_code}")
    assert page.status_code == 200 and "Valid training certificate" in page.text and "Tina Trainee" in page.text
    assert client.get(f"/verify?code={mine.code.lower()}").location.endswith(f"/verify/{mine.grouped_code}")
    assert client.get(f"/verify/{mine.code}").status_code == 301
    record = client.get(f"/verify/{mine.grouped_code}.json")
    assert record.status_code == 200 and record.mimetype == "application/json"
    assert record.json["holder"] == "Tina Trainee" and record.json["status"] == "valid"
    assert record.json["hoursByDomain"] == {ADVOCACY: 2, ETHICS: 1, MENTORING: 3} and record.json["totalHours"] == 6
    assert record.json["pdfSha256"] == hashlib.sha256(mine.pdf).hexdigest()
    assert record.json["id"].startswith(app.config["BASE_URL"])
    download = login_as(people["trainee"]).get(f"/cohorts/certificates/{mine.id}.pdf")
    assert download.data == mine.pdf
    theirs = next(c for c in certificates if c.user_id == people["other_trainee"].id)
    assert login_as(people["trainee"]).get(f"/cohorts/certificates/{theirs.id}.pdf").status_code == 404

    # The holder finds it on their certificates page with the others, and only theirs.
    own_page = login_as(people["trainee"]).get("/certificates").text
    assert "Live training certificates" in own_page and "You have no certificates yet." not in own_page
    assert f"/cohorts/certificates/{mine.id}.pdf" in own_page and mine.verify_url in own_page
    assert f"Evening cohort · certificate {mine.number}" in own_page and "6 h" in own_page
    assert f"/cohorts/certificates/{theirs.id}.pdf" not in own_page


# --- Live trainings as data ----------------------------------------------------------------------------

def test_trainings_sync_is_idempotent_and_reports_bad_files_with_their_line(app, runner, tmp_path):
    result = runner.invoke(args=["trainings", "sync", "--path", str(ROOT / "trainings")])
    assert result.exit_code == 0 and "2 created" in result.output
    result = runner.invoke(args=["trainings", "sync", "--path", str(ROOT / "trainings")])
    assert "0 created, 0 updated, 0 hidden" in result.output
    (tmp_path / "broken.yaml").write_text("title: Broken\nsessions:\n  - topic: A\n    hours: 1\n"
                                          "    credits: {Advocacy: 2}\n")
    result = runner.invoke(args=["trainings", "sync", "--path", str(tmp_path)])
    assert result.exit_code != 0 and "broken.yaml:2: sessions[1] credits 2 hours but lasts only 1" in result.output
    assert db.session.scalar(db.select(LiveTraining).where(LiveTraining.active.is_(False))) is None


def test_the_core_live_training_and_the_first_course_cover_the_default_credentials_training_hours(live, course):
    core = db.session.scalar(db.select(LiveTraining).where(LiveTraining.slug == "peer-recovery-core-live"))
    totals = {c.domain: c.minutes for c in course.credits}
    for session in core.sessions:
        for domain, minutes in session["credits"].items():
            totals[domain] += minutes
    import yaml

    definition = yaml.safe_load((ROOT / "certificates" / "credentials" / "peer-recovery-specialist.yaml").read_text())
    training = next(r for r in definition["requirements"] if r["kind"] == "training_hours")
    assert totals == {d: h * 60 for d, h in training["domains"].items()}


def test_attendance_changes_are_in_the_audit_log_page(running, people, trainer, login_as):
    mark(trainer, running.sessions[0], people["trainee"], "present")
    confirm(trainer, running.sessions[0], "Tia Trainer")
    page = login_as(people["admin"]).get("/admin/audit?action=attendance.confirmed").text
    assert "Attendance confirmed" in page and "Tia Trainer" in page


def test_reminders_command_counts_session_reminders(app, runner):
    with mock.patch("training.cohorts.reminders.send_session_reminders", return_value=4):
        result = runner.invoke(args=["reminders", "send"])
    assert "4 session reminders." in result.output


def _told(user, language="en"):
    from training.notifications.models import Notification

    return [(n.kind, n.message_in(language)) for n in db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_trainees_are_told_their_confirmed_attendance_and_any_correction_with_the_hours_credited(
        running, people, trainer, login_as, caplog):
    """Confirming tells each trainee on the roster their mark and the hours it credited; a later
    correction tells the trainee concerned what they are recorded as now. Each leads to the cohort."""
    caplog.set_level("INFO", logger="training.mail")
    session, trainee, other = running.sessions[0], people["trainee"], people["other_trainee"]
    day = format_date(local(session.starts_at).date())
    client = login_as(trainer)
    client.post(f"/cohorts/sessions/{session.id}/attendance", data={
        f"status_{trainee.id}": "late", f"missed_{trainee.id}": "60", f"status_{other.id}": "absent",
        "action": "confirm", "signed_name": "Tia Trainer"})
    assert _told(trainee) == [("attendance_confirmed", f"Tia Trainer confirmed attendance at “{session.topic}” on "
                               f"{day}: you are recorded as late (60 min missed), with 2 h of training credited.")]
    assert _told(other) == [("attendance_confirmed", f"Tia Trainer confirmed attendance at “{session.topic}” on "
                             f"{day}: you are recorded as absent, with no training hours credited.")]
    assert _told(trainer) == []
    assert "Su registro: llegó tarde (60 min de ausencia); se le acreditaron 2 h de capacitación." in \
        _told(trainee, "es")[0][1]
    page = login_as(other).get("/notifications").text
    opened = re.search(r'href="(/notifications/\d+/open)">Tia Trainer confirmed', page).group(1)
    assert login_as(other).get(opened).location == f"/cohorts/{running.id}"
    assert any("Subject: Your attendance was confirmed" in r.getMessage() for r in caplog.records
               if r.name == "training.mail")

    client.post(f"/cohorts/sessions/{session.id}/attendance", data={
        f"status_{other.id}": "present", f"status_{trainee.id}": "late", f"missed_{trainee.id}": "60",
        "signed_name": "Tia Trainer"})
    assert _told(other)[-1] == ("attendance_corrected", f"Tia Trainer corrected your attendance at “{session.topic}” "
                                f"on {day}: you are now recorded as present, with 3 h of training credited.")
    assert len(_told(trainee)) == 1  # unchanged: not told again


def test_a_confirmation_made_untold_tells_nobody(running, people, trainer):
    """The demo data confirms sessions of weeks ago: nobody is told of them as news."""
    from training.notifications.services import untold

    mark(trainer, running.sessions[0], people["trainee"], "present")
    with untold():
        confirm(trainer, running.sessions[0], "Tia Trainer")
    assert _told(people["trainee"]) == [] and _told(people["other_trainee"]) == []


def _readme_row(email):
    return next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(f"| `{email}`"))


def test_the_readmes_demo_accounts_say_what_the_demo_makes(app, course, credentials):
    """The README's table of demo accounts is what people read before signing in: the new trainee
    it describes is supervised but has done no course work and logged no work, is in the demo cohort,
    late to one session and absent from another (so at risk), and credited the live training attended."""
    from training.auth.models import user_by_email
    from training.courses.models import ModuleCompletion
    from training.credentials.models import Enrolment
    from training.demo import DEMO_COHORT, load_demo

    load_demo()
    robin = user_by_email("new.trainee@example.org")
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.title == DEMO_COHORT))
    assert member_of(cohort, robin).status == "enrolled"
    marks = sorted(db.session.scalars(db.select(Attendance.status).where(Attendance.user_id == robin.id)))
    assert marks == ["absent", "late", "present"]
    assert db.session.scalar(db.select(ModuleCompletion).where(ModuleCompletion.user_id == robin.id)) is None
    kinds = set(db.session.scalars(db.select(HourEntry.kind).where(HourEntry.trainee_id == robin.id)))
    assert kinds == {"training", "supervision"}
    trainer = login(app.test_client(), user_by_email("trainer@example.org"), app.config["DEMO_PASSWORD"])
    trainer = trainer.get(f"/cohorts/{cohort.id}").text
    assert "Robin Okafor</strong>: missed 1 session" in trainer

    row = _readme_row("new.trainee@example.org")
    assert "nothing done" not in row
    assert DEMO_COHORT in row and "late" in row and "missed" in row and "at risk" in row and "supervised" in row
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    jordan = user_by_email("trainee@example.org")
    assert db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == jordan.id,
                                                        Enrolment.credential_id == state.id))
    assert state.title in _readme_row("trainee@example.org")


def test_credit_for_absent_and_excused_is_nothing(running, people, trainer):
    session = running.sessions[0]
    for status in ("absent", "excused"):
        attendance, _ = mark(trainer, session, people["trainee"], status)
        assert credit_for(attendance, session) == {}


def test_administrators_give_the_trainer_role_beside_others(people, login_as):
    client = login_as(people["admin"])
    assert 'value="trainer"' in client.get(f"/admin/people/{people['supervisor'].id}").text
    client.post(f"/admin/people/{people['supervisor'].id}/roles", data={"roles": ["supervisor", "trainer"]})
    assert people["supervisor"].role_names == {"supervisor", "trainer"}
    page = client.get("/admin/people?role=trainer").text
    assert "Sue Supervisor" in page and "Tina Trainee" not in page
    assert "Supervisor, Trainer" in page


def test_credited_hours_read_as_live_training_and_are_corrected_through_the_roster(running, people, trainer):
    from training.supervision.services import EntryError, EntryInput, correct_entry

    mark(trainer, running.sessions[0], people["trainee"], "present")
    confirm(trainer, running.sessions[0], "Tia Trainer")
    entry = db.session.scalar(db.select(HourEntry).where(HourEntry.domain == ADVOCACY))
    assert entry.kind_label == "Live training"
    with pytest.raises(EntryError, match="correct the attendance"):
        correct_entry(people["admin"], entry, EntryInput("training", entry.occurred_on, 60, ADVOCACY), "Typo")


def test_a_persons_page_lists_the_cohorts_they_train_or_take(running, people, trainer, login_as):
    client = login_as(people["admin"])
    for person in (trainer, people["trainee"]):
        assert running.title in client.get(f"/admin/people/{person.id}").text
    assert running.title not in client.get(f"/admin/people/{people['supervisor'].id}").text


def test_sessions_link_to_modules_as_materials(running, trainer, course, login_as):
    client = login_as(trainer)
    module = course.active_modules[1]
    session = running.sessions[1]
    start = session.starts_at
    response = client.post(f"/cohorts/sessions/{session.id}/edit", data={
        "topic": "Empathy", "day": start.date().isoformat(), "start": "09:00", "end": "12:00", "credit_1": "3",
        "materials": [str(module.id)],
        "makeup_of_id": "0"})
    assert response.status_code == 302, response.text
    page = client.get(f"/cohorts/{running.id}").text
    assert f'href="/courses/{course.slug}/{module.slug}">{module.title}</a>' in page


def test_adding_an_unknown_email_says_so_next_to_the_field(running, people, login_as):
    response = login_as(people["admin"]).post(f"/cohorts/{running.id}/members",
                                              data={"email": "nobody@example.org", "action": "enrol"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and "Invite by e-mail" in response.text
    response = login_as(people["admin"]).post(f"/cohorts/{running.id}/members",
                                              data={"email": "nobody@example.org", "action": "invite"})
    assert response.status_code == 400 and 'id="full_name-error"' in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(CohortMember)) == 2


def test_enrolling_someone_already_in_the_cohort_says_so_next_to_the_field(running, people, login_as):
    """Already enrolled (the running cohort's fixture enrolled the trainee), they are not "enrolled" again."""
    trainee = people["trainee"]
    assert db.session.scalar(db.select(CohortMember.status).where(CohortMember.user_id == trainee.id)) == "enrolled"
    response = login_as(people["admin"]).post(f"/cohorts/{running.id}/members",
                                              data={"email": trainee.email, "action": "enrol"})
    assert response.status_code == 400
    error = response.text.split('id="email-error">', 1)[1].split("</p>", 1)[0]
    assert error == f"{trainee.full_name} is already enrolled in this cohort: nothing changed."
    assert f"{trainee.full_name} is enrolled." not in response.text


def test_the_trainee_dashboard_reads_upcoming_sessions_with_their_cohorts_at_once(people, trainer, credential,
                                                                                   login_as):
    """Each upcoming session shows its cohort and its topic in the reader's language: read with the
    sessions, not one cohort and live training at a time."""
    _cohort(trainer, people, credential, [(timedelta(hours=2), 2, {ADVOCACY: 120})], title="Morning cohort",
            slug="morning")
    as_trainee = login_as(people["trainee"])

    def dashboard():
        with count_statements() as statements:
            page = as_trainee.get("/dashboard").text
        return len(statements), page

    one, _page = dashboard()
    _cohort(trainer, people, credential, [(timedelta(hours=3), 2, {ADVOCACY: 120}),
                                          (timedelta(days=2), 2, {ADVOCACY: 120})], title="Evening cohort")
    three, page = dashboard()
    assert one == three
    assert "Morning cohort" in page and "Evening cohort" in page and "Session at 2 days" in page


def test_the_trainers_dashboard_reads_its_cohorts_attendance_in_fixed_statements(people, trainer, credential,
                                                                                  login_as, make_user):
    """Each cohort's attendance rate and trainees at risk, for up to 20 cohorts: not read a cohort
    and a trainee at a time."""
    def cohort_with_a_missed_session(title, extra):
        cohort = _cohort(trainer, people, credential, [(timedelta(hours=-5), 2, {ADVOCACY: 120})], title=title,
                         slug=title.lower())
        for n in range(extra):
            trainee = make_user(f"{title.lower()}{n}@example.org", roles=("trainee",), name=f"{title} Member {n}")
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainee.id, status="enrolled"))
        db.session.commit()
        mark(trainer, cohort.sessions[0], people["trainee"], "present")
        confirm(trainer, cohort.sessions[0], "Tia Trainer")

    cohort_with_a_missed_session("First", 0)
    as_trainer = login_as(trainer)

    def dashboard():
        with count_statements() as statements:
            page = as_trainer.get("/dashboard").text
        return len(statements), page

    one, _page = dashboard()
    for title, extra in (("Second", 2), ("Third", 3), ("Fourth", 1)):
        cohort_with_a_missed_session(title, extra)
    four, page = dashboard()
    assert one == four
    assert "Third Member 2: missed 1 session" in page and "Otto Other: missed 1 session" in page
    assert page.count("Attendance rate: ") == 4 and "Attendance rate: 20%" in page  # Second: 1 of 5 there


def test_the_attendance_roster_reads_its_trainees_in_fixed_statements(running, people, trainer, login_as, make_user):
    """A roster of a large cohort on a trainer's phone: each trainee's account comes with the list."""
    session = running.sessions[0]
    for person in ("trainee", "other_trainee"):
        mark(trainer, session, people[person], "present")
    db.session.commit()
    as_trainer = login_as(trainer)

    def roster_page():
        with count_statements() as statements:
            page = as_trainer.get(f"/cohorts/sessions/{session.id}/attendance").text
        return len(statements), page

    two, _page = roster_page()
    for n in range(6):
        trainee = make_user(f"roster{n}@example.org", roles=("trainee",), name=f"Roster Member {n}")
        db.session.add(CohortMember(cohort_id=running.id, user_id=trainee.id, status="enrolled"))
        db.session.commit()
        mark(trainer, session, trainee, "present")
        db.session.commit()
    eight, page = roster_page()
    assert two == eight
    assert all(f"Roster Member {n}" in page for n in range(6)) and "Otto Other" in page


def test_the_trainers_dashboard_offers_the_check_in_code_only_while_check_in_is_open(running, trainer, login_as):
    now_on, tomorrow = running.sessions
    page = login_as(trainer).get("/dashboard").text
    assert f"/cohorts/sessions/{now_on.id}/code" in page and f"/cohorts/sessions/{tomorrow.id}/attendance" in page
    assert f"/cohorts/sessions/{tomorrow.id}/code" not in page
    # The session under way is listed once, with what is coming, not also as attendance to confirm.
    assert "Attendance to confirm" not in page and page.count(f"/cohorts/sessions/{now_on.id}/attendance") == 1


def test_a_session_that_has_ended_waits_on_the_dashboard_for_its_attendance(running, trainer, login_as):
    now_on = running.sessions[0]
    now_on.starts_at, now_on.ends_at = now_on.starts_at - timedelta(hours=4), now_on.ends_at - timedelta(hours=4)
    db.session.commit()
    page = login_as(trainer).get("/dashboard").text
    waiting = page.split("Attendance to confirm")[1].split("</ul>")[0]
    assert f"/cohorts/sessions/{now_on.id}/attendance" in waiting


def test_a_trainer_is_told_who_issues_the_cohorts_training_certificates(running, people, trainer, login_as):
    page = login_as(trainer).get(f"/cohorts/{running.id}").text
    assert "an administrator issues one to each trainee credited with hours" in page
    assert "Issue training certificates" not in page
    admin_page = login_as(people["admin"]).get(f"/cohorts/{running.id}").text
    assert "Issue training certificates" in admin_page and "an administrator issues one" not in admin_page


def test_a_trainee_is_told_of_a_place_given_by_an_administrator_or_freed_for_the_waiting_list(
        people, trainer, credential, make_user, login_as):
    from training.notifications.models import Notification

    def told(user):
        return [(n.kind, n.message_in("en")) for n in db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]

    cohort = _cohort(trainer, people, credential, [], capacity=3, title="Spring evenings", self_enrolment=True)
    day = format_date(cohort.starts_on)
    admin = login_as(people["admin"])
    placed, waiting, joined = make_user("p1@example.org"), make_user("p2@example.org"), make_user("p3@example.org")
    admin.post(f"/cohorts/{cohort.id}/members", data={"email": placed.email, "action": "enrol"})
    admin.post(f"/cohorts/{cohort.id}/members", data={"email": waiting.email, "action": "enrol"})
    login_as(joined).post(f"/cohorts/{cohort.id}/join")  # joined the waiting list themselves: nothing to tell
    assert told(placed) == [("cohort_place", f"Ada Admin gave you a place in Spring evenings, from {day}.")]
    assert told(waiting) == [("cohort_place", f"Ada Admin put you on the waiting list of Spring evenings (from "
                                              f"{day}): you will get the first place that frees up.")]
    assert told(joined) == []
    login_as(people["trainee"]).post(f"/cohorts/{cohort.id}/leave")
    assert told(waiting)[-1] == ("cohort_place", f"A place freed up in Spring evenings (from {day}): it is yours.")
    assert told(joined) == []  # still waiting
    spanish = db.session.scalars(db.select(Notification).where(Notification.user_id == placed.id)).one()
    assert spanish.message_in("es").startswith("Ada Admin le dio una plaza en Spring evenings")


def test_lists_of_sessions_say_which_is_on_now_today_or_tomorrow(app, people, trainer, credential, login_as):
    from training.templating import session_day

    cohort = _cohort(trainer, people, credential, [(timedelta(minutes=-30), 3, {ADVOCACY: 180}),
                                                   (timedelta(days=1), 3, {ADVOCACY: 180}),
                                                   (timedelta(days=5), 3, {ADVOCACY: 180})])
    running, tomorrow, later = cohort.sessions
    page = login_as(people["trainee"]).get("/dashboard").text
    listed = {s.topic: re.search(rf"<li>(?:(?!</li>).)*{re.escape(s.topic)}.*?</li>", page, re.S).group(0)
              for s in cohort.sessions}
    assert '<span class="badge badge-open">On now</span>' in listed[running.topic]
    assert '<span class="badge badge-locked">Tomorrow</span>' in listed[tomorrow.topic]
    assert "badge" not in listed[later.topic]
    assert "Mañana" in login_as(trainer).get(f"/cohorts/{cohort.id}", headers={"Accept-Language": "es"}).text

    # In the programme's time zone: late in the evening there, a session early next morning is tomorrow.
    app.config["TIMEZONE"] = "America/Chicago"
    evening = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 22:00 on 1 December in Chicago
    session = CohortSession(starts_at=datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
                            ends_at=datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    assert session_day(session, evening) == "tomorrow"
    assert session_day(session, datetime(2026, 12, 2, 14, 0, tzinfo=UTC)) == "today"
    assert session_day(session, datetime(2026, 12, 2, 16, 0, tzinfo=UTC)) == "now"
    assert session_day(session, datetime(2026, 12, 2, 18, 0, tzinfo=UTC)) == "today"
    assert session_day(session, datetime(2026, 12, 4, 4, 0, tzinfo=UTC)) == ""


def test_the_cohorts_list_says_which_have_sessions_to_confirm_in_a_fixed_number_of_statements(
        people, trainer, credential, login_as, make_user):
    """Administrators and each cohort's trainers see how many of its ended sessions wait for their
    attendance to be confirmed; the administrators' dashboard counts those ended more than a day ago.
    The list reads the same number of statements for one cohort as for four."""
    from .conftest import count_statements

    ended = _cohort(trainer, people, credential, [(timedelta(days=-2), 2, {ADVOCACY: 120}),
                                                  (timedelta(hours=-3), 2, {ADVOCACY: 120}),
                                                  (timedelta(days=2), 2, {ADVOCACY: 120})], slug="a", title="Ended")
    admin, tia = login_as(people["admin"]), login_as(trainer)

    def card(page, title):
        return re.search(rf'<li class="card">(?:(?!</li>).)*>{title}</a>.*?</li>', page, re.S).group(0)

    with count_statements() as one:
        page = admin.get("/cohorts/").text
    assert "2 sessions to confirm" in card(page, "Ended")
    assert "2 sessions to confirm" in card(tia.get("/cohorts/").text, "Ended")
    assert "to confirm" not in login_as(people["trainee"]).get("/cohorts/").text
    dashboard = admin.get("/dashboard").text
    assert ('<a href="/cohorts/">1 live session ended more than a day ago and its attendance is not confirmed: its '
            'training hours are not credited yet.</a>') in dashboard

    mark(trainer, ended.sessions[0], people["trainee"], "present")
    confirm(trainer, ended.sessions[0], "Tia Trainer")
    assert "1 session to confirm" in card(admin.get("/cohorts/").text, "Ended")
    dashboard = admin.get("/dashboard").text
    assert "live session ended more than a day ago" not in dashboard
    # Its recent activity names the session, as the audit log does.
    assert f"Attendance confirmed · {ended.sessions[0].topic} (by Tia Trainer)" in dashboard
    for n in range(3):
        _cohort(trainer, people, credential, [(timedelta(days=n + 3), 2, {ADVOCACY: 120})], slug=f"more{n}",
                title=f"More {n}")
    with count_statements() as four:
        page = admin.get("/cohorts/").text
    assert page.count('<li class="card">') == 4 and len(four) == len(one)
