"""Telling people what concerns them: in the app, and by e-mail at once or in a daily digest.

Services that change something a person should hear about call :func:`announce` with their
audit events after committing. A notification is worded in its recipient's language, in the
app and in the e-mail alike. A background job (``training.jobs.start``) turns each event
into notifications for the people concerned. Every notification is keyed by its event, and
the database allows one per person and event, so a job that runs twice tells nobody twice.
E-mail is claimed (``emailed_at`` set where it was empty) before it is sent, so each
notification is e-mailed once, either on its own or in one daily digest.
"""
from contextlib import contextmanager
from datetime import date

from flask import g, url_for
from flask_babel import gettext as _
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from training import jobs
from training.db_types import utcnow
from training.extensions import db
from training.i18n import current_language, for_user, in_every_language, user_locale
from training.jobs.services import loaded_across_commits
from training.mail import external_url, send_to
from training.notifications.models import DELIVERIES, Notification, NotificationSetting
from training.templating import format_date, format_hours

# What each kind is called in an e-mail's subject line.
SUBJECTS = {
    "entry_approved": lambda: _("Your hours were approved"),
    "entry_returned": lambda: _("Your hours were returned for changes"),
    "entries_submitted": lambda: _("Hours waiting for your review"),
    "supervisee_assigned": lambda: _("A new supervisee"),
    "certificate_issued": lambda: _("Your certificate has been issued"),
    "certificate_revoked": lambda: _("Your certificate was revoked"),
    "certificate_reinstated": lambda: _("Your certificate was reinstated"),
    "certificate_expiring": lambda: _("Your certificate expires soon"),
    "attempt_allowed": lambda: _("You may try again"),
    "attendance_confirmed": lambda: _("Your attendance was confirmed"),
    "attendance_corrected": lambda: _("Your attendance was corrected"),
    "reflection_submitted": lambda: _("A reflection waiting for your review"),
    "reflection_accepted": lambda: _("Your reflection was accepted"),
    "reflection_returned": lambda: _("Your reflection was returned"),
    "cohort_place": lambda: _("Your place in a live training"),
    "evidence_submitted": lambda: _("A document waiting for your review"),
    "evidence_accepted": lambda: _("Your document was accepted"),
    "evidence_returned": lambda: _("Your document was returned"),
}


# --- Telling -----------------------------------------------------------------------------------

def announce(*events):
    """After a commit: tell the people concerned by these audit events, from a background job
    (or from the one job of the enclosing :func:`announcing_together`)."""
    # The id from the identity the row was stored under: after the commit, reading ``event.id``
    # would load the whole row again.
    ids = [identity[0] for identity in (inspect(event).identity for event in events if event is not None)
           if identity]
    gathered = g.get("gathered_announcements")
    if gathered is not None:
        gathered.extend(ids)
    elif ids:
        jobs.start("training.notifications.services.deliver_events", ids)


@contextmanager
def announcing_together():
    """Events announced inside the block are told by one background job when it ends (a chunk of a
    bulk job: one job for its 25 certificates rather than one each). What was announced before an
    error is still told."""
    outer = g.get("gathered_announcements")
    g.gathered_announcements = []
    try:
        yield
    finally:
        ids, g.gathered_announcements = g.gathered_announcements, outer
        if ids:
            jobs.start("training.notifications.services.deliver_events", ids)


def notify(user_id, kind, event_key, messages, endpoint="", link_args=None, emailed=False):
    """Record one notification, saying ``messages`` (``{language: text}``, from ``in_every_language``);
    None when this person was already told of this event.

    ``emailed``: an e-mail of its own tells the same (a session reminder with its place and
    times), so neither an e-mail at once nor the digest repeats it."""
    notification = Notification(user_id=user_id, kind=kind, event_key=event_key[:120], messages=messages,
                                endpoint=endpoint, link_args=link_args or {},
                                emailed_at=utcnow() if emailed else None)
    try:
        with db.session.begin_nested():
            db.session.add(notification)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return notification


def deliver_events(event_ids):
    """The job: notifications for each audit event, then the e-mails of those who want them at once.

    Safe to run again: notifications already made are left alone, and an e-mail already
    sent is not sent again.
    """
    from training.audit import AuditEvent

    keys = []
    with loaded_across_commits():  # each notification commits; the events are read once
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(event_ids)).order_by(AuditEvent.id))
        told = [(event, telling) for event in events.all() for telling in HANDLERS.get(event.action, _nobody)(event)]
        for event, (user_id, kind, words, endpoint, args) in told:
            key = f"audit-{event.id}"
            notify(user_id, kind, key, in_every_language(words), endpoint, args)
            keys.append((user_id, key))
    email_at_once([n.id for n in _find(keys)])


def settle_review_requests(pairs):
    """Mark read the notifications asking a supervisor to review a trainee's hours once nothing of
    that trainee waits for them: ``pairs`` of (supervisor id, trainee id) whose entries were just
    decided or withdrawn. Left to the caller's commit; returns how many were marked."""
    from training.supervision.models import HourEntry

    pairs = {(supervisor, trainee) for supervisor, trainee in pairs if supervisor is not None}
    if not pairs:
        return 0
    supervisors, trainees = {pair[0] for pair in pairs}, {pair[1] for pair in pairs}
    waiting = set(db.session.execute(select(HourEntry.supervisor_id, HourEntry.trainee_id).where(
        HourEntry.status == "pending", HourEntry.supervisor_id.in_(supervisors),
        HourEntry.trainee_id.in_(trainees)).distinct()).all())
    settled = pairs - waiting
    now, marked = utcnow(), 0
    for notification in db.session.scalars(select(Notification).where(
            Notification.user_id.in_({pair[0] for pair in settled}), Notification.kind == "entries_submitted",
            Notification.read_at.is_(None))):
        if (notification.user_id, (notification.link_args or {}).get("trainee")) in settled:
            notification.read_at, marked = now, marked + 1
    return marked


def settle_evidence_requests(evidence):
    """Mark read, for every administrator told of it, the notification that ``evidence`` waits for
    review: once reviewed, it waits for nobody. Left to the caller's commit; returns how many."""
    now, marked = utcnow(), 0
    for notification in db.session.scalars(select(Notification).where(
            Notification.kind == "evidence_submitted", Notification.read_at.is_(None))):
        if (notification.link_args or {}).get("evidence") == evidence.id:
            notification.read_at, marked = now, marked + 1
    return marked


def settle_reflection_requests(reflection):
    """Mark read, for every trainer told of it, the notification that ``reflection`` waits for
    review: once one trainer has reviewed it, it waits for nobody. Left to the caller's commit;
    returns how many were marked."""
    from training.cohorts.models import CohortMember, CohortTrainer

    trainers = select(CohortTrainer.user_id).join(CohortMember, CohortMember.cohort_id == CohortTrainer.cohort_id) \
        .where(CohortMember.user_id == reflection.user_id)
    now, marked = utcnow(), 0
    for notification in db.session.scalars(select(Notification).where(
            Notification.user_id.in_(trainers), Notification.read_at.is_(None),
            Notification.kind == "reflection_submitted")):
        if (notification.link_args or {}).get("reflection") == reflection.id:
            notification.read_at, marked = now, marked + 1
    return marked


@contextmanager
def untold():
    """Events announced inside the block are told to nobody: made-up data for a demonstration,
    whose people would otherwise be told of what never happened."""
    outer = g.get("gathered_announcements")
    g.gathered_announcements = []
    try:
        yield
    finally:
        g.gathered_announcements = outer


def _nobody(event):
    return []


def _find(keys):
    if not keys:
        return []
    users = {user_id for user_id, _ in keys}
    names = {key for _, key in keys}
    found = db.session.scalars(select(Notification).where(Notification.user_id.in_(users),
                                                          Notification.event_key.in_(names)))
    return [n for n in found if (n.user_id, n.event_key) in set(keys)]


# --- What each event means to whom ----------------------------------------------------------------
# Each handler returns (recipient id, kind, words, endpoint, link arguments): ``words()`` writes
# the message, and is called in the recipient's language.

def _entry(event):
    from training.supervision.models import HourEntry

    entry_id = (event.details or {}).get("entry")
    return db.session.get(HourEntry, entry_id) if entry_id else None


def _entry_words(entry):
    return {"hours": format_hours(entry.minutes), "kind": entry.kind_label.lower(), "day": format_date(entry.occurred_on)}


def _reviewed(event):
    entry = _entry(event)
    if entry is None or event.subject_id is None:
        return []

    def who():
        return event.actor.full_name if event.actor else _("Your supervisor")

    if event.action == "hours.approved":
        def approved():
            return _("%(who)s approved your %(hours)s of %(kind)s on %(day)s.", who=who(), **_entry_words(entry))

        return [(event.subject_id, "entry_approved", approved, "supervision.hours", {})]
    comment = (event.details or {}).get("comment", "")

    def returned():
        return _("%(who)s returned your %(hours)s of %(kind)s on %(day)s for changes: %(comment)s", who=who(),
                 comment=comment, **_entry_words(entry))

    return [(event.subject_id, "entry_returned", returned, "supervision.edit", {"entry_id": entry.id})]


def _submitted(event):
    entry = _entry(event)
    if entry is None or entry.supervisor_id is None or entry.status != "pending":
        return []

    def message():
        return _("%(trainee)s sent %(hours)s of %(kind)s on %(day)s for your review.",
                 trainee=entry.trainee.full_name, **_entry_words(entry))

    return [(entry.supervisor_id, "entries_submitted", message, "supervision.review", {"trainee": entry.trainee_id})]


def _assigned(event):
    from training.auth.models import user_by_email

    supervisor = user_by_email((event.details or {}).get("supervisor", ""))
    if supervisor is None or event.subject is None:
        return []
    starts_on = date.fromisoformat(event.details["starts_on"])
    def message():
        return _("%(trainee)s is now your supervisee, from %(day)s.", trainee=event.subject.full_name,
                 day=format_date(starts_on))

    return [(supervisor.id, "supervisee_assigned", message, "supervision.supervisee", {"user_id": event.subject_id})]


def _certificate(event):
    from training.certificates.models import Certificate

    number = (event.details or {}).get("number")
    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number)) if number else None
    if certificate is None:
        return []
    kind = {"certificate.revoked": "certificate_revoked",
            "certificate.reinstated": "certificate_reinstated"}.get(event.action, "certificate_issued")

    def message():
        words = {"credential": certificate.title_in(current_language()), "number": certificate.number}
        if kind == "certificate_revoked":
            return _("Your %(credential)s certificate %(number)s was revoked. The reason given: %(reason)s",
                     reason=certificate.revoked_reason or event.details.get("reason", ""), **words)
        if kind == "certificate_reinstated":
            return _("Your %(credential)s certificate %(number)s was reinstated.", **words)
        return _("Your %(credential)s certificate %(number)s has been issued, valid until %(day)s.",
                 day=format_date(certificate.expires_on), **words)

    return [(certificate.user_id, kind, message, "certificates.mine", {})]


def _attempt_allowed(event):
    from training.quizzes.models import Quiz

    quiz_id = (event.details or {}).get("quiz")
    quiz = db.session.get(Quiz, quiz_id) if isinstance(quiz_id, int) else None
    if quiz is None or event.subject_id is None:
        return []

    def message():
        return _("%(who)s has allowed you one more attempt at %(quiz)s.",
                 who=_who(event, lambda: _("Your programme administrator")),
                 quiz=quiz.display_title)

    return [(event.subject_id, "attempt_allowed", message, "quizzes.overview", {"quiz_id": quiz.id})]


def _cohort_place(event):
    """A trainee given a place in a cohort, or put on its waiting list, by someone else: an
    administrator, or a place freed for the waiting list. Those who joined themselves saw it happen."""
    from training.cohorts.models import Cohort

    details = event.details or {}
    how = details.get("how")
    cohort = db.session.get(Cohort, details["cohort"]) if isinstance(details.get("cohort"), int) else None
    if cohort is None or event.subject_id is None or how not in ("administrator", "waiting list"):
        return []

    def message():
        words = {"cohort": cohort.title, "day": format_date(cohort.starts_on)}
        if event.action == "cohort.waiting":
            return _("%(who)s put you on the waiting list of %(cohort)s (from %(day)s): you will get the first "
                     "place that frees up.", who=_who(event, lambda: _("Your programme administrator")), **words)
        if how == "waiting list":
            return _("A place freed up in %(cohort)s (from %(day)s): it is yours.", **words)
        return _("%(who)s gave you a place in %(cohort)s, from %(day)s.",
                 who=_who(event, lambda: _("Your programme administrator")), **words)

    return [(event.subject_id, "cohort_place", message, "cohorts.detail", {"cohort_id": cohort.id})]


def _evidence(event):
    from training.credentials.models import Evidence

    evidence_id = (event.details or {}).get("evidence")
    return db.session.get(Evidence, evidence_id) if isinstance(evidence_id, int) else None


def _evidence_sent(event):
    """Every active administrator, while the document still waits for review."""
    from training.auth.models import User, UserRole
    from training.credentials.services import evidence_title_text

    evidence = _evidence(event)
    if evidence is None or evidence.status != "submitted":
        return []
    administrators = db.session.scalars(select(User.id).where(
        User.active, User.roles.any(UserRole.role == "admin")).order_by(User.id))

    def message():
        return _("%(trainee)s sent “%(title)s” for review.", trainee=evidence.user.full_name,
                 title=evidence_title_text(evidence)[0])

    # The link leads to this document among those to review; its id also finds the notice to settle.
    return [(admin_id, "evidence_submitted", message, "credentials.admin_evidence",
             {"evidence": evidence.id, "_anchor": f"evidence-{evidence.id}"}) for admin_id in administrators]


def _evidence_reviewed(event):
    """The trainee, with the reason of a document returned; the link leads to where they send it again."""
    from training.credentials.services import evidence_title_text, evidence_titles

    evidence = _evidence(event)
    if evidence is None:
        return []
    reason = (event.details or {}).get("reason", "")

    def message():
        title = evidence_title_text(evidence)[0]
        if event.action == "evidence.accepted":
            return _("%(who)s accepted your “%(title)s”.", who=_who(event, lambda: _("Your programme administrator")),
                     title=title)
        return _("%(who)s returned your “%(title)s”: %(reason)s",
                 who=_who(event, lambda: _("Your programme administrator")), title=title, reason=reason)

    found = evidence_titles().get(evidence.key)
    endpoint, args = ("credentials.evidence", {"credential_slug": found[0].slug, "key": evidence.key}) if found \
        else ("supervision.progress", {})
    kind = "evidence_accepted" if event.action == "evidence.accepted" else "evidence_returned"
    return [(evidence.user_id, kind, message, endpoint, args)]


def _who(event, default):
    return event.actor.full_name if event.actor else default()


def _credited_minutes(attendances):
    """``{attendance id: minutes}`` of approved training each attendance credits now, in one statement
    (read once per event, not once per trainee and language)."""
    from training.supervision.models import HourEntry

    ids = [attendance.id for attendance in attendances]
    rows = db.session.execute(select(HourEntry.attendance_id, func.sum(HourEntry.minutes)).where(
        HourEntry.attendance_id.in_(ids), HourEntry.status == "approved").group_by(HourEntry.attendance_id)) \
        if ids else []
    return {attendance_id: minutes for attendance_id, minutes in rows}


def _attendance_words(attendance, minutes):
    """What a trainee's mark at a confirmed session credits them now (``minutes``), in the reader's language."""
    from training.cohorts.records import mark_words
    from training.cohorts.services import local_day, session_topic_in

    return {"topic": session_topic_in(attendance.session), "day": format_date(local_day(attendance.session.starts_at)),
            "mark": mark_words(attendance.status, attendance.minutes_missed).lower(), "hours": format_hours(minutes),
            "credited": minutes}


def _attendance_link(attendance):
    return "cohorts.detail", {"cohort_id": attendance.session.cohort_id}


def _confirmed(event):
    """Each trainee on a confirmed roster: their mark and the hours it credited."""
    from training.cohorts.models import Attendance

    session_id = (event.details or {}).get("session")
    attendances = db.session.scalars(select(Attendance).where(Attendance.session_id == session_id)
                                     .order_by(Attendance.id)).all() if session_id else []
    credited = _credited_minutes(attendances)
    told = []
    for attendance in attendances:
        def message(attendance=attendance):
            words = _attendance_words(attendance, credited.get(attendance.id, 0))
            who = _who(event, lambda: _("Your trainer"))
            if not words["credited"]:
                return _("%(who)s confirmed attendance at “%(topic)s” on %(day)s: you are recorded as %(mark)s, "
                         "with no training hours credited.", who=who, **words)
            return _("%(who)s confirmed attendance at “%(topic)s” on %(day)s: you are recorded as %(mark)s, "
                     "with %(hours)s of training credited.", who=who, **words)

        told.append((attendance.user_id, "attendance_confirmed", message, *_attendance_link(attendance)))
    return told


def _corrected(event):
    """A trainee whose confirmed attendance was changed: the mark and the hours it credits now."""
    from training.cohorts.models import Attendance

    session_id = (event.details or {}).get("session")
    attendance = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session_id, Attendance.user_id == event.subject_id)) if session_id else None
    if attendance is None:
        return _taken_back(event, session_id)
    minutes = _credited_minutes([attendance]).get(attendance.id, 0)

    def message():
        words = _attendance_words(attendance, minutes)
        who = _who(event, lambda: _("Your trainer"))
        if not words["credited"]:
            return _("%(who)s corrected your attendance at “%(topic)s” on %(day)s: you are now recorded as "
                     "%(mark)s, with no training hours credited.", who=who, **words)
        return _("%(who)s corrected your attendance at “%(topic)s” on %(day)s: you are now recorded as %(mark)s, "
                 "with %(hours)s of training credited.", who=who, **words)

    return [(attendance.user_id, "attendance_corrected", message, *_attendance_link(attendance))]


def _taken_back(event, session_id):
    """A mark of taking part, at a session held before the trainee had a place, taken back."""
    from training.cohorts.models import CohortSession
    from training.cohorts.services import local_day, session_topic_in

    session = db.session.get(CohortSession, session_id) if session_id else None
    if session is None or (event.details or {}).get("after", {}).get("attendance", "") is not None:
        return []

    def message():
        return _("%(who)s corrected your attendance at “%(topic)s” on %(day)s: it was held before you had your "
                 "place, and you are no longer recorded there, nor credited any training hours for it.",
                 who=_who(event, lambda: _("Your trainer")), topic=session_topic_in(session),
                 day=format_date(local_day(session.starts_at)))

    return [(event.subject_id, "attendance_corrected", message, "cohorts.detail", {"cohort_id": session.cohort_id})]


def _reflection(event):
    from training.courses.models import Reflection

    reflection_id = (event.details or {}).get("reflection")
    return db.session.get(Reflection, reflection_id) if reflection_id else None


def _reflection_sent(event):
    """The trainers of the trainee's cohorts, while the reflection still waits for review."""
    from training.cohorts.models import CohortMember, CohortTrainer
    from training.i18n import localized

    reflection = _reflection(event)
    if reflection is None or reflection.status != "submitted":
        return []
    trainers = db.session.scalars(select(CohortTrainer.user_id).join(
        CohortMember, CohortMember.cohort_id == CohortTrainer.cohort_id).where(
        CohortMember.user_id == reflection.user_id, CohortMember.status == "enrolled").distinct())

    def message():
        return _("%(trainee)s sent a reflection on “%(module)s” for review.", trainee=reflection.user.full_name,
                 module=localized(reflection.module, "title"))

    # The link leads to this reflection among those to review; its id also finds the notice to settle.
    return [(trainer_id, "reflection_submitted", message, "cohorts.reflections",
             {"reflection": reflection.id, "_anchor": f"reflection-{reflection.id}"}) for trainer_id in sorted(trainers)]


def _reflection_reviewed(event):
    from training.i18n import localized

    reflection = _reflection(event)
    if reflection is None:
        return []
    module = reflection.module
    comment = (event.details or {}).get("comment", "")

    def message():
        words = {"who": _who(event, lambda: _("Your trainer")), "module": localized(module, "title")}
        if event.action == "reflection.accepted":
            return _("%(who)s accepted your reflection on “%(module)s”.", **words)
        return _("%(who)s returned your reflection on “%(module)s”: %(comment)s", comment=comment, **words)

    kind = "reflection_accepted" if event.action == "reflection.accepted" else "reflection_returned"
    return [(reflection.user_id, kind, message, "courses.module",
             {"slug": module.course.slug, "module_slug": module.slug})]


HANDLERS = {
    "hours.approved": _reviewed,
    "hours.returned": _reviewed,
    "hours.submitted": _submitted,
    "hours.edited": _submitted,
    "assignment.created": _assigned,
    "certificate.issued": _certificate,
    "certificate.renewed": _certificate,
    "certificate.extended": _certificate,
    "certificate.revoked": _certificate,
    "certificate.reinstated": _certificate,
    "quiz.attempt_allowed": _attempt_allowed,
    "attendance.confirmed": _confirmed,
    "attendance.changed": _corrected,
    "reflection.submitted": _reflection_sent,
    "reflection.accepted": _reflection_reviewed,
    "reflection.returned": _reflection_reviewed,
    "cohort.joined": _cohort_place,
    "cohort.waiting": _cohort_place,
    "evidence.submitted": _evidence_sent,
    "evidence.accepted": _evidence_reviewed,
    "evidence.returned": _evidence_reviewed,
}


# --- E-mail ----------------------------------------------------------------------------------------

def delivery_of(user):
    """'immediate' (the default) or 'digest'."""
    return db.session.scalar(select(NotificationSetting.delivery).where(
        NotificationSetting.user_id == user.id)) or "immediate"


def set_delivery(user, delivery):
    if delivery not in DELIVERIES:
        from training.errors import ServiceError

        raise ServiceError(_("Choose at once or a daily digest."), "delivery")
    setting = db.session.get(NotificationSetting, user.id)
    if setting is None:
        setting = NotificationSetting(user_id=user.id)
        db.session.add(setting)
    setting.delivery = delivery
    db.session.commit()


def _can_receive(user):
    return user is not None and user.active and user.password_hash is not None


def _claim(ids):
    """Mark these notifications as e-mailed; the ones this call claimed (none that another run took)."""
    claimed = []
    now = utcnow()
    for notification_id in ids:
        result = db.session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.emailed_at.is_(None)).values(emailed_at=now))
        if result.rowcount == 1:
            claimed.append(notification_id)
    db.session.commit()
    return claimed


def _link(notification):
    if not notification.endpoint:
        return external_url("notifications.index")
    return external_url(notification.endpoint, **(notification.link_args or {}))


def email_at_once(notification_ids, subject=None):
    """E-mail each of these notifications on its own, to the people who want them at once.

    ``subject`` (a function, called in each recipient's language) replaces the kind's subject."""
    from training.auth.models import User

    if not notification_ids:
        return 0
    digest_users = set(db.session.scalars(select(NotificationSetting.user_id).where(
        NotificationSetting.delivery == "digest")))
    notifications = db.session.scalars(select(Notification).where(Notification.id.in_(notification_ids),
                                                                  Notification.emailed_at.is_(None)))
    wanted = [n for n in notifications if n.user_id not in digest_users]
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({n.user_id for n in wanted})))}
    wanted = [n for n in wanted if _can_receive(people.get(n.user_id))]
    sent = 0
    by_id = {n.id: n for n in wanted}
    with loaded_across_commits():  # claiming commits; the notifications and people read above stay read
        for notification_id in _claim([n.id for n in wanted]):
            notification = by_id[notification_id]
            person = people[notification.user_id]
            with for_user(person):
                words = (subject or SUBJECTS.get(notification.kind, lambda: _("A notification")))()
            send_to(person, "notification", subject=words, message=notification.message_in(user_locale(person)),
                    link=_link(notification), account_link=external_url("auth.account"))
            sent += 1
    return sent


def send_digests(today=None):
    """Each person's notifications not yet e-mailed, in one message; at most one digest a day.

    Everyone whose notifications wait is included: those who chose the digest, and anyone
    whose e-mail at once did not go out (it is claimed before sending, so none is sent twice).
    Returns the number of digests sent.
    """
    from training.auth.models import User
    from training.reminders import claim

    today = today or date.today()
    waiting = select(Notification.user_id).where(Notification.emailed_at.is_(None)).distinct()
    people = list(db.session.scalars(select(User).where(User.id.in_(waiting), User.active,
                                                        User.password_hash.is_not(None)).order_by(User.id)))
    sent = 0
    for person in people:
        if not claim(person, "notification-digest", today.isoformat()):
            continue
        waiting_ids = list(db.session.scalars(select(Notification.id).where(
            Notification.user_id == person.id, Notification.emailed_at.is_(None)).order_by(Notification.id)))
        claimed = _claim(waiting_ids)
        if not claimed:
            continue
        notifications = list(db.session.scalars(select(Notification).where(Notification.id.in_(claimed))
                                                .order_by(Notification.id)))
        send_to(person, "notification_digest", items=[(n.message_in(user_locale(person)), _link(n)) for n in notifications],
                all_link=external_url("notifications.index"), account_link=external_url("auth.account"))
        sent += 1
    return sent


# --- Reading -------------------------------------------------------------------------------------

def unread_count_of(user_id):
    """How many of the person's notifications are unread, as a scalar subquery for ``user_id``."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def unread_count(user):
    return db.session.scalar(select(unread_count_of(user.id)))


def notifications_of(user, limit=100):
    """The person's latest notifications, newest first."""
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_read(user, notification_id=None):
    """Mark one of the person's notifications as read, or all of them; returns how many changed."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    changed = db.session.execute(query.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed


def opened(user, notification_id):
    """The person's notification ``notification_id``, marked read now if it was not; None if it is
    not theirs."""
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def link_for(notification):
    """The in-app link of a notification."""
    if not notification.endpoint:
        return url_for("notifications.index")
    try:
        return url_for(notification.endpoint, **(notification.link_args or {}))
    except BuildError:  # an endpoint renamed since: the list still shows the message
        return url_for("notifications.index")
