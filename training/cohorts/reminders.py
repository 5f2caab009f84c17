"""The reminder the day before a session, to each enrolled trainee and trainer, once: an e-mail
with the place and times, and the same news among their notifications in the app.

Each reminder is claimed in the reminder log (kind ``cohort-session``, period the session's
id) before it is sent, so it goes out at most once per session and person however often
``reminders send`` runs.
"""
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from training.cohorts.models import CohortSession
from training.cohorts.services import at, document_url, enrolled_members, local, session_topic_in
from training.extensions import db
from training.i18n import current_language, in_every_language, text_in, user_locale
from training.mail import send_to
from training.notifications.services import notify
from training.templating import format_date

KIND = "cohort-session"


def send_session_reminders(today=None):
    """Remind everyone in a session that takes place tomorrow (programme time); returns the count."""
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
            topic, start, end = session_topic_in(session, user_locale(person)), local(session.starts_at), \
                local(session.ends_at)
            messages = in_every_language(lambda session=session, start=start, end=end: _(
                "A reminder: your session “%(topic)s” (%(cohort)s) is tomorrow, %(day)s, from %(start)s to %(end)s.",
                topic=session_topic_in(session, current_language()), cohort=session.cohort.title,
                day=format_date(start.date()), start=start.strftime("%H:%M"), end=end.strftime("%H:%M")))
            # Told by the e-mail below, in the same words: stored as e-mailed, so no digest tells it again a day late.
            notify(person.id, "session_tomorrow", f"{KIND}-{session.id}", messages, "cohorts.detail",
                   {"cohort_id": session.cohort_id}, emailed=True)
            send_to(person, "session_reminder", session=session, cohort=session.cohort, topic=topic,
                    reminder=text_in(messages, user_locale(person)),
                    link=document_url("cohorts.detail", cohort_id=session.cohort_id))
            sent += 1
    return sent
