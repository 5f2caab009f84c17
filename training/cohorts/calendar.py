"""Private iCalendar feeds: each person's sessions, at an address only they know.

The address holds the person's id and an HMAC of it and a random ``generation`` under the
secret key: unguessable, shown again whenever the person asks, and replaced (the old one
stops working) by resetting the generation.
"""
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, vText
from sqlalchemy import select

from training.auth.models import User
from training.cohorts.models import CalendarFeed, CohortMember, CohortSession, CohortTrainer
from training.cohorts.services import document_url, session_topic_in, training_title_in
from training.extensions import db
from training.i18n import for_user


def _signature(user_id, generation):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"calendar:{user_id}:{generation}".encode(), hashlib.sha256).hexdigest()[:40]


def feed_url(user):
    """The person's private feed address, created on first use."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, generation=secrets.token_hex(16))
        db.session.add(feed)
        db.session.commit()
    return document_url("cohorts.feed", token=f"{user.id}-{_signature(user.id, feed.generation)}")


def reset_feed(user):
    """A new address for the person's feed; the old one stops working."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return feed_url(user)
    feed.generation = secrets.token_hex(16)
    db.session.commit()
    return feed_url(user)


def feed_owner(token):
    """The active person whose feed this token opens, or None."""
    user_id, _sep, signature = token.partition("-")
    if not user_id.isdigit() or len(user_id) > 18 or len(signature) != 40:
        return None
    feed = db.session.get(CalendarFeed, int(user_id))
    if feed is None or not hmac.compare_digest(signature, _signature(feed.user_id, feed.generation)):
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def calendar_for(user):
    """The person's sessions (as trainer and as enrolled trainee) as iCalendar bytes, its words
    in the person's language (a calendar app asks without a signed-in session)."""
    with for_user(user):
        return _calendar(user)


def _calendar(user):
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
    joined = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id, CohortMember.status == "enrolled")
    sessions = db.session.scalars(select(CohortSession).where(
        CohortSession.cohort_id.in_(trained) | CohortSession.cohort_id.in_(joined))
        .order_by(CohortSession.starts_at).limit(1000))
    calendar = Calendar()
    calendar.add("prodid", "-//Peer Recovery Training//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Training sessions"))
    host = current_app.config["BASE_URL"].split("://", 1)[-1].split("/", 1)[0] or "localhost"
    for session in sessions:
        cohort = session.cohort
        training = training_title_in(cohort)
        event = Event()
        event.add("uid", f"cohort-session-{session.id}@{host}")
        event.add("dtstamp", session.created_at)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("summary", _("%(topic)s · %(cohort)s", topic=session_topic_in(session), cohort=cohort.title))
        link = document_url("cohorts.detail", cohort_id=cohort.id)
        if cohort.delivery == "online":
            event.add("location", vText(cohort.meeting_url))
            event.add("description", _("Online session of %(training)s. Join: %(url)s\nCohort page: %(link)s",
                                       training=training, url=cohort.meeting_url, link=link))
        else:
            event.add("location", vText(" ".join(cohort.address.split())))
            event.add("description", _("Session of %(training)s, in person.\nCohort page: %(link)s",
                                       training=training, link=link))
        event.add("url", link)
        calendar.add_component(event)
    return calendar.to_ical()
