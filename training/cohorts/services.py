"""Cohort operations shared by the views, the CLI, the reminders and the demo data.

Problems a person can fix raise :class:`CohortError` naming the form field, and nothing is
saved. Times are stored in UTC and entered and shown in the programme's time zone
(``TIMEZONE``).
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from training import audit
from training.auth.models import User
from training.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSession,
    CohortTrainer,
)
from training.db_types import utcnow
from training.extensions import db
from training.notifications.services import announce
from training.supervision.models import HourEntry
from training.supervision.privacy import identifier_message
from training.templating import format_date, format_number, programme_zone

CHECKIN_EARLY = timedelta(minutes=15)   # trainees may check in this long before the start
CHECKIN_GRACE_SECONDS = 20              # a code still works this long after it left the screen
LATE_AFTER = timedelta(minutes=10)      # checking in later than this marks the trainee late
CREDITED = ("present", "late", "left_early")


class CohortError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class RosterProblems(CohortError):
    """Marks of a roster that cannot be saved: ``problems`` maps each trainee's id to what is wrong."""

    def __init__(self, problems):
        super().__init__(next(iter(problems.values())), "roster")
        self.problems = problems


# --- Time ------------------------------------------------------------------------------------

def local(moment):
    """A stored UTC time in the programme's time zone."""
    return moment.astimezone(programme_zone())


def at(day, clock):
    """The UTC instant of a local date and time."""
    return datetime.combine(day, clock, tzinfo=programme_zone()).astimezone(UTC)


def local_day(moment):
    return local(moment).date()


def document_url(endpoint, **values):
    """An absolute link for e-mails, documents, feeds and QR codes: always from BASE_URL."""
    from flask import url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


# --- Words in the reader's language -------------------------------------------------------------

def training_title_in(cohort, language=None):
    """The title of the cohort's training in ``language`` (default: the page's), where the course
    or the live training's file gives one; otherwise as written."""
    from training.i18n import current_language

    translated = translated_training_title(cohort, language or current_language())
    if translated:
        return translated
    return cohort.course.title if cohort.course_id else cohort.live_training.title


def translated_training_title(cohort, language):
    """The title the cohort's course or live training gives in ``language``, or None when it
    gives none (or ``language`` is the one content is written in)."""
    from training.i18n import CONTENT_LANGUAGE, translation_of

    if language == CONTENT_LANGUAGE:
        return None
    if cohort.course_id:
        version = translation_of(cohort.course, language)
        return version.title if version is not None else None
    return cohort.live_training.words(language).get("title") if cohort.live_training else None


def session_topic_in(session, language=None):
    """A session's topic in ``language`` (default: the page's) when it is a live training's
    planned topic that its file translates; otherwise as the trainer wrote it."""
    from training.i18n import current_language

    training = session.cohort.live_training
    if training is None:
        return session.topic
    return training.topic_in(session.topic, language or current_language())


# --- Cohorts -----------------------------------------------------------------------------------

@dataclass
class CohortInput:
    title: str
    starts_on: date
    ends_on: date
    delivery: str
    capacity: int
    address: str = ""
    meeting_url: str = ""
    self_enrolment: bool = False


def _check_cohort(data):
    if not data.title.strip():
        raise CohortError(_("Give the cohort a name."), "title")
    if data.ends_on < data.starts_on:
        raise CohortError(_("The last day must be on or after the first day."), "ends_on")
    if data.delivery not in ("in_person", "online"):
        raise CohortError(_("Choose in person or online."), "delivery")
    if data.delivery == "in_person" and not data.address.strip():
        raise CohortError(_("Enter the address where the sessions take place."), "address")
    if data.delivery == "online" and not data.meeting_url.strip().startswith("https://"):
        raise CohortError(_("Enter the meeting link, starting with https://."), "meeting_url")
    if not data.capacity or data.capacity < 1:
        raise CohortError(_("Enter how many trainees can take part (at least 1)."), "capacity")


def _values(data):
    return {"title": data.title.strip(), "starts_on": data.starts_on, "ends_on": data.ends_on,
            "delivery": data.delivery, "capacity": data.capacity,
            "address": data.address.strip() if data.delivery == "in_person" else "",
            "meeting_url": data.meeting_url.strip() if data.delivery == "online" else "",
            "self_enrolment": bool(data.self_enrolment)}


def create_cohort(actor, data, training, credential, trainers, first_start=None, days_between=7):
    """Create a cohort of ``training`` (a Course or a LiveTraining) with its trainers.

    A live training's planned sessions are scheduled from the first day at ``first_start``
    (a local time), one every ``days_between`` days; a course's sessions are added one by one.
    """
    from training.cohorts.models import LiveTraining
    from training.courses.models import Course

    _check_cohort(data)
    if training is None:
        raise CohortError(_("Choose the training this cohort takes."), "training")
    if credential is None:
        raise CohortError(_("Load the credentials first: a cohort credits hours in a credential's domains."),
                          "training")
    if not trainers:
        raise CohortError(_("Choose at least one trainer."), "trainers")
    cohort = Cohort(**_values(data), credential_id=credential.id, created_by_id=actor.id if actor else None,
                    course_id=training.id if isinstance(training, Course) else None,
                    live_training_id=training.id if isinstance(training, LiveTraining) else None)
    db.session.add(cohort)
    db.session.flush()
    set_trainers(actor, cohort, trainers, record=False)
    if isinstance(training, LiveTraining):
        unknown = sorted({d for s in training.sessions for d in s["credits"]} - set(credential.domains))
        if unknown:
            raise CohortError(_("The training credits domains that %(credential)s does not have: %(domains)s.",
                                credential=credential.local_title, domains=", ".join(unknown)), "training")
        start = first_start or time(9, 0)
        for index, plan in enumerate(training.sessions):
            day = data.starts_on + timedelta(days=index * days_between)
            starts_at = at(day, start)
            db.session.add(CohortSession(cohort=cohort, topic=plan["topic"], starts_at=starts_at,
                                         ends_at=starts_at + timedelta(minutes=plan["minutes"]),
                                         credits=dict(plan["credits"]), checkin_secret=secrets.token_hex(32)))
        last = data.starts_on + timedelta(days=(len(training.sessions) - 1) * days_between)
        cohort.ends_on = max(cohort.ends_on, last)
    audit.record("cohort.created", actor=actor, cohort=cohort.id, title=cohort.title,
                 training=training.title, trainers=[t.email for t in trainers])
    db.session.commit()
    return cohort


def update_cohort(actor, cohort, data):
    _check_cohort(data)
    _check_sessions_inside(cohort, data.starts_on, data.ends_on)
    values = _values(data)
    changed = {k: str(v) for k, v in values.items() if getattr(cohort, k) != v}
    for key, value in values.items():
        setattr(cohort, key, value)
    if changed:
        audit.record("cohort.updated", actor=actor, cohort=cohort.id, changed=changed)
    promoted = promote_waiting(actor, cohort)
    db.session.commit()
    announce(*(m.placed for m in promoted))
    return cohort


def _check_sessions_inside(cohort, starts_on, ends_on):
    """New dates for a cohort must keep every one of its sessions inside them."""
    days = [local_day(s.starts_at) for s in cohort.sessions]
    before, after = sum(1 for d in days if d < starts_on), sum(1 for d in days if d > ends_on)
    if before or after:
        message = ngettext("%(num)d session falls outside these dates. Move or remove it first, or choose dates "
                           "that include it.",
                           "%(num)d sessions fall outside these dates. Move or remove them first, or choose "
                           "dates that include them.", before + after)
        raise CohortError(message, "starts_on" if before else "ends_on")


def set_trainers(actor, cohort, trainers, record=True):
    if not trainers:
        raise CohortError(_("Choose at least one trainer."), "trainers")
    if any(not t.has_role("trainer") or not t.active for t in trainers):
        raise CohortError(_("Choose active people with the trainer role."), "trainers")
    db.session.execute(db.delete(CohortTrainer).where(CohortTrainer.cohort_id == cohort.id))
    for trainer in trainers:
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    db.session.flush()
    db.session.expire(cohort, ["trainers"])
    if record:
        audit.record("cohort.trainers_changed", actor=actor, cohort=cohort.id, trainers=[t.email for t in trainers])
        db.session.commit()


def cohorts_for(user):
    """The cohorts a person sees: all for administrators, their own for trainers and trainees, each
    with its live training and its sessions (the list names the one and counts the others)."""
    query = (select(Cohort).options(joinedload(Cohort.live_training), selectinload(Cohort.sessions))
             .order_by(Cohort.starts_on.desc(), Cohort.id.desc()))
    if user.has_role("admin"):
        return list(db.session.scalars(query))
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
    joined = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id,
                                                  CohortMember.status != "withdrawn")
    return list(db.session.scalars(query.where(Cohort.id.in_(trained) | Cohort.id.in_(joined))))


def open_cohorts(user, today=None):
    """Cohorts open for self-enrolment that have not ended and that ``user`` has not joined."""
    today = today or date.today()
    joined = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id,
                                                  CohortMember.status != "withdrawn")
    return list(db.session.scalars(select(Cohort).where(
        Cohort.self_enrolment, Cohort.ends_on >= today, Cohort.id.not_in(joined)).order_by(Cohort.starts_on)))


def can_manage(user, cohort):
    """Administrators and the cohort's own trainers run its sessions and attendance."""
    return user.has_role("admin") or (user.has_role("trainer") and cohort.has_trainer(user))


# --- Members -----------------------------------------------------------------------------------

def member_of(cohort, user):
    return db.session.scalar(select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                        CohortMember.user_id == user.id))


def enrolled_count(cohort):
    return db.session.scalar(select(func.count()).select_from(CohortMember).where(
        CohortMember.cohort_id == cohort.id, CohortMember.status == "enrolled"))


def full_cohorts(cohorts):
    """The ids of those of ``cohorts`` with every place taken (one statement)."""
    if not cohorts:
        return set()
    taken = dict(db.session.execute(select(CohortMember.cohort_id, func.count()).where(
        CohortMember.cohort_id.in_([c.id for c in cohorts]), CohortMember.status == "enrolled")
        .group_by(CohortMember.cohort_id)).all())
    return {c.id for c in cohorts if taken.get(c.id, 0) >= c.capacity}


def enrolled_members(cohort):
    """The cohort's enrolled members by name, each with their account (read in the same statement)."""
    return list(db.session.scalars(_enrolled_in([cohort.id])))


def _enrolled_in(cohort_ids):
    return (select(CohortMember).join(User, User.id == CohortMember.user_id).options(contains_eager(CohortMember.user))
            .where(CohortMember.cohort_id.in_(cohort_ids), CohortMember.status == "enrolled")
            .order_by(User.name_key, User.id))


def _lock_cohort(cohort):
    """Serialise enrolments in one cohort so two requests never take the last place twice."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())


def _place(actor, cohort, user, how):
    if not user.has_role("trainee") or not user.active:
        raise CohortError(_("Only active trainees can join a cohort."), "email")
    _lock_cohort(cohort)
    member = member_of(cohort, user)
    if member is not None and member.status in ("enrolled", "waiting"):
        return member
    status = "enrolled" if enrolled_count(cohort) < cohort.capacity else "waiting"
    if member is None:
        member = CohortMember(cohort_id=cohort.id, user_id=user.id, status=status)
        db.session.add(member)
    else:
        member.status, member.requested_at = status, utcnow()
    member.enrolled_at = utcnow() if status == "enrolled" else None
    db.session.flush()
    member.placed = audit.record("cohort.joined" if status == "enrolled" else "cohort.waiting", actor=actor,
                                 subject=user, cohort=cohort.id, how=how)
    return member


def take_place(actor, cohort, user):
    """An administrator's enrolment as part of a larger change: the caller commits."""
    return _place(actor, cohort, user, "administrator")


def enrol(actor, cohort, user):
    """An administrator's enrolment: a place when one is free, otherwise the waiting list. Someone
    already enrolled or waiting is refused, saying so, rather than told they are enrolled again."""
    member = member_of(cohort, user)
    if member is not None and member.status == "enrolled":
        raise CohortError(_("%(name)s is already enrolled in this cohort: nothing changed.", name=user.full_name),
                          "email")
    if member is not None and member.status == "waiting":
        raise CohortError(_("%(name)s is already on this cohort's waiting list: they get the first free place. "
                            "To give them a place now, raise the cohort's number of places.", name=user.full_name), "email")
    member = _place(actor, cohort, user, "administrator")
    db.session.commit()
    announce(member.placed)
    return member


def join(user, cohort, today=None):
    """A trainee takes a place themselves: when enrolment is open or they were invited."""
    today = today or date.today()
    member = member_of(cohort, user)
    invited = member is not None and member.status == "invited"
    if not (cohort.self_enrolment or invited):
        raise CohortError(_("This cohort takes trainees by invitation only."))
    if cohort.ends_on < today:
        raise CohortError(_("This cohort has ended."))
    member = _place(user, cohort, user, "invitation" if invited else "self")
    db.session.commit()
    return member


def invite(actor, cohort, email, name=""):
    """Invite someone by e-mail; a person without an account is invited to create one too."""
    from training.auth.models import user_by_email
    from training.auth.services import AccountError
    from training.auth.services import invite as invite_account
    from training.i18n import user_locale
    from training.mail import send_to

    user = user_by_email(email)
    if user is None:
        if not name.strip():
            raise CohortError(_("This e-mail address has no account yet: enter the person's name to invite them."),
                              "full_name")
        try:
            user = invite_account(actor, email, name, {"trainee"})
        except AccountError as error:
            raise CohortError(error.message, "email") from None
    if not user.has_role("trainee"):
        raise CohortError(_("Only trainees can be invited to a cohort."), "email")
    member = member_of(cohort, user)
    if member is not None and member.status in ("enrolled", "waiting"):
        raise CohortError(_("%(name)s is already in this cohort.", name=user.full_name), "email")
    if member is None:
        member = CohortMember(cohort_id=cohort.id, user_id=user.id, status="invited")
        db.session.add(member)
    member.status, member.requested_at = "invited", utcnow()
    audit.record("cohort.invited", actor=actor, subject=user, cohort=cohort.id)
    db.session.commit()
    send_to(user, "cohort_invitation", cohort=cohort, training_title=training_title_in(cohort, user_locale(user)),
            link=document_url("cohorts.detail", cohort_id=cohort.id))
    return member


def withdraw(actor, member):
    """Take a trainee out of a cohort; the first person waiting gets the place."""
    if member.status == "withdrawn":
        return
    member.status = "withdrawn"
    audit.record("cohort.withdrawn", actor=actor, subject=member.user, cohort=member.cohort_id)
    db.session.flush()
    promoted = promote_waiting(actor, member.cohort)
    db.session.commit()
    announce(*(m.placed for m in promoted))


def promote_waiting(actor, cohort):
    """Give free places to the waiting list, earliest request first."""
    _lock_cohort(cohort)
    free = cohort.capacity - enrolled_count(cohort)
    if free <= 0:
        return []
    waiting = list(db.session.scalars(select(CohortMember).where(
        CohortMember.cohort_id == cohort.id, CohortMember.status == "waiting")
        .order_by(CohortMember.requested_at, CohortMember.id).limit(free)))
    for member in waiting:
        member.status, member.enrolled_at = "enrolled", utcnow()
        member.placed = audit.record("cohort.joined", actor=actor, subject=member.user, cohort=cohort.id,
                                     how="waiting list")
    db.session.flush()
    return waiting


# --- Sessions ----------------------------------------------------------------------------------

@dataclass
class SessionInput:
    day: date
    start: time
    end: time
    topic: str
    credits: dict           # domain -> minutes
    materials: list         # module ids
    makeup_of_id: int | None = None


def _check_session(cohort, data):
    if not data.topic.strip():
        raise CohortError(_("Enter the session's topic."), "topic")
    message = identifier_message(data.topic)
    if message:
        raise CohortError(message, "topic")
    if not cohort.starts_on <= data.day <= cohort.ends_on:
        raise CohortError(_("Choose a day within the cohort’s dates, %(first)s to %(last)s.",
                            first=format_date(cohort.starts_on), last=format_date(cohort.ends_on)), "day")
    if data.end <= data.start:
        raise CohortError(_("The session must end after it starts."), "end")
    minutes = (datetime.combine(data.day, data.end) - datetime.combine(data.day, data.start)).seconds // 60
    domains = cohort.credential.domains if cohort.credential else []
    for domain, credit in data.credits.items():
        if domain not in domains:
            raise CohortError(_("Choose one of the domains listed."), "credits")
        if credit < 0 or credit % 15:
            raise CohortError(_("Enter credited hours in quarter hours, such as 1.25 or 2.5."), "credits")
    if not any(data.credits.values()):
        raise CohortError(_("Enter the hours a full attendance credits in at least one domain."), "credits")
    if sum(data.credits.values()) > minutes:
        raise CohortError(_("A session of %(hours)s hours cannot credit more than %(hours)s hours.",
                            hours=format_number(minutes / 60)), "credits")
    if data.makeup_of_id is not None:
        original = db.session.get(CohortSession, data.makeup_of_id)
        if original is None or original.cohort_id != cohort.id or original.makeup_of_id is not None:
            raise CohortError(_("Choose a session of this cohort to make up for."), "makeup_of_id")
        credited = {d for d, m in data.credits.items() if m}  # a domain left at zero credits nothing
        if any(data.credits.get(d, 0) > m for d, m in original.credits.items()) or credited - set(original.credits):
            raise CohortError(_("A make-up session credits at most what the session it makes up for credits."),
                              "credits")
    return minutes


def _session_values(data):
    starts_at = at(data.day, data.start)
    return {"starts_at": starts_at, "ends_at": at(data.day, data.end), "topic": data.topic.strip(),
            "credits": {d: m for d, m in data.credits.items() if m}, "materials": list(data.materials),
            "makeup_of_id": data.makeup_of_id}


def add_session(actor, cohort, data):
    _check_session(cohort, data)
    session = CohortSession(cohort=cohort, checkin_secret=secrets.token_hex(32), **_session_values(data))
    db.session.add(session)
    db.session.flush()
    audit.record("cohort.session_added", actor=actor, cohort=cohort.id, session=session.id, topic=session.topic,
                 day=data.day.isoformat())
    db.session.commit()
    return session


def update_session(actor, session, data):
    if session.confirmed_at is not None:
        raise CohortError(_("Attendance at this session is confirmed; its time and credits can no longer change."))
    _check_session(session.cohort, data)
    for key, value in _session_values(data).items():
        setattr(session, key, value)
    audit.record("cohort.session_changed", actor=actor, cohort=session.cohort_id, session=session.id,
                 day=data.day.isoformat())
    db.session.commit()
    return session


def remove_session(actor, session):
    if session.confirmed_at is not None or session.attendance:
        raise CohortError(_("A session with attendance recorded cannot be removed."))
    audit.record("cohort.session_removed", actor=actor, cohort=session.cohort_id, topic=session.topic,
                 starts_at=session.starts_at.isoformat())
    db.session.delete(session)
    db.session.commit()


# --- Check-in codes ------------------------------------------------------------------------------

def _window(moment):
    return int(moment.timestamp() // 60)


def code_for(session, window):
    """The six-digit code for one minute of one session, derived from a per-session secret."""
    key = (session.checkin_secret + current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{session.id}:{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def checkin_open(session, now=None):
    now = now or utcnow()
    return session.confirmed_at is None and session.starts_at - CHECKIN_EARLY <= now <= session.ends_at


def current_code(session, now=None):
    """The code to show now and the seconds it has left, or (None, 0) outside the session."""
    now = now or utcnow()
    if not checkin_open(session, now):
        return None, 0
    return code_for(session, _window(now)), 60 - int(now.timestamp() % 60)


def code_matches(session, code, now):
    """True for the code on screen now, or the previous one within a short grace for typing."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    window = _window(now)
    candidates = [window]
    if now.timestamp() % 60 < CHECKIN_GRACE_SECONDS:
        candidates.append(window - 1)
    return any(hmac.compare_digest(code, code_for(session, w)) for w in candidates)


def check_in(user, session, code, now=None):
    """Record the signed-in trainee as present (or late) with the code the trainer shows.

    The code changes every minute and works only during the session, for trainees enrolled in
    the cohort; the trainer confirms attendance afterwards.
    """
    now = now or utcnow()
    member = member_of(session.cohort, user)
    if member is None or member.status != "enrolled":
        raise CohortError(_("You are not enrolled in this cohort."))
    if session.confirmed_at is not None:
        raise CohortError(_("Attendance at this session is already confirmed. Ask your trainer."))
    if not checkin_open(session, now):
        raise CohortError(_("Check-in is open only during the session."), "code")
    if not code_matches(session, code, now):
        raise CohortError(_("That code is not the one on the screen now. Codes change every minute: "
                            "enter the code shown now."), "code")
    attendance = _attendance(session, user)
    if attendance.checked_in_at is not None:
        return attendance
    if attendance.marked_by_id not in (None, user.id) and attendance.status != "absent":
        # The trainer has already marked them there (present, late, left early, excused): the
        # check-in is noted beside that mark and changes nothing the trainer decided.
        attendance.checked_in_at = now
        audit.record("attendance.checked_in", actor=user, subject=user, session=session.id, status=attendance.status)
        db.session.commit()
        return attendance
    late = max(timedelta(0), now - session.starts_at)
    if late > LATE_AFTER:
        attendance.status = "late"
        attendance.minutes_missed = min(session.minutes, -(-int(late.total_seconds() // 60) // 15) * 15)
    else:
        attendance.status, attendance.minutes_missed = "present", 0
    attendance.checked_in_at, attendance.marked_by_id, attendance.updated_at = now, user.id, now
    audit.record("attendance.checked_in", actor=user, subject=user, session=session.id, status=attendance.status)
    db.session.commit()
    return attendance


# --- Attendance and credit ----------------------------------------------------------------------

def _attendance(session, user):
    attendance = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                                            Attendance.user_id == user.id))
    if attendance is None:
        attendance = Attendance(session_id=session.id, user_id=user.id, status="absent")
        try:
            with db.session.begin_nested():
                db.session.add(attendance)
        except IntegrityError:  # created by a concurrent check-in
            attendance = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                                                    Attendance.user_id == user.id))
    return attendance


def split_quarters(credits, attended, length):
    """Credit for ``attended`` of ``length`` minutes, in quarter hours, spread over the domains.

    The total is the full credit scaled by the share attended, rounded down to a quarter hour;
    it is divided between the domains in proportion, largest remainder first, so the parts
    always add up to the total.
    """
    full = sum(credits.values())
    if attended >= length:
        return dict(credits)
    quarters = (full * max(attended, 0) // length) // 15
    shares = {d: m / full * quarters for d, m in credits.items()}
    parts = {d: int(s) for d, s in shares.items()}
    for domain in sorted(shares, key=lambda d: (parts[d] - shares[d], d))[:quarters - sum(parts.values())]:
        parts[domain] += 1
    return {d: q * 15 for d, q in parts.items() if q}


def credit_for(attendance, session=None):
    """Minutes credited per domain for one attendance record (nothing for absent or excused)."""
    session = session or attendance.session
    if attendance.status not in CREDITED:
        return {}
    attended = session.minutes - (attendance.minutes_missed if attendance.status != "present" else 0)
    credit = split_quarters(session.credits, attended, session.minutes)
    if session.makeup_of_id is not None:
        credit = _cap_by_original(attendance.user_id, session, credit)
    return credit


def _cap_by_original(user_id, session, credit):
    """A make-up session credits only what the trainee missed of the session it makes up for."""
    original = session.makeup_of
    earned = dict(db.session.execute(
        select(HourEntry.domain, func.sum(HourEntry.minutes)).join(Attendance, Attendance.id == HourEntry.attendance_id)
        .where(Attendance.session_id == original.id, Attendance.user_id == user_id).group_by(HourEntry.domain)).all())
    return {d: min(m, max(0, original.credits.get(d, 0) - int(earned.get(d, 0))))
            for d, m in credit.items() if min(m, original.credits.get(d, 0) - int(earned.get(d, 0))) > 0}


def _check_signature(trainer, signed_name):
    signature = trainer.signature(signed_name)
    if signature is None:
        raise CohortError(_("Type your full name exactly as it appears on your account (%(name)s) to sign.",
                            name=trainer.full_name), "signed_name")
    return signature


def _sync_entries(attendance, session, trainer, signed_name, now):
    """Make the attendance's approved training entries match its credit; return what changed."""
    from training.i18n import user_locale
    from training.supervision.services import entry_digest

    wanted = credit_for(attendance, session)
    current = {e.domain: e for e in db.session.scalars(select(HourEntry).where(
        HourEntry.attendance_id == attendance.id))}
    changes = {}
    for domain, entry in current.items():
        if domain not in wanted:
            changes[domain] = (entry.minutes, 0)
            db.session.delete(entry)
    organisation = current_app.config["ORGANISATION_NAME"]
    for domain, minutes in wanted.items():
        entry = current.get(domain)
        if entry is not None and entry.minutes == minutes:
            continue
        changes[domain] = (entry.minutes if entry else 0, minutes)
        if entry is None:
            language = user_locale(attendance.user)  # the note is the trainee's to read
            entry = HourEntry(trainee_id=attendance.user_id, kind="training", domain=domain,
                              attendance_id=attendance.id, status="approved", submitted_at=now,
                              provider=organisation[:200], organisation=session.cohort.title[:200],
                              note=f"{training_title_in(session.cohort, language)}: "
                                   f"{session_topic_in(session, language)}")
            db.session.add(entry)
        entry.occurred_on, entry.minutes = local_day(session.starts_at), minutes
        entry.supervisor_id, entry.reviewed_at, entry.signed_name = trainer.id, now, signed_name
        db.session.flush()
        entry.signature_hash = entry_digest(entry, signed_name, now)
    return changes


class RosterRow(NamedTuple):
    user: object
    attendance: object          # Attendance, or None while unmarked
    not_yet_enrolled: bool      # the session started before the trainee was given a place


def before_enrolment(session, enrolled_at):
    """True when ``session`` started before a place given at ``enrolled_at`` (None: from the start)."""
    return enrolled_at is not None and session.starts_at < enrolled_at


def roster(session):
    """A :class:`RosterRow` for everyone enrolled, and anyone else marked."""
    marks = {a.user_id: a for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))}
    rows = [RosterRow(m.user, marks.pop(m.user_id, None), before_enrolment(session, m.enrolled_at))
            for m in enrolled_members(session.cohort)]
    rows += [RosterRow(a.user, a, False) for a in marks.values()]
    return rows


def mark(trainer, session, user, status, minutes_missed=0, signed_name=""):
    """Set one trainee's attendance. Once the session is confirmed, a change needs the trainer's
    signature again and updates (or removes) exactly the training hours it credited."""
    attendance, changes, _event = _mark(trainer, session, user, status, minutes_missed, signed_name)
    return attendance, changes


def _mark(trainer, session, user, status, minutes_missed=0, signed_name=""):
    """:func:`mark`, and the audit event it recorded (None when nothing changed)."""
    if status not in ("present", "late", "left_early", "absent", "excused"):
        raise CohortError(_("Choose present, late, left early, absent or excused."), "status")
    minutes_missed = int(minutes_missed or 0) if status in ("late", "left_early") else 0
    if status in ("late", "left_early"):
        if minutes_missed <= 0 or minutes_missed % 15:
            raise CohortError(_("Enter the time missed in quarter hours: 15, 30, 45, 60 …"), "minutes_missed")
        if minutes_missed >= session.minutes:
            raise CohortError(_("The time missed must be shorter than the session (%(minutes)s minutes); "
                                "otherwise mark the trainee absent.", minutes=session.minutes), "minutes_missed")
    member = member_of(session.cohort, user)
    if member is None or member.status != "enrolled":
        raise CohortError(_("%(name)s is not enrolled in this cohort.", name=user.full_name))
    confirmed = session.confirmed_at is not None
    signed = _check_signature(trainer, signed_name) if confirmed else ""
    attendance = _attendance(session, user)
    before = (attendance.status, attendance.minutes_missed)
    if before == (status, minutes_missed) and attendance.marked_by_id is not None:
        return attendance, {}, None
    if status not in CREDITED and before_enrolment(session, member.enrolled_at) \
            and not _marked_in_an_earlier_place(attendance, member.enrolled_at):
        return _not_taken_part(trainer, session, user, attendance, signed)
    now = utcnow()
    attendance.status, attendance.minutes_missed = status, minutes_missed
    attendance.marked_by_id, attendance.updated_at = trainer.id, now
    changes = _sync_entries(attendance, session, trainer, signed, now) if confirmed else {}
    event = audit.record("attendance.changed" if confirmed else "attendance.marked", actor=trainer, subject=user,
                         session=session.id, before={"attendance": before[0], "minutes_missed": before[1]},
                         after={"attendance": status, "minutes_missed": minutes_missed},
                         hours={d: f"{a / 60:g} -> {b / 60:g}" for d, (a, b) in changes.items()})
    return attendance, changes, event


def _marked_in_an_earlier_place(attendance, enrolled_at):
    """Whether the mark was made while the trainee held an earlier place in the cohort (they withdrew
    and came back): an absence then is still theirs."""
    return attendance.marked_by_id is not None and attendance.updated_at < enrolled_at


def _not_taken_part(trainer, session, user, attendance, signed):
    """Absent or excused, at a session held before the trainee had a place: they did not take part,
    and the session was not theirs to miss, so nothing is recorded for them. A mark of taking part
    given in error is taken back, with the hours it credited."""
    if attendance.marked_by_id is None:  # nothing was recorded, and nothing is
        db.session.delete(attendance)
        db.session.flush()
        return None, {}, None
    before = (attendance.status, attendance.minutes_missed)
    attendance.status, attendance.minutes_missed = "absent", 0
    changes = _sync_entries(attendance, session, trainer, signed, utcnow()) if session.confirmed_at else {}
    db.session.flush()  # the hours go before the mark they belong to
    db.session.delete(attendance)
    db.session.flush()
    event = audit.record("attendance.changed" if session.confirmed_at else "attendance.marked", actor=trainer,
                         subject=user, session=session.id,
                         before={"attendance": before[0], "minutes_missed": before[1]},
                         after={"attendance": None, "minutes_missed": 0},
                         hours={d: f"{a / 60:g} -> {b / 60:g}" for d, (a, b) in changes.items()})
    return None, changes, event


def save_roster(trainer, session, marks, signed_name="", commit=True):
    """Mark several trainees at once: ``marks`` maps user ids to (status, minutes missed).

    ``commit``: False to leave the marks to the caller's commit (a confirmation that goes with them)."""
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(marks))))}
    if session.confirmed_at is not None and marks:
        _check_signature(trainer, signed_name)  # once, beside the signature: not as each trainee's problem
    if session.confirmed_at is None and marks:
        # Marks of an unconfirmed session credit nothing: that must still be so when they are written.
        _claim(session, confirmed_at=None)
    changed, problems, corrections = 0, {}, []
    for user_id, (status, minutes) in marks.items():
        if user_id not in users:
            continue
        try:
            with db.session.begin_nested():
                _attendance, _changes, event = _mark(trainer, session, users[user_id], status, minutes, signed_name)
        except CohortError as error:
            problems[user_id] = error.message  # every trainee's problem at once, not one a save
            continue
        changed += 1
        if event is not None and event.action == "attendance.changed":
            corrections.append(event)
    if problems:
        raise RosterProblems(problems)
    if commit:
        db.session.commit()
        announce(*corrections)  # each trainee whose confirmed attendance changed
    return changed


def _claim(session, **values):
    """Set ``values`` on the session in one statement that holds only while its attendance is not
    confirmed, so that of two confirmations at once (a double click, two tabs, two trainers) the
    second changes nothing; it blocks until the first is committed, and then finds it."""
    claimed = db.session.execute(update(CohortSession).where(
        CohortSession.id == session.id, CohortSession.confirmed_at.is_(None)).values(**values)).rowcount
    if not claimed:
        db.session.rollback()
        db.session.refresh(session)
        name = session.confirmed_by.full_name if session.confirmed_by else session.signed_name
        raise CohortError(_("%(name)s has already confirmed attendance at this session; nothing was changed.",
                            name=name))


def _confirmable(trainer, session, signed_name, now):
    """The trainer's signature when the session's attendance can be confirmed now."""
    if session.confirmed_at is not None:
        raise CohortError(_("Attendance at this session is already confirmed."))
    if now < session.starts_at:
        raise CohortError(_("Attendance can be confirmed once the session has started."))
    return _check_signature(trainer, signed_name)


def save_and_confirm(trainer, session, marks, signed_name, now=None):
    """Save a roster's marks and confirm the session's attendance with them, as one change.

    When the confirmation is refused (a signature that does not match), the marks are still saved,
    so that none is lost; when another confirmation came first, none of them is."""
    now = now or utcnow()
    try:
        _confirmable(trainer, session, signed_name, now)
    except CohortError:
        save_roster(trainer, session, marks)
        raise
    _claim(session, confirmed_at=None)  # held unconfirmed until this confirmation commits
    save_roster(trainer, session, marks, commit=False)
    return confirm(trainer, session, signed_name, now)


def confirm(trainer, session, signed_name, now=None):
    """Confirm a session's attendance: each credited trainee gets approved training hours by
    domain, signed by the trainer. Trainees not marked are recorded as absent, except those given
    their place after the session started, for whom nothing is recorded.

    The session is claimed first, in one statement: a second confirmation at the same time
    changes nothing and raises :class:`CohortError` saying who confirmed it."""
    now = now or utcnow()
    signed = _confirmable(trainer, session, signed_name, now)
    _claim(session, confirmed_at=now, confirmed_by_id=trainer.id, signed_name=signed)
    credited = {}
    for user, attendance, not_yet_enrolled in roster(session):
        if attendance is None and not_yet_enrolled:
            continue  # a session held before they had a place was not theirs to miss: nothing to record
        if attendance is None:
            attendance = _attendance(session, user)
            attendance.marked_by_id, attendance.updated_at = trainer.id, now
        db.session.flush()
        changes = _sync_entries(attendance, session, trainer, signed, now)
        credited[user.email] = {d: after for d, (_before, after) in changes.items()}
    event = audit.record("attendance.confirmed", actor=trainer, session=session.id, cohort=session.cohort_id,
                         credited={email: {d: f"{m / 60:g} h" for d, m in c.items()} for email, c in credited.items()})
    db.session.commit()
    announce(event)  # each trainee on the roster: their mark and the hours it credited
    return credited


# --- Reports -------------------------------------------------------------------------------------

def _credited_by_cohort(cohort_ids):
    """{cohort id: {user_id: {domain: minutes}}} credited by these cohorts' confirmed attendance."""
    rows = db.session.execute(
        select(CohortSession.cohort_id, Attendance.user_id, HourEntry.domain, func.sum(HourEntry.minutes))
        .join(HourEntry, HourEntry.attendance_id == Attendance.id)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(CohortSession.cohort_id.in_(cohort_ids), HourEntry.status == "approved")
        .group_by(CohortSession.cohort_id, Attendance.user_id, HourEntry.domain)).all()
    result = {}
    for cohort_id, user_id, domain, minutes in rows:
        result.setdefault(cohort_id, {}).setdefault(user_id, {})[domain] = int(minutes)
    return result


def credited_by_session(cohort, user):
    """{session id: {domain: minutes}} the trainee was credited at each of the cohort's sessions."""
    rows = db.session.execute(
        select(Attendance.session_id, HourEntry.domain, HourEntry.minutes)
        .join(HourEntry, HourEntry.attendance_id == Attendance.id)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(CohortSession.cohort_id == cohort.id, Attendance.user_id == user.id, HourEntry.status == "approved")
        .order_by(Attendance.session_id, HourEntry.domain))
    result = {}
    for session_id, domain, minutes in rows:
        result.setdefault(session_id, {})[domain] = minutes
    return result


@dataclass
class MemberRecord:
    user: object
    marks: dict          # session id -> Attendance
    credited: dict       # domain -> minutes
    missed: int = 0      # confirmed sessions missed (absent or excused), not made up, since enrolment
    attended: int = 0
    # Confirmed sessions held before the place was given and not attended: neither attended nor missed.
    before_joining: int = 0
    enrolled_at: datetime | None = None  # when the place was given; None for a place from the start

    @property
    def total(self):
        return sum(self.credited.values())

    def attended_at(self, session):
        mark = self.marks.get(session.id)
        return mark is not None and mark.status in CREDITED

    def not_yet_enrolled(self, session):
        """True for a session held before the trainee had a place, with no mark of theirs: neither
        attended nor missed, and no place in the attendance rate. A mark makes it theirs: attended,
        or an absence recorded while they had an earlier place (they withdrew, then came back)."""
        return before_enrolment(session, self.enrolled_at) and session.id not in self.marks

    @property
    def joined_on(self):
        """The local day the place was given, or None for a place from the start."""
        return local_day(self.enrolled_at) if self.enrolled_at else None


def _regular_confirmed(cohort):
    return [s for s in cohort.sessions if s.confirmed_at and s.makeup_of_id is None]


def attendance_report(cohort):
    """Per enrolled trainee: marks per session, credited hours, sessions attended and missed."""
    return attendance_reports([cohort])[cohort.id]


def attendance_reports(cohorts):
    """:func:`attendance_report` of each cohort, by id, in a fixed number of statements however
    many cohorts and trainees (a trainer's dashboard lists up to 20 cohorts).

    A session held before a trainee was given a place counts for them only if they attended it."""
    ids = [cohort.id for cohort in cohorts]
    if not ids:
        return {}
    marks = {}
    for cohort_id, attendance in db.session.execute(select(CohortSession.cohort_id, Attendance).join(
            CohortSession, CohortSession.id == Attendance.session_id).where(CohortSession.cohort_id.in_(ids))):
        marks.setdefault(cohort_id, {}).setdefault(attendance.user_id, {})[attendance.session_id] = attendance
    credited = _credited_by_cohort(ids)
    members = {}
    for member in db.session.scalars(_enrolled_in(ids)):
        members.setdefault(member.cohort_id, []).append(member)
    reports = {}
    for cohort in cohorts:
        sessions, cohort_marks = cohort.sessions, marks.get(cohort.id, {})
        confirmed = _regular_confirmed(cohort)
        records = []
        for member in members.get(cohort.id, []):
            record = MemberRecord(member.user, cohort_marks.get(member.user_id, {}),
                                  credited.get(cohort.id, {}).get(member.user_id, {}), enrolled_at=member.enrolled_at)
            made_up = {s.makeup_of_id for s in sessions if s.makeup_of_id and record.attended_at(s)}
            theirs = [s for s in confirmed if not record.not_yet_enrolled(s)]
            record.before_joining = len(confirmed) - len(theirs)
            record.attended = sum(1 for s in theirs if record.attended_at(s))
            record.missed = sum(1 for s in theirs if not record.attended_at(s) and s.id not in made_up)
            records.append(record)
        reports[cohort.id] = records
    return reports


def attendance_rate(records, cohort):
    """Share of confirmed (regular) session places attended, or None before any is confirmed. A
    session held before a trainee joined is a place of theirs only if they attended it."""
    places = sum(len(_regular_confirmed(cohort)) - r.before_joining for r in records)
    return None if not places else sum(r.attended for r in records) / places


def at_risk(records, cohort):
    """Trainees who missed sessions not yet made up, most missed first, each with the reason and
    the minutes the sessions they missed (since they joined) would have credited."""
    risky = []
    for record in records:
        if record.missed:
            made_up = {s.makeup_of_id for s in cohort.sessions if s.makeup_of_id and record.attended_at(s)}
            lost = sum(s.credited_minutes for s in _regular_confirmed(cohort)
                       if not record.attended_at(s) and not record.not_yet_enrolled(s) and s.id not in made_up)
            risky.append((record, lost))
    return sorted(risky, key=lambda item: (-item[0].missed, item[0].user.full_name))


def with_cohort_shown(relationship):
    """Loader options for rows shown with their cohort (``relationship``, e.g. ``CohortSession.cohort``):
    the cohort and its live training (which translates topics and titles) read with the rows, not one
    at a time, and not the cohort's trainers, which such lists never show. Built when asked: building
    loader options configures the models, which the server does once, warm."""
    return (joinedload(relationship).joinedload(Cohort.live_training), joinedload(relationship).lazyload(Cohort.trainers))


def upcoming_sessions(user, now=None, days=14):
    """Sessions of the person's cohorts (as trainer or enrolled trainee) from now on."""
    now = now or utcnow()
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
    joined = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id, CohortMember.status == "enrolled")
    return list(db.session.scalars(
        select(CohortSession).where(CohortSession.cohort_id.in_(trained) | CohortSession.cohort_id.in_(joined),
                                    CohortSession.ends_at >= now, CohortSession.starts_at <= now + timedelta(days=days))
        .options(*with_cohort_shown(CohortSession.cohort)).order_by(CohortSession.starts_at)))


def unconfirmed_sessions(user, now=None):
    """Sessions of a trainer's cohorts that have started but whose attendance is not confirmed."""
    now = now or utcnow()
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
    return list(db.session.scalars(select(CohortSession).where(
        CohortSession.cohort_id.in_(trained), CohortSession.starts_at <= now, CohortSession.confirmed_at.is_(None))
        .options(*with_cohort_shown(CohortSession.cohort)).order_by(CohortSession.starts_at)))
