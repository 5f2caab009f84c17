"""The e-mail the day before a session, to each enrolled trainee and trainer, once.

Each reminder is claimed in the reminder log (kind ``cohort-session``, period the session's
id) before it is sent, so it goes out at most once per session and person however often
``reminders send`` runs.
"""
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from training.cohorts.models import CohortSession
from training.cohorts.services import at, document_url, enrolled_members, local
from training.extensions import db
from training.mail import send_mail

KIND = "cohort-session"


def _message(session, person):
    cohort = session.cohort
    start, end = local(session.starts_at), local(session.ends_at)
    where = (_("Online: %(url)s", url=cohort.meeting_url) if cohort.delivery == "online"
             else _("Where: %(address)s", address=" ".join(cohort.address.split())))
    return _("Hello %(name)s,\n\nA reminder: your session \"%(topic)s\" (%(cohort)s) is tomorrow, %(day)s, "
             "from %(start)s to %(end)s.\n%(where)s\n\nCohort page: %(link)s\n",
             name=person.full_name, topic=session.topic, cohort=cohort.title, day=start.date().isoformat(),
             start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), where=where,
             link=document_url("cohorts.detail", cohort_id=cohort.id))


def send_session_reminders(today=None):
    """E-mail everyone in a session that takes place tomorrow (programme time); returns the count."""
    from training.reminders import claim as _claim

    today = today or date.today()
    tomorrow = today + timedelta(days=1)
    sessions = db.session.scalars(select(CohortSession).where(
        CohortSession.starts_at >= at(tomorrow, time.min), CohortSession.starts_at < at(tomorrow + timedelta(days=1),
                                                                                          time.min)))
    sent = 0
    for session in sessions:
        people = [m.user for m in enrolled_members(session.cohort)] + list(session.cohort.trainers)
        for person in people:
            if not person.active or person.password_hash is None:
                continue
            if not _claim(person, KIND, str(session.id)):
                continue
            send_mail(person.email, _("Tomorrow: %(topic)s", topic=session.topic), _message(session, person))
            sent += 1
    return sent
