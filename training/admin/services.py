"""Administration: people, roles, supervisor assignments and the audit log."""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload, undefer

from training import audit
from training.audit import AuditEvent, with_people
from training.auth.models import ACCOUNT_STATUSES, ROLES, SupervisorAssignment, User, UserRole, matching_name_or_email
from training.auth.services import AccountError, retire_tokens
from training.db_types import utcnow
from training.extensions import db
from training.http import page_count
from training.supervision.services import current_supervisor, reassign_pending, waiting_elsewhere


def people_query(search="", role="", status=""):
    """People matching a free-text search, a role and a status (a key of ``ACCOUNT_STATUSES``), ordered
    by name, each with their status."""
    query = select(User).options(undefer(User.registration_unconfirmed)).order_by(User.name_key, User.id)
    if (search or "").strip():
        query = query.where(matching_name_or_email(search))
    if role in ROLES:
        query = query.where(User.roles.any(UserRole.role == role))
    if status in ACCOUNT_STATUSES:
        query = query.where(account_status_is(status))
    return query


def account_status_is(status):
    """The condition for accounts whose ``User.account_status`` is ``status``, in SQL: for the people
    list's filter and the counts that link to it."""
    if status == "active":
        return and_(User.active, User.password_hash.is_not(None))
    if status == "invited":
        return and_(User.active, User.password_hash.is_(None), ~User.registration_unconfirmed)
    if status == "registered":
        return and_(User.active, User.registration_unconfirmed)
    return User.active.is_(False)


def current_supervisors(trainee_ids, today):
    """Each trainee's supervisors on ``today``, by trainee id, in one statement (``trainee_ids``:
    a list, or a query of ids, which spares a statement with thousands of parameters)."""
    rows = db.session.execute(
        select(SupervisorAssignment.trainee_id, User).join(User, User.id == SupervisorAssignment.supervisor_id)
        .where(SupervisorAssignment.trainee_id.in_(trainee_ids), SupervisorAssignment.starts_on <= today,
               or_(SupervisorAssignment.ends_on.is_(None), SupervisorAssignment.ends_on >= today))
        .order_by(User.name_key))
    found = {}
    for trainee_id, supervisor in rows:
        found.setdefault(trainee_id, []).append(supervisor)
    return found


def change_roles(actor, user, roles):
    """Give ``user`` these roles. Returns whether they changed, and how many entries waiting for
    review moved because the supervisor role was taken away."""
    roles = set(roles)
    if not roles:
        raise AccountError(_("A person needs at least one role."), "roles")
    if user.id == actor.id and "admin" not in roles:
        raise AccountError(_("You cannot remove your own administrator role."), "roles")
    before = sorted(user.role_names)
    if before == sorted(roles):
        return False, 0
    user.set_roles(roles)
    if "trainee" in roles and user.programme_started_on is None:
        user.programme_started_on = date.today()
    db.session.flush()
    # A supervisor who loses the role no longer reviews, and one who gets it back reviews again.
    moved = _move_pending_of_supervisees(user) if ("supervisor" in before) != ("supervisor" in roles) else 0
    audit.record("user.roles_changed", actor=actor, subject=user, before=before, after=sorted(roles),
                 **({"entries_moved": moved} if moved else {}))
    db.session.commit()
    return True, moved


def deactivate(actor, user, reason=""):
    """Stop a person signing in; keep every record of what they did."""
    if user.id == actor.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if not user.active:
        return False
    user.active = False
    user.deactivated_at = utcnow()
    user.rotate_session_token()
    retire_tokens(user)  # reactivation must not bring an old invitation or reset link back to life
    db.session.flush()
    moved = _move_pending_of_supervisees(user)
    audit.record("user.deactivated", actor=actor, subject=user, reason=reason.strip(),
                 **({"entries_moved": moved} if moved else {}))
    db.session.commit()
    return True


def reactivate(actor, user):
    if user.active:
        return False
    user.active = True
    user.deactivated_at = None
    retire_tokens(user)  # links from before the deactivation stay dead; send a new invitation if needed
    db.session.flush()
    _move_pending_of_supervisees(user)
    audit.record("user.reactivated", actor=actor, subject=user)
    db.session.commit()
    return True


def assign_supervisor(actor, trainee, supervisor, starts_on, ends_on=None):
    if supervisor.id == trainee.id:
        raise AccountError(_("A person cannot supervise themselves."), "supervisor_id")
    if not supervisor.has_role("supervisor") or not supervisor.active:
        raise AccountError(_("Choose an active person with the supervisor role."), "supervisor_id")
    if not trainee.has_role("trainee"):
        raise AccountError(_("Only trainees can be given a supervisor."))
    if ends_on is not None and ends_on < starts_on:
        raise AccountError(_("The end date must be on or after the start date."), "ends_on")
    overlapping = db.session.scalar(select(SupervisorAssignment).where(
        SupervisorAssignment.trainee_id == trainee.id,
        SupervisorAssignment.supervisor_id == supervisor.id,
        or_(SupervisorAssignment.ends_on.is_(None), SupervisorAssignment.ends_on >= starts_on),
        SupervisorAssignment.starts_on <= (ends_on or date.max),
    ))
    if overlapping is not None:
        raise AccountError(_("%(supervisor)s already supervises %(trainee)s in that period.",
                             supervisor=supervisor.full_name, trainee=trainee.full_name), "supervisor_id")
    assignment = SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                      starts_on=starts_on, ends_on=ends_on)
    db.session.add(assignment)
    db.session.flush()
    moved = reassign_pending(trainee)
    event = audit.record("assignment.created", actor=actor, subject=trainee, supervisor=supervisor.email,
                         starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat() if ends_on else None,
                         **({"entries_moved": moved} if moved else {}))
    db.session.commit()
    from training.notifications.services import announce

    announce(event)
    return assignment


@dataclass
class Ending:
    """What ending an assignment on a day would do, for the page that asks to confirm it."""

    ends_on: date
    from_day: date  # the first day without this supervisor: the day after, or today when that has passed
    successor: User | None  # who supervises the trainee from then (None: the administrators)
    moving: int  # entries waiting for approval that go to the successor at once


def ending_of(assignment, ends_on):
    """What ending ``assignment`` on ``ends_on`` would do, changing nothing."""
    _check_end(assignment, ends_on)
    today = date.today()
    from_day = max(today, ends_on + timedelta(days=1))
    successor = current_supervisor(assignment.trainee, on=from_day, excluding=assignment)
    moving = 0
    if ends_on < today:  # the entries waiting go at once to whoever supervises the trainee today, as on ending
        now = current_supervisor(assignment.trainee, excluding=assignment)
        moving = db.session.scalar(select(func.count()).select_from(
            waiting_elsewhere(assignment.trainee_id, now.id if now else None).subquery()))
    return Ending(ends_on, from_day, successor, moving)


def _check_end(assignment, ends_on):
    if ends_on < assignment.starts_on:
        raise AccountError(_("The end date must be on or after the start date."), "ends_on")


def end_assignment(actor, assignment, ends_on):
    """End an assignment; the trainee's waiting entries go to their supervisor today, or to the administrators."""
    _check_end(assignment, ends_on)
    assignment.ends_on = ends_on
    db.session.flush()
    moved = reassign_pending(assignment.trainee)
    audit.record("assignment.ended", actor=actor, subject=assignment.trainee,
                 supervisor=assignment.supervisor.email, ends_on=ends_on.isoformat(),
                 **({"entries_moved": moved} if moved else {}))
    db.session.commit()
    return moved


def _move_pending_of_supervisees(supervisor):
    """After a supervisor stops (or starts again) being able to act, re-route their supervisees' waiting entries."""
    trainees = db.session.scalars(select(User).where(User.id.in_(select(SupervisorAssignment.trainee_id).where(
        SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.current_filter()))))
    return sum(reassign_pending(trainee) for trainee in trainees)


def joined_at(user):
    """When the person set up their account: the invitation accepted, or the account's creation
    (self-registration, the command line); None while an invitation waits."""
    if not user.has_accepted_invitation:
        return None
    accepted = db.session.scalar(select(AuditEvent.created_at).where(
        AuditEvent.subject_id == user.id, AuditEvent.action == "user.invitation_accepted")
        .order_by(AuditEvent.id).limit(1))
    return accepted or user.created_at


def assignments_of(user):
    """Assignments where ``user`` is the trainee or the supervisor, newest first."""
    return list(db.session.scalars(
        select(SupervisorAssignment)
        .where(or_(SupervisorAssignment.trainee_id == user.id, SupervisorAssignment.supervisor_id == user.id))
        .order_by(SupervisorAssignment.starts_on.desc(), SupervisorAssignment.id.desc())
    ))


def audit_query(action="", person="", date_from=None, date_to=None):
    """Audit events filtered by action, a person (as actor or subject) and dates, newest first."""
    query = (select(AuditEvent).options(*with_people())
             .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    if action:
        query = query.where(AuditEvent.action == action)
    if (person or "").strip():
        people = select(User.id).where(matching_name_or_email(person))
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_id.in_(people)))
    if date_from:
        query = query.where(AuditEvent.created_at >= _start_of(date_from))
    if date_to:
        query = query.where(AuditEvent.created_at < _start_of(date_to, days=1))
    return query


@dataclass
class LogPage:
    """One page of a long log, counted only up to ``limit``: past that, "more than" is enough, and
    the count costs the same however many years of events the log holds."""

    items: list
    page: int
    per_page: int
    counted: int
    limit: int
    has_next: bool

    @property
    def more(self):
        return self.counted > self.limit

    @property
    def pages(self):
        """The number of pages, or None when there are more than ``limit`` events."""
        return None if self.more else page_count(self.counted, self.per_page)

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1


def log_page(query, page, per_page=50, limit=10_000):
    """Page ``page`` of ``query`` (events newest first), with the events counted up to ``limit``."""
    counted = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(AuditEvent.id).order_by(None).limit(limit + 1).subquery()))
    if counted <= limit:
        page = min(page, page_count(counted, per_page))
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return LogPage(rows[:per_page], page, per_page, counted, limit, len(rows) > per_page)


def named_in(events):
    """The live sessions and cohorts that cohort and attendance events name by id, loaded together, so
    the log shows a session's topic and a cohort's title in the reader's language: ``{event id:
    {"session": topic, ...}}``. A cohort's training, and a live training's planned topics, which the
    events keep as written, are shown as their files translate them.
    (A supervision event's "session" is a supervision session: it keeps its id.)"""
    from training.cohorts.models import Cohort, CohortSession
    from training.cohorts.services import session_topic_in, training_title_in, with_cohort_shown
    from training.courses.models import Course
    from training.i18n import current_language

    live = [e for e in events if e.action.startswith(("attendance.", "cohort.")) and e.details]
    wanted = {key: {e.details[key] for e in live if isinstance(e.details.get(key), int)} for key in ("session", "cohort")}
    sessions = {s.id: session_topic_in(s) for s in db.session.scalars(select(CohortSession).options(
        *with_cohort_shown(CohortSession.cohort)).where(CohortSession.id.in_(wanted["session"])))} \
        if wanted["session"] else {}
    cohorts = {c.id: c for c in db.session.scalars(select(Cohort).options(
        joinedload(Cohort.live_training), selectinload(Cohort.course).selectinload(Course.translations),
        lazyload(Cohort.trainers)).where(Cohort.id.in_(wanted["cohort"])))} if wanted["cohort"] else {}
    language = current_language()
    named = {}
    for event in live:
        shown = named[event.id] = {}
        session, cohort = event.details.get("session"), _cohort_of(event, cohorts)
        if isinstance(session, int) and session in sessions:
            shown["session"] = sessions[session]
        if cohort is None:
            continue
        shown["cohort"] = cohort.title
        if event.action == "cohort.created" and event.details.get("training"):
            shown["training"] = training_title_in(cohort, language)
        if isinstance(event.details.get("topic"), str) and cohort.live_training is not None:
            shown["topic"] = cohort.live_training.topic_in(event.details["topic"], language)
    named.update(_courses_named_in(events))
    named.update(_quizzes_named_in(events))
    return named


def _cohort_of(event, cohorts):
    """The loaded cohort an event names by id, if it still exists."""
    cohort = event.details.get("cohort")
    return cohorts.get(cohort) if isinstance(cohort, int) else None


def _courses_named_in(events):
    """A completed course by its title in the reader's language, and the hours it credited by domain,
    where the event stores the course's slug and minutes by domain name as written."""
    from training.courses.models import Course
    from training.templating import format_hours, local_domain, local_title

    completed = [e for e in events if e.action == "course.completed" and e.details]
    slugs = {e.details.get("course") for e in completed} - {None}
    courses = {c.slug: c for c in db.session.scalars(select(Course).options(selectinload(Course.translations))
                                                     .where(Course.slug.in_(slugs)))} if slugs else {}
    named = {}
    for event in completed:
        shown = named[event.id] = {}
        if event.details.get("course") in courses:
            shown["course"] = local_title(courses[event.details["course"]])
        credited = event.details.get("credited")
        if isinstance(credited, dict) and all(isinstance(m, int) for m in credited.values()):
            shown["credited"] = Markup("; ").join(Markup("{}: {}").format(local_domain(domain), format_hours(minutes))
                                                  for domain, minutes in credited.items())
    return named


def _quizzes_named_in(events):
    """A quiz or exam an event names by id, by its title in the reader's language."""
    from training.courses.models import Course, Module
    from training.quizzes.models import Quiz

    ids = {e.details.get("quiz") for e in events if e.action.startswith("quiz.") and e.details} - {None}
    ids = {i for i in ids if isinstance(i, int)}
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.id.in_(ids)).options(
        selectinload(Quiz.course).selectinload(Course.translations),
        selectinload(Quiz.module).selectinload(Module.translations)))} if ids else {}
    return {e.id: {"quiz": quizzes[e.details["quiz"]].display_title} for e in events
            if e.action.startswith("quiz.") and e.details and e.details.get("quiz") in quizzes}


def _start_of(day, days=0):
    from datetime import UTC, datetime, time, timedelta

    return datetime.combine(day + timedelta(days=days), time.min, tzinfo=UTC)


@dataclass
class Waiting:
    """What waits for the programme's administrators, for their dashboard."""

    eligible: list   # (credential, how many trainees meet it with no certificate of it yet)
    evidence: int    # documents sent by trainees, not yet reviewed
    expiring: int    # valid certificates that expire within the reminder window, not yet renewed
    expiring_days: int
    unsupervised: int  # hour entries waiting with no supervisor to review them
    unconfirmed: int = 0  # live sessions ended more than a day ago whose attendance nobody confirmed

    def __bool__(self):
        return bool(self.eligible or self.evidence or self.expiring or self.unsupervised or self.unconfirmed)


def waiting_for_administrators(today, expiring_days):
    """The eligible trainees by credential in one statement; the documents, the certificates near
    expiry and the live sessions not confirmed in another; and the entries nobody supervises."""
    from training.certificates.models import Certificate
    from training.certificates.services import expiring_certificates
    from training.cohorts.models import CohortSession
    from training.credentials.models import Credential, Enrolment, Evidence
    from training.supervision.services import unsupervised_pending_count

    # Counted per credential, so that each count reads that credential's eligible enrolments by their index.
    held = select(Certificate.id).where(Certificate.user_id == Enrolment.user_id,
                                        Certificate.credential_id == Enrolment.credential_id)
    trainee = select(User.id).where(User.id == Enrolment.user_id, User.active,
                                    User.roles.any(UserRole.role == "trainee"))
    count = (select(func.count()).select_from(Enrolment)
             .where(Enrolment.credential_id == Credential.id, Enrolment.eligible, Enrolment.ended_on.is_(None),
                    trainee.exists(), ~held.exists()).scalar_subquery())
    eligible = [(credential, number) for credential, number in db.session.execute(
        select(Credential, count).where(Credential.active).order_by(Credential.title)) if number]
    expiring = expiring_certificates(today, expiring_days).with_only_columns(func.count()).scalar_subquery()
    # A day to confirm after the session ends; until then the trainees' training hours are not credited.
    unconfirmed = select(func.count()).select_from(CohortSession).where(
        CohortSession.confirmed_at.is_(None), CohortSession.ends_at < utcnow() - timedelta(days=1)).scalar_subquery()
    evidence, expiring, unconfirmed = db.session.execute(select(
        select(func.count()).select_from(Evidence).where(Evidence.status == "submitted").scalar_subquery(),
        expiring, unconfirmed)).one()
    return Waiting(eligible=eligible, evidence=evidence, expiring=expiring, expiring_days=expiring_days,
                   unsupervised=unsupervised_pending_count(), unconfirmed=unconfirmed)
