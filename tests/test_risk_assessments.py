"""Stored burnout levels: the supervisor's pages and the programme overview sort by them, and every
change to what the signals read clears them in the same commit, so a list is never out of date."""
import copy
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from training.auth.models import SupervisorAssignment
from training.credentials.models import Credential, Enrolment
from training.db_types import utcnow
from training.extensions import db
from training.supervision import assessments
from training.supervision.models import HourEntry, RiskAssessment
from training.supervision.risk import LEVELS, assess
from training.supervision.wellbeing import record_checkin, set_sharing

from .conftest import count_statements

TODAY = date.today()


@pytest.fixture
def team(app, people, credentials):
    """Tina: weekly supervision expected, last 12 days ago (needs attention). Otto: all fine."""
    trainee, other = people["trainee"], people["other_trainee"]
    for person, started, last in ((trainee, 60, 12), (other, 300, 2)):
        person.programme_started_on = TODAY - timedelta(days=started)
        db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=person,
                                            starts_on=TODAY - timedelta(days=400)))
        _add(person, "supervision", 60, last, supervision_format="individual")
    db.session.commit()
    return people


def _add(trainee, kind, minutes, days_ago, status="approved", **extra):
    entry = HourEntry(trainee_id=trainee.id, kind=kind, minutes=minutes, occurred_on=TODAY - timedelta(days=days_ago),
                      domain="Advocacy", status=status, **extra)
    db.session.add(entry)
    db.session.commit()
    return entry


def _stored(trainee):
    db.session.expire_all()
    return db.session.get(RiskAssessment, trainee.id)


def _order(page):
    return re.findall(r'/supervisees/(\d+)"', page)


def test_the_supervisors_pages_store_each_level_and_then_assess_only_those_shown(team, login_as):
    trainee, other = team["trainee"], team["other_trainee"]
    client = login_as(team["supervisor"])
    with count_statements() as first:
        page = client.get("/dashboard").text
    assert "No supervision logged for 12 days" in page
    assert _order(page)[:2] == [str(trainee.id), str(other.id)]
    fresh = {risk.trainee.id: LEVELS[risk.level] for risk in assess([trainee, other])}
    for person in (trainee, other):
        row = _stored(person)
        assert (row.level, row.assessed_on, row.settings) == (fresh[person.id], TODAY, assessments.settings_key())
    assert fresh == {trainee.id: LEVELS["attention"], other.id: LEVELS["ok"]}

    with count_statements() as again:
        assert _order(client.get("/dashboard").text)[:2] == [str(trainee.id), str(other.id)]
    assert not [s for s in again if "risk_assessment" in s and not s.lstrip().upper().startswith("SELECT")]
    assert any("INSERT INTO risk_assessment" in s for s in first)
    assert len(again) < len(first)


@pytest.mark.config(SUPERVISEES_ON_DASHBOARD=1)
def test_a_change_shows_at_once_on_the_supervisors_dashboard(team, login_as):
    trainee, other = team["trainee"], team["other_trainee"]
    client = login_as(team["supervisor"])
    assert _order(client.get("/dashboard").text) == [str(trainee.id)]
    # Otto's entry has waited 40 days: he is now the most at risk, on the very next view.
    entry = _add(other, "service", 60, 41, status="pending")
    entry.submitted_at = utcnow() - timedelta(days=40)
    db.session.commit()
    page = client.get("/dashboard").text
    assert _order(page) == [str(other.id)] and "the oldest for 40 days" in page
    # Tina's supervision today makes her fine; Otto stays first.
    _add(trainee, "supervision", 60, 0, supervision_format="individual")
    assert _stored(trainee).level is None
    client.get("/supervision")
    assert _stored(trainee).level == LEVELS["ok"]


def test_every_change_the_signals_read_clears_the_trainees_level(team, login_as):
    trainee, other, supervisor = team["trainee"], team["other_trainee"], team["supervisor"]
    client = login_as(supervisor)
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))

    def stored_again():
        client.get("/supervision")
        assert _stored(trainee).level is not None and _stored(other).level is not None
        return _stored(trainee).revision, _stored(other).revision

    waiting = _add(trainee, "service", 60, 3, status="pending")
    changes = {
        "an hour entry": lambda: _add(trainee, "service", 30, 1),
        "a decision on an entry": lambda: _set(waiting, status="approved"),
        "a wellbeing check-in": lambda: record_checkin(trainee, dict.fromkeys(
            ("energy", "stress", "workload", "supported", "rest"), 3)),
        "sharing the wellbeing signal": lambda: set_sharing(trainee, True),
        "the programme's start": lambda: _set(trainee, programme_started_on=TODAY - timedelta(days=90)),
        "an enrolment": lambda: _enrol(trainee, state),
    }
    for label, change in changes.items():
        before = stored_again()
        change()
        assert _stored(trainee).level is None, label
        assert _stored(trainee).revision == before[0] + 1, label
        assert _stored(other).level is not None and _stored(other).revision == before[1], label

    # What the signals do not read leaves the level alone.
    before = stored_again()
    _set(trainee, locale="es", job_title="Peer specialist")
    assert _stored(trainee).level is not None and _stored(trainee).revision == before[0]


def _set(thing, **values):
    for name, value in values.items():
        setattr(thing, name, value)
    db.session.commit()


def _enrol(trainee, credential):
    db.session.add(Enrolment(user_id=trainee.id, credential_id=credential.id, started_on=TODAY - timedelta(days=30)))
    db.session.commit()


def test_a_bulk_statement_without_the_trainees_ids_clears_every_level(team, login_as):
    client = login_as(team["supervisor"])
    client.get("/supervision")
    db.session.execute(update(HourEntry).where(HourEntry.minutes == 60).values(minutes=90))
    db.session.commit()
    assert _stored(team["trainee"]).level is None and _stored(team["other_trainee"]).level is None


def test_new_rules_for_a_credential_clear_every_level(team, login_as):
    trainee, other = team["trainee"], team["other_trainee"]
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    _enrol(trainee, state)  # weekly supervision in the first 6 months: 12 days is too long
    client = login_as(team["supervisor"])
    assert "No supervision logged for 12 days" in client.get("/supervision").text
    state.validity_months += 1  # not something the signals read
    db.session.commit()
    assert _stored(trainee).level == LEVELS["attention"]

    definition = copy.deepcopy(state.definition)
    for requirement in definition["requirements"]:
        if requirement["kind"] == "supervision_frequency":
            requirement["initial_every_days"] = 14
    state.definition = definition
    db.session.commit()
    assert _stored(trainee).level is None and _stored(other).level is None
    assert "No supervision logged for 12 days" not in client.get("/supervision").text
    assert _stored(trainee).level == LEVELS["ok"]


def test_a_level_is_worked_out_again_the_next_day(team, login_as):
    import time_machine

    trainee = team["trainee"]
    _add(trainee, "supervision", 60, 5, supervision_format="individual")  # weekly expected: fine for 2 more days
    assert "No supervision logged" not in login_as(team["supervisor"]).get("/supervision").text
    assert _stored(trainee).level == LEVELS["ok"]
    # Three days on, nothing has changed in the database, but Tina is now 8 days without supervision.
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3), tick=True):
        page = login_as(team["supervisor"]).get("/supervision").text
        assert "No supervision logged for 8 days" in page
        assert _stored(trainee).assessed_on == TODAY + timedelta(days=3)
        assert _stored(trainee).level == LEVELS["attention"]


def test_levels_worked_out_under_other_settings_are_not_used(app, team, login_as):
    client = login_as(team["supervisor"])
    assert "No supervision logged for 12 days" in client.get("/supervision").text
    first_key = _stored(team["trainee"]).settings
    app.config["BURNOUT_SUPERVISION_DAYS_EARLY"] = 14
    try:
        page = client.get("/supervision").text
        assert "No supervision logged for 12 days" not in page
        assert _stored(team["trainee"]).level == LEVELS["ok"] and _stored(team["trainee"]).settings != first_key
    finally:
        app.config["BURNOUT_SUPERVISION_DAYS_EARLY"] = 7


def test_a_change_committed_while_a_level_is_worked_out_is_never_covered(app, team, login_as, monkeypatch):
    """The level is worked out from what was read; if the trainee changed meanwhile, it is not stored."""
    trainee, other = team["trainee"], team["other_trainee"]
    real_assess = assessments.assess

    def log_supervision_elsewhere():  # another request, on another thread, commits meanwhile
        with app.app_context():
            db.session.add(HourEntry(trainee_id=trainee.id, kind="supervision", minutes=60, occurred_on=TODAY,
                                     domain="Advocacy", status="approved", supervision_format="individual"))
            db.session.commit()

    def assess_while_someone_logs_hours(trainees, today=None):
        risks = real_assess(trainees, today)
        monkeypatch.setattr(assessments, "assess", real_assess)  # once
        elsewhere = threading.Thread(target=log_supervision_elsewhere)
        elsewhere.start()
        elsewhere.join()
        return risks

    monkeypatch.setattr(assessments, "assess", assess_while_someone_logs_hours)
    client = login_as(team["supervisor"])
    assert client.get("/supervision").status_code == 200
    assert _stored(trainee).level is None  # not stored: it was worked out before the entry
    assert _stored(other).level == LEVELS["ok"]
    assert "No supervision logged for 12 days" not in client.get("/supervision").text
    assert _stored(trainee).level == LEVELS["ok"]  # supervised today


def test_administrators_lists_use_the_level_without_the_wellbeing_signal(team, login_as):
    trainee = team["trainee"]
    _add(trainee, "supervision", 60, 0, supervision_format="individual")  # otherwise fine
    set_sharing(trainee, True)
    for days_ago, score in ((5, 5), (4, 5), (3, 5), (2, 1), (1, 1), (0, 1)):
        record_checkin(trainee, dict(energy=score, stress=6 - score, workload=6 - score, supported=score,
                                     rest=score), today=TODAY - timedelta(days=days_ago))
    supervisor_page = login_as(team["supervisor"]).get("/supervision").text
    assert "Wellbeing check-ins have fallen" in supervisor_page
    row = _stored(trainee)
    assert row.level == LEVELS["at_risk"] and row.level_without_wellbeing == LEVELS["ok"]
    assert assessments.levels_of([trainee.id]) == {trainee.id: "ok"}
    overview = login_as(team["admin"]).get("/admin/programme?risk=at_risk").text
    assert trainee.full_name not in overview


def test_the_daily_refresh_works_out_every_trainees_level_ahead_of_the_days_first_list(team, runner, login_as):
    trainee, other = team["trainee"], team["other_trainee"]
    result = runner.invoke(args=["credentials", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Worked out the burnout level of 2 trainees." in result.output
    assert (_stored(trainee).level, _stored(trainee).assessed_on) == (LEVELS["attention"], TODAY)
    assert (_stored(other).level, _stored(other).assessed_on) == (LEVELS["ok"], TODAY)
    # The supervisor's first view then stores nothing, and a second refresh has nothing to do.
    with count_statements() as first_view:
        assert login_as(team["supervisor"]).get("/dashboard").status_code == 200
    assert not any("INSERT INTO risk_assessment" in statement for statement in first_view)
    assert "Worked out the burnout level of 0 trainees." in runner.invoke(args=["credentials", "refresh"]).output
