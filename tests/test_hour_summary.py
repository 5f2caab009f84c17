"""Each trainee's running hour totals stay equal to what their entries add up to."""
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from training.extensions import db
from training.supervision import summary
from training.supervision.models import HourEntry, HourSummary
from training.supervision.services import (
    EntryInput,
    edit_entry,
    log_entry,
    log_session,
    review_entries,
    withdraw_entry,
)

TODAY = date.today()


def stored(trainee_id):
    """The stored totals, read afresh from the database."""
    db.session.expire_all()
    row = db.session.get(HourSummary, trainee_id)
    if row is None:
        return None
    return (row.service_minutes, row.supervision_minutes, row.last_supervision, row.pending_count,
            row.oldest_pending_at)


def counted(trainee_id):
    """The same totals worked out from the entries themselves."""
    entries = db.session.scalars(db.select(HourEntry).where(HourEntry.trainee_id == trainee_id)).all()
    approved = [e for e in entries if e.status == "approved"]
    pending = [e for e in entries if e.status == "pending"]
    return (sum(e.minutes for e in approved if e.kind == "service"),
            sum(e.minutes for e in approved if e.kind == "supervision"),
            max((e.occurred_on for e in approved if e.kind == "supervision"), default=None),
            len(pending), min((e.submitted_at for e in pending), default=None))


def entry(kind="service", days_ago=1, minutes=60):
    return EntryInput(kind, TODAY - timedelta(days=days_ago), minutes, "Advocacy")


def test_the_totals_follow_each_change_to_a_trainees_entries(team):
    trainee, supervisor = team["trainee"], team["supervisor"]
    assert stored(trainee.id) is None

    first = log_entry(trainee, entry(minutes=90))
    assert stored(trainee.id) == counted(trainee.id) == (0, 0, None, 1, first.submitted_at)

    second = log_entry(trainee, entry(days_ago=3, minutes=120))
    review_entries(supervisor, [first], "approve", signed_name=supervisor.full_name)
    assert stored(trainee.id) == counted(trainee.id) == (90, 0, None, 1, second.submitted_at)

    edit_entry(trainee, second, entry(days_ago=3, minutes=150))
    assert stored(trainee.id)[3] == 1
    withdraw_entry(trainee, second)
    assert stored(trainee.id) == counted(trainee.id) == (90, 0, None, 0, None)

    log_session(supervisor, "individual", TODAY - timedelta(days=2), 60, "Advocacy", "Boundaries",
                [trainee.id], supervisor.full_name)
    assert stored(trainee.id) == counted(trainee.id) == (90, 60, TODAY - timedelta(days=2), 0, None)


def test_another_trainees_entries_leave_the_totals_alone(team):
    log_entry(team["other_trainee"], entry(minutes=45))
    assert stored(team["trainee"].id) is None
    assert stored(team["other_trainee"].id)[3] == 1


def test_entries_added_and_removed_in_bulk_are_counted(team):
    trainee, other = team["trainee"], team["other_trainee"]
    rows = [{"trainee_id": who.id, "kind": kind, "minutes": 30, "occurred_on": TODAY - timedelta(days=day),
             "domain": "Advocacy", "status": "approved", "submitted_at": datetime(2026, 1, 1, tzinfo=UTC)}
            for who in (trainee, other) for kind in ("service", "supervision") for day in range(1, 11)]
    db.session.execute(insert(HourEntry), rows)
    db.session.commit()
    assert stored(trainee.id) == counted(trainee.id) == (300, 300, TODAY - timedelta(days=1), 0, None)
    assert stored(other.id) == counted(other.id)

    db.session.execute(db.delete(HourEntry).where(HourEntry.trainee_id == trainee.id, HourEntry.kind == "service"))
    db.session.commit()
    assert stored(trainee.id) == counted(trainee.id) == (0, 300, TODAY - timedelta(days=1), 0, None)
    assert stored(other.id) == counted(other.id) == (300, 300, TODAY - timedelta(days=1), 0, None)


def test_a_change_rolled_back_leaves_the_totals_as_they_were(team):
    trainee = team["trainee"]
    log_entry(trainee, entry(minutes=60))
    before = stored(trainee.id)
    db.session.add(HourEntry(trainee_id=trainee.id, kind="service", minutes=600, occurred_on=TODAY,
                             domain="Advocacy", status="approved"))
    db.session.flush()
    db.session.rollback()
    team["other_trainee"].full_name = "Someone Else"  # a later commit with no entry in it
    db.session.commit()
    assert stored(trainee.id) == before == counted(trainee.id)


def test_rebuilding_every_summary_matches_the_entries(team):
    trainee = team["trainee"]
    log_entry(trainee, entry(minutes=60))
    db.session.execute(db.update(HourSummary).values(service_minutes=999, pending_count=7)
                       .execution_options(synchronize_session=False))
    db.session.add(HourSummary(trainee_id=team["admin"].id, service_minutes=5))  # no entries at all
    db.session.flush()
    summary.rebuild()
    db.session.commit()
    assert stored(trainee.id) == counted(trainee.id)
    assert stored(team["admin"].id) is None  # no entries: no totals


def test_two_transactions_adding_entries_for_one_trainee_both_count(app, make_user):
    """The second transaction waits for the first's summary row, then counts the first's entry too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: there is nothing to interleave")
    trainee_id = make_user("lee@example.org").id
    errors = []

    def the_other_transaction():
        try:
            with app.app_context():
                db.session.add(HourEntry(trainee_id=trainee_id, kind="service", minutes=30,
                                         occurred_on=TODAY - timedelta(days=2), domain="Advocacy", status="approved"))
                db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(repr(error))

    other = threading.Thread(target=the_other_transaction)

    ours = db.session()

    def start_the_other_before_committing(session):
        """Runs after this commit's own summary was written, while its row is still held."""
        if session is not ours:
            return
        other.start()
        time.sleep(0.5)
        assert other.is_alive(), "the other transaction should wait for the summary row"

    db.session.add(HourEntry(trainee_id=trainee_id, kind="service", minutes=60, occurred_on=TODAY - timedelta(days=1),
                             domain="Advocacy", status="approved"))
    event.listen(db.session, "before_commit", start_the_other_before_committing)
    try:
        db.session.commit()
        other.join(timeout=30)
    finally:
        event.remove(db.session, "before_commit", start_the_other_before_committing)
    assert errors == []
    assert stored(trainee_id)[0] == counted(trainee_id)[0] == 90
