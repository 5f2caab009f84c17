"""The private wellbeing check-in: five questions of our own on a 1-5 scale, once a day."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.extensions import db
from training.supervision.models import WellbeingCheckIn

# (answer, question, what 1 means, what 5 means)
QUESTIONS = [
    ("energy", _l("How much energy have you had today?"), _l("Very little"), _l("Plenty")),
    ("stress", _l("How stressed have you felt?"), _l("Not at all"), _l("Very")),
    ("workload", _l("How heavy has your workload felt?"), _l("Light"), _l("Overwhelming")),
    ("supported", _l("How supported have you felt in your work?"), _l("Not at all"), _l("Very")),
    ("rest", _l("How well have you been resting and sleeping?"), _l("Badly"), _l("Well")),
]

# What to do when an answer is missing or not one of the five offered, naming its question.
CHOOSE = {
    "energy": _l("Choose how much energy you have had today, from 1 to 5."),
    "stress": _l("Choose how stressed you have felt, from 1 to 5."),
    "workload": _l("Choose how heavy your workload has felt, from 1 to 5."),
    "supported": _l("Choose how supported you have felt in your work, from 1 to 5."),
    "rest": _l("Choose how well you have been resting and sleeping, from 1 to 5."),
}


class AlreadyCheckedIn(Exception):
    pass


def today_checkin(user, today=None):
    return db.session.scalar(select(WellbeingCheckIn).where(
        WellbeingCheckIn.user_id == user.id, WellbeingCheckIn.day == (today or date.today())))


def record_checkin(user, answers, today=None):
    """Save today's check-in; a second one on the same day is refused."""
    day = today or date.today()
    if today_checkin(user, day) is not None:
        raise AlreadyCheckedIn()
    checkin = WellbeingCheckIn(user_id=user.id, day=day, **{k: int(answers[k]) for k, *_ in QUESTIONS})
    try:
        with db.session.begin_nested():
            db.session.add(checkin)
    except IntegrityError:
        raise AlreadyCheckedIn() from None
    db.session.commit()
    return checkin


def history(user, days=90, today=None):
    since = (today or date.today()) - timedelta(days=days)
    return list(db.session.scalars(select(WellbeingCheckIn).where(
        WellbeingCheckIn.user_id == user.id, WellbeingCheckIn.day >= since).order_by(WellbeingCheckIn.day)))


def recent_scores(user, today=None):
    """Scores of the latest six check-ins within the last 30 days, newest first."""
    since = (today or date.today()) - timedelta(days=30)
    rows = db.session.scalars(select(WellbeingCheckIn).where(
        WellbeingCheckIn.user_id == user.id, WellbeingCheckIn.day >= since)
        .order_by(WellbeingCheckIn.day.desc()).limit(6))
    return [r.score for r in rows]


def set_sharing(user, shared):
    if user.wellbeing_shared == shared:
        return
    user.wellbeing_shared = shared
    audit.record("wellbeing.sharing_changed", actor=user, subject=user, shared=shared)
    db.session.commit()
