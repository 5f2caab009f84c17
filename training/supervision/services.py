"""Hours: logging, supervision sessions, approval, corrections and progress.

Problems a person can fix raise :class:`EntryError` naming the form field, and nothing is
saved. Views, the CLI and the demo data all go through these functions.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload, selectinload

from training import audit
from training.auth.models import SupervisorAssignment, User, UserRole
from training.credentials.services import categories_for, domains_for, hour_attributes_for
from training.db_types import utcnow
from training.errors import ServiceError
from training.extensions import db
from training.notifications.services import announce, settle_review_requests
from training.supervision.models import KINDS, LISTED_KINDS, Attachment, HourEntry, HourSummary, SupervisionSession
from training.supervision.privacy import identifier_message
from training.templating import format_date, format_number, local_domain_text

COUNTED = ("pending", "approved", "returned")  # entries that take up time in a day
ALLOWED_UPLOADS = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}


class EntryError(ServiceError):
    """An hour entry, review or session refused, with the field it concerns."""


class AlreadySent(Exception):
    """A form was sent again: ``made`` is what its first sending made (an hour entry from the
    hours form, a supervision session from the session form)."""

    def __init__(self, made):
        super().__init__(made.id)
        self.made = made

    @property
    def entry(self):
        return self.made


# --- Checks ----------------------------------------------------------------------------------

def check_text(value, field):
    message = identifier_message(value or "")
    if message:
        raise EntryError(message, field)


def check_day(occurred_on, today=None, field="occurred_on"):
    today = today or date.today()
    if occurred_on > today:
        raise EntryError(_("The date cannot be in the future."), field)
    window = current_app.config["HOURS_BACKDATE_DAYS"]
    if occurred_on < today - timedelta(days=window):
        raise EntryError(_("Hours can be logged up to %(days)s days back. For older hours, ask your programme "
                           "administrator.", days=window), field)


def check_minutes(minutes, field="hours"):
    if minutes is None or minutes <= 0:
        raise EntryError(_("Enter a duration greater than zero."), field)
    if minutes % 15:
        raise EntryError(_("Enter the duration in quarter hours, such as 1.25 or 2.5."), field)
    if minutes > 24 * 60:
        raise EntryError(_("A day has only 24 hours."), field)


def check_day_total(trainee, occurred_on, minutes, exclude_id=None, field="hours", own=False):
    """No more than 24 hours on one day; ``own``: said to the trainee about their own hours."""
    query = select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
        HourEntry.trainee_id == trainee.id, HourEntry.occurred_on == occurred_on, HourEntry.status.in_(COUNTED))
    if exclude_id:
        query = query.where(HourEntry.id != exclude_id)
    logged = db.session.scalar(query)
    if logged + minutes > 24 * 60:
        left = max(0, 24 * 60 - logged) / 60
        if own:
            raise EntryError(_("You already have %(logged)s hours on that day; at most %(left)s more fit in 24 "
                               "hours.", logged=format_number(logged / 60), left=format_number(left)), field)
        raise EntryError(_("%(name)s already has %(logged)s hours on that day; at most %(left)s more fit in 24 hours.",
                           name=trainee.full_name, logged=format_number(logged / 60), left=format_number(left)),
                         field)


def check_domain(trainee, domain, field="domain"):
    if domain not in domains_for(trainee):
        raise EntryError(_("Choose one of the domains listed."), field)


def readable_size(size):
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_number(size / 1024 / 1024))
    if size >= 1024:
        return _("%(size)s KB", size=format_number(round(size / 1024)))
    return ngettext("%(num)d byte", "%(num)d bytes", size)


# What to upload, by the ``what`` a caller names; other names get the general message.
UPLOAD_AS = {
    "certificate": _l("Upload the certificate as a PDF, PNG or JPEG file."),
    "document": _l("Upload the document as a PDF, PNG or JPEG file."),
    "evidence": _l("Upload the evidence as a PDF, PNG or JPEG file."),
}


def read_upload(storage, owner, field="certificate", what="certificate"):
    """Check an uploaded file by its content and size; return an unsaved Attachment."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = storage.read(limit + 1)
    storage.close()
    if not data:
        raise EntryError(_("The file is empty."), field)
    if len(data) > limit:
        raise EntryError(_("The file is larger than %(size)s.", size=readable_size(limit)), field)
    kind = next((v for magic, v in ALLOWED_UPLOADS.items() if data.startswith(magic)), None)
    if kind is None:
        raise EntryError(str(UPLOAD_AS.get(what, _l("Upload the file as a PDF, PNG or JPEG file."))), field)
    content_type, extension = kind
    name = (storage.filename or what).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    name = "".join(ch for ch in name if ch.isprintable()) or what
    if not name.lower().endswith(extension) and not (extension == ".jpg" and name.lower().endswith(".jpeg")):
        name += extension
    return Attachment(owner_id=owner.id, filename=name, content_type=content_type, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), data=data)


# --- Entries ---------------------------------------------------------------------------------

def current_supervisor(trainee, on=None, excluding=None):
    """The trainee's supervisor today (the most recent assignment in force), or None; ``excluding``
    leaves one assignment out, to say who would supervise without it."""
    query = (select(User).join(SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
             .where(SupervisorAssignment.trainee_id == trainee.id, SupervisorAssignment.current_filter(on), User.active,
                    User.roles.any(UserRole.role == "supervisor"))
             .order_by(SupervisorAssignment.starts_on.desc(), SupervisorAssignment.id.desc()).limit(1))
    if excluding is not None:
        query = query.where(SupervisorAssignment.id != excluding.id)
    return db.session.scalar(query)


def reassign_pending(trainee):
    """Send the trainee's entries waiting for approval to their supervisor today, or to nobody.

    Called when an assignment starts or ends: an entry with no supervisor waits for the
    administrators. Returns how many entries moved.
    """
    supervisor = current_supervisor(trainee)
    target = supervisor.id if supervisor else None
    moved = 0
    for entry in db.session.scalars(waiting_elsewhere(trainee.id, target)):
        entry.supervisor_id, moved = target, moved + 1
    return moved


def waiting_elsewhere(trainee_id, supervisor_id):
    """The trainee's entries waiting for approval that are not with ``supervisor_id`` (None: not
    with the administrators), as a query."""
    return select(HourEntry).where(HourEntry.trainee_id == trainee_id, HourEntry.status == "pending",
                                   HourEntry.supervisor_id.is_distinct_from(supervisor_id))


@dataclass
class EntryInput:
    kind: str
    occurred_on: date
    minutes: int
    domain: str
    organisation: str = ""
    note: str = ""
    provider: str = ""
    supervision_format: str | None = None
    attributes: tuple = ()   # keys of the credential's hour_attributes that apply
    category: str = ""       # continuing-education category of external training


def _check_entry(trainee, data, exclude_id=None, has_attachment=False):
    if data.kind not in ("service", "training", "supervision"):
        raise EntryError(_("Choose what kind of hours these are."), "kind")
    check_day(data.occurred_on)
    check_minutes(data.minutes)
    check_domain(trainee, data.domain)
    check_day_total(trainee, data.occurred_on, data.minutes, exclude_id, own=True)
    for field in ("organisation", "note", "provider"):
        check_text(getattr(data, field), field)
    if data.kind == "training":
        if not data.provider.strip() and not has_attachment:  # both at once, not one visit each
            raise EntryError(_("Enter who provided the training, and upload its certificate (PDF, PNG or JPEG)."),
                             "provider")
        if not data.provider.strip():
            raise EntryError(_("Enter who provided the training."), "provider")
        if not has_attachment:
            raise EntryError(_("Upload the training certificate (PDF, PNG or JPEG)."), "certificate")
    if data.kind == "supervision" and data.supervision_format not in ("individual", "group"):
        raise EntryError(_("Say whether the supervision was individual or in a group."), "supervision_format")
    allowed = {a.key for a in hour_attributes_for(trainee, data.kind)}
    if set(data.attributes) - allowed:
        raise EntryError(_("Tick only the statements listed for this kind of hours."), "attributes")
    if data.category and (data.kind != "training" or data.category not in categories_for(trainee)):
        raise EntryError(_("Choose one of the continuing-education categories listed."), "category")


def _values(data):
    return {"kind": data.kind, "occurred_on": data.occurred_on, "minutes": data.minutes, "domain": data.domain,
            "organisation": data.organisation.strip(), "note": data.note.strip(),
            "provider": data.provider.strip() if data.kind == "training" else "",
            "supervision_format": data.supervision_format if data.kind == "supervision" else None,
            "attributes": ",".join(sorted(set(data.attributes))),
            "category": data.category if data.kind == "training" else ""}


def sent_before(trainee, submission_key):
    """The entry a form with this key already made, if it was sent before."""
    if not submission_key:
        return None
    return db.session.scalar(select(HourEntry).where(HourEntry.trainee_id == trainee.id,
                                                     HourEntry.submission_key == submission_key))


def log_entry(trainee, data, upload=None, submission_key=None):
    """Record hours for approval by the trainee's current supervisor.

    ``submission_key`` is the sending form's random key: a form sent twice (a double click, a
    retry over a poor connection) makes one entry. Raises ``AlreadySent`` with that entry then.
    """
    earlier = sent_before(trainee, submission_key)
    if earlier is not None:
        raise AlreadySent(earlier)
    attachment = read_upload(upload, trainee) if upload is not None and upload.filename else None
    _check_entry(trainee, data, has_attachment=attachment is not None)
    entry = HourEntry(trainee_id=trainee.id, supervisor_id=getattr(current_supervisor(trainee), "id", None),
                      attachment=attachment if data.kind == "training" else None, submission_key=submission_key or None,
                      **_values(data))
    db.session.add(entry)
    _flush_once(lambda: sent_before(trainee, submission_key))
    event = audit.record("hours.submitted", actor=trainee, subject=trainee, entry=entry.id, kind=entry.kind,
                         minutes=entry.minutes, occurred_on=entry.occurred_on.isoformat())
    db.session.commit()
    announce(event)
    return entry


AUDITED_CHANGES = ("kind", "occurred_on", "minutes", "domain", "organisation", "provider", "supervision_format",
                   "attributes", "category")


def _audited(value):
    """An entry's field as the audit log keeps it: days as ISO dates, nothing as None."""
    if value in (None, ""):
        return None
    return value.isoformat() if isinstance(value, date) else value


def edit_entry(trainee, entry, data, upload=None):
    """Change a pending or returned entry; it goes back to the supervisor for approval."""
    if entry.trainee_id != trainee.id or not entry.editable:
        raise EntryError(_("Only your own entries waiting for approval or returned to you can be changed."))
    attachment = read_upload(upload, trainee) if upload is not None and upload.filename else None
    _check_entry(trainee, data, exclude_id=entry.id, has_attachment=bool(attachment or entry.attachment_id))
    values, before, after = _values(data), {}, {}
    note_changed = (entry.note or "") != values["note"]
    for name, value in values.items():
        if name in AUDITED_CHANGES and _audited(getattr(entry, name)) != _audited(value):
            before[name], after[name] = _audited(getattr(entry, name)), _audited(value)
        setattr(entry, name, value)
    if attachment is not None:
        entry.attachment = attachment
    if data.kind != "training":
        entry.attachment = None
    entry.status, entry.submitted_at = "pending", utcnow()
    entry.supervisor_id = getattr(current_supervisor(trainee), "id", None)
    # What changed, as a correction records it; the note is the trainee's own words, and only its change is noted.
    event = audit.record("hours.edited", actor=trainee, subject=trainee, entry=entry.id, before=before, after=after,
                         note_changed=note_changed or None)
    db.session.commit()
    announce(event)
    return entry


def withdraw_entry(trainee, entry):
    if entry.trainee_id != trainee.id or not entry.editable:
        raise EntryError(_("Only your own entries waiting for approval or returned to you can be withdrawn."))
    entry.status = "withdrawn"
    audit.record("hours.withdrawn", actor=trainee, subject=trainee, entry=entry.id)
    settle_review_requests([(entry.supervisor_id, entry.trainee_id)])
    db.session.commit()


# --- Approval --------------------------------------------------------------------------------

def entry_digest(entry, signed_name, signed_at):
    """SHA-256 over the entry's facts and the signature, so later changes are detectable."""
    facts = {"entry": entry.id, "trainee": entry.trainee_id, "kind": entry.kind,
             "occurred_on": entry.occurred_on.isoformat(), "minutes": entry.minutes, "domain": entry.domain,
             "organisation": entry.organisation, "note": entry.note, "provider": entry.provider,
             "format": entry.supervision_format, "signed_name": signed_name, "signed_at": signed_at.isoformat()}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def can_review(user, entry):
    """Whoever supervises the trainee today may review the entry; when nobody does, an administrator.

    A supervisor whose assignment has ended keeps no access, whatever the entry says it was sent to.
    """
    if user.has_role("supervisor") and entry.trainee_id in supervisee_ids(user):
        return True
    return user.is_admin and current_supervisor(entry.trainee) is None


def review_entries(supervisor, entries, decision, comment="", signed_name=""):
    """Approve or return each entry on its own; every approval carries its own signature.

    Approving needs the supervisor's full name typed as a signature; returning needs a
    comment saying what to change. Entries that are no longer pending are left alone.
    Returns the entries changed.
    """
    comment = (comment or "").strip()
    if decision not in ("approve", "return"):
        raise EntryError(_("Choose approve or return."), "decision")
    if decision == "approve" and not supervisor.signature(signed_name):
        raise EntryError(_("Type your full name exactly as it appears on your account (%(name)s) to sign.",
                           name=supervisor.full_name), "signed_name")
    if decision == "return" and not comment:
        raise EntryError(_("Say what needs to change so the trainee can correct it."), "comment")
    check_text(comment, "comment")
    return _apply(supervisor, [Decision(entry, decision, comment) for entry in entries], signed_name)


@dataclass
class Decision:
    """One entry's review: ``approve`` or ``return``, with its own comment."""

    entry: HourEntry
    decision: str
    comment: str = ""


class FieldProblems(EntryError):
    """A form refused, with one (field, message) per problem, so each can be shown where it belongs."""

    def __init__(self, problems):
        super().__init__(" ".join(message for _, message in problems), problems[0][0])
        self.problems = problems


class ReviewError(FieldProblems):
    """Review decisions refused."""


def review_each(supervisor, decisions, signed_name=""):
    """Approve or return several entries in one submission, each with its own comment.

    Every decision is checked before any is saved: a return without a comment, a comment that
    identifies someone, or approvals without the supervisor's typed name refuse the whole
    submission with one problem per field, and nothing changes. Returns the entries changed.
    """
    problems = []
    if not decisions:
        problems.append(("decisions", _("Choose approve or return for at least one entry.")))
    if any(d.decision == "approve" for d in decisions) and not supervisor.signature(signed_name):
        problems.append(("signed_name", _("Type your full name exactly as it appears on your account (%(name)s) "
                                          "to sign the approvals.", name=supervisor.full_name)))
    for decision in decisions:
        decision.comment = (decision.comment or "").strip()
        entry, where = decision.entry, f"comment-{decision.entry.id}"
        about = _("%(name)s, %(day)s, %(hours)s h", name=entry.trainee.full_name,
                  day=format_date(entry.occurred_on), hours=format_number(entry.minutes / 60))
        if decision.decision not in ("approve", "return"):
            problems.append((f"decision-{entry.id}", _("%(entry)s: Choose approve or return.", entry=about)))
        elif decision.decision == "return" and not decision.comment:
            problems.append((where, _("%(entry)s: Say what needs to change so the trainee can correct it.",
                                      entry=about)))
        message = identifier_message(decision.comment)
        if message:
            problems.append((where, _("%(entry)s: %(problem)s", entry=about, problem=message)))
    if problems:
        raise ReviewError(problems)
    return _apply(supervisor, decisions, signed_name)


def _still_waiting(entries):
    """The ids of ``entries`` still waiting for review, read again under a row lock: of two reviews
    of one entry at once (two supervisors, two tabs, a double click), the second waits for the first
    to commit and then finds it decided, rather than deciding it again over the first."""
    ids = [entry.id for entry in entries if entry.status == "pending"]
    if not ids:
        return set()
    return set(db.session.scalars(select(HourEntry.id).where(HourEntry.id.in_(ids), HourEntry.status == "pending")
                                  .with_for_update()))


def _apply(supervisor, decisions, signed_name):
    changed, events, decided = [], [], set()
    now = utcnow()
    waiting = _still_waiting([decision.entry for decision in decisions])
    for decision in decisions:
        entry = decision.entry
        if entry.id not in waiting or not can_review(supervisor, entry):
            continue
        decided |= {(entry.supervisor_id, entry.trainee_id), (supervisor.id, entry.trainee_id)}
        entry.supervisor_id, entry.reviewed_at, entry.review_comment = supervisor.id, now, decision.comment
        if decision.decision == "approve":
            entry.status, entry.signed_name = "approved", supervisor.signature(signed_name)
            entry.signature_hash = entry_digest(entry, entry.signed_name, now)
        else:
            entry.status = "returned"
        events.append(audit.record(f"hours.{'approved' if decision.decision == 'approve' else 'returned'}",
                                   actor=supervisor, subject=entry.trainee, entry=entry.id, minutes=entry.minutes,
                                   comment=decision.comment))
        changed.append(entry)
    settle_review_requests(decided)  # "sent for your review" is no longer news once nothing waits
    db.session.commit()
    announce(*events)
    return changed


def correct_entry(admin, entry, data, reason):
    """An administrator's correction of an approved entry, with a reason, in the audit log."""
    reason = (reason or "").strip()
    if entry.status != "approved":
        raise EntryError(_("Only approved entries are corrected here; others go back to the trainee."))
    if entry.attendance_id is not None:
        raise EntryError(_("These hours were credited by attendance at a live session: correct the attendance on "
                           "the session's roster instead, so the record and the hours stay together."))
    if not reason:
        raise EntryError(_("Give the reason for the correction."), "reason")
    check_text(reason, "reason")
    if data.occurred_on > date.today():  # corrections may reach back beyond the trainees' window
        raise EntryError(_("The date cannot be in the future."), "occurred_on")
    check_minutes(data.minutes)
    check_domain(entry.trainee, data.domain)
    check_day_total(entry.trainee, data.occurred_on, data.minutes, exclude_id=entry.id)
    before = {"occurred_on": entry.occurred_on.isoformat(), "minutes": entry.minutes, "domain": entry.domain}
    entry.occurred_on, entry.minutes, entry.domain = data.occurred_on, data.minutes, data.domain
    entry.corrected_at, entry.correction_reason = utcnow(), reason
    audit.record("hours.corrected", actor=admin, subject=entry.trainee, entry=entry.id, reason=reason,
                 before=before, after={"occurred_on": entry.occurred_on.isoformat(), "minutes": entry.minutes,
                                       "domain": entry.domain})
    db.session.commit()
    return entry


# --- Supervision sessions -----------------------------------------------------------------------

def caseload(supervisor, on=None):
    """A query of the ids of the trainees currently assigned to ``supervisor``."""
    return select(SupervisorAssignment.trainee_id).where(
        SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.current_filter(on))


def supervisees_of(supervisor, on=None):
    """Trainees currently assigned to ``supervisor``."""
    # Their roles are not shown beside them: left unloaded, they cost no statement.
    return list(db.session.scalars(
        select(User).options(lazyload(User.roles)).where(User.id.in_(caseload(supervisor, on)), User.active)
        .order_by(User.name_key, User.id)
    ))


def supervisee_ids(supervisor, on=None):
    return set(db.session.scalars(select(SupervisorAssignment.trainee_id).where(
        SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.current_filter(on))))


class SessionError(FieldProblems):
    """A supervision session refused."""


def session_problems(supervisor, fmt, occurred_on, minutes, domain, topics, trainee_ids, signed_name,
                     organisation="", attributes=()):
    """Every problem with a supervision session as (field, message) pairs, the first per field.

    A value given as None is not checked: the session form passes None for a field it has
    already refused, so that it shows its own problems and these in the same round."""
    problems = {}

    def refuse(field, message):
        problems.setdefault(field, message)

    def check(function, *args, **kwargs):
        try:
            function(*args, **kwargs)
        except EntryError as error:
            refuse(error.field, error.message)

    if fmt is not None and fmt not in ("individual", "group"):
        refuse("format", _("Choose individual or group supervision."))
    if occurred_on is not None:
        check(check_day, occurred_on)
    if minutes is not None:
        check(check_minutes, minutes)
    check(check_text, topics, "topics")
    check(check_text, organisation, "organisation")
    if signed_name is not None and not supervisor.signature(signed_name):
        refuse("signed_name", _("Type your full name exactly as it appears on your account (%(name)s) to sign.",
                                name=supervisor.full_name))
    trainees = _present(trainee_ids, fmt, supervisor, refuse) if trainee_ids is not None else []
    asked = {}
    for trainee in trainees:
        if domain is not None and domain not in domains_for(trainee):
            refuse("domain", _("%(domain)s is not a domain of %(name)s's credential. Choose another domain, or "
                               "log their session on its own.", domain=local_domain_text(domain)[0],
                               name=trainee.full_name))
        if occurred_on is not None and minutes is not None and "hours" not in problems:
            check(check_day_total, trainee, occurred_on, minutes, field="trainees")
        asked[trainee.id] = set(attributes) & {a.key for a in hour_attributes_for(trainee, "supervision")}
    if trainees and set(attributes) - set().union(*asked.values()):
        refuse("attributes", _("Tick only the statements listed for the supervisees present."))
    return list(problems.items())


def _present(trainee_ids, fmt, supervisor, refuse):
    """The supervisees present, when who was ticked fits the format; otherwise none, with the reason."""
    trainee_ids = sorted(set(trainee_ids))
    allowed = supervisee_ids(supervisor)  # only supervisees today: an ended assignment grants nothing
    if not trainee_ids:
        refuse("trainees", _("Choose who was present."))
    elif any(t not in allowed for t in trainee_ids):
        refuse("trainees", _("You can log supervision only for your own supervisees."))
    elif fmt == "individual" and len(trainee_ids) != 1:
        refuse("trainees", _("Individual supervision is with one supervisee; choose group for more."))
    elif fmt == "group" and len(trainee_ids) < 2:
        refuse("trainees", _("A group session needs at least two supervisees present."))
    else:
        return [db.session.get(User, t) for t in trainee_ids]
    return []


def session_sent_before(supervisor, submission_key):
    """The session a form with this key already logged, if it was sent before."""
    if not submission_key:
        return None
    return db.session.scalar(select(SupervisionSession).join(HourEntry, HourEntry.session_id == SupervisionSession.id)
                             .where(SupervisionSession.supervisor_id == supervisor.id,
                                    HourEntry.submission_key == submission_key).limit(1))


def log_session(supervisor, fmt, occurred_on, minutes, domain, topics, trainee_ids, signed_name, organisation="",
                attributes=(), submission_key=None):
    """Record a supervision session and, for each supervisee present, a signed hour entry.

    ``organisation`` is the work setting the entries count at in verification reports (empty:
    the supervisor's own). Each entry carries those of ``attributes`` its trainee's credentials
    ask of supervision; one that no present trainee's credential asks about is refused.

    ``submission_key`` is the sending form's random key, kept on each entry as the hours form
    keeps its own: a form sent twice (a double click, a resend) logs one session. Raises
    ``AlreadySent`` with that session then."""
    earlier = session_sent_before(supervisor, submission_key)
    if earlier is not None:
        raise AlreadySent(earlier)
    problems = session_problems(supervisor, fmt, occurred_on, minutes, domain, topics, trainee_ids, signed_name,
                                organisation, attributes)
    if problems:
        raise SessionError(problems)
    trainees = [db.session.get(User, t) for t in sorted(set(trainee_ids))]
    attributes = set(attributes)
    asked = {t.id: attributes & {a.key for a in hour_attributes_for(t, "supervision")} for t in trainees}
    now = utcnow()
    session = SupervisionSession(supervisor_id=supervisor.id, format=fmt, occurred_on=occurred_on, minutes=minutes,
                                 domain=domain, topics=(topics or "").strip(),
                                 signed_name=supervisor.signature(signed_name))
    db.session.add(session)
    for trainee in trainees:
        entry = HourEntry(trainee_id=trainee.id, kind="supervision", occurred_on=occurred_on, minutes=minutes,
                          domain=domain, supervision_format=fmt, session=session, status="approved",
                          supervisor_id=supervisor.id, reviewed_at=now, signed_name=session.signed_name,
                          note=session.topics, organisation=(organisation or "").strip(),
                          attributes=",".join(sorted(asked[trainee.id])), submission_key=submission_key or None)
        db.session.add(entry)
        _flush_once(lambda: session_sent_before(supervisor, submission_key))
        entry.signature_hash = entry_digest(entry, entry.signed_name, now)
    audit.record("supervision.logged", actor=supervisor, session=session.id, format=fmt, minutes=minutes,
                 trainees=[t.email for t in trainees], organisation=(organisation or "").strip())
    db.session.commit()
    return session


def _flush_once(sent_earlier):
    """Flush what a form adds. When the same form, sent a moment earlier by another request, stored
    it first (its one-time key is taken), raise AlreadySent with that: ``sent_earlier()`` finds it."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        earlier = sent_earlier()
        if earlier is None:
            raise
        raise AlreadySent(earlier) from None


# --- Progress ----------------------------------------------------------------------------------

def week_start(day):
    return day - timedelta(days=day.weekday())


def weekly_minutes(trainee, weeks=26, today=None):
    """Approved minutes per week and kind for the last ``weeks`` weeks, oldest first."""
    today = today or date.today()
    first = week_start(today) - timedelta(weeks=weeks - 1)
    rows = db.session.execute(
        select(HourEntry.occurred_on, HourEntry.kind, func.sum(HourEntry.minutes))
        .where(HourEntry.trainee_id == trainee.id, HourEntry.status == "approved", HourEntry.occurred_on >= first)
        .group_by(HourEntry.occurred_on, HourEntry.kind)
    ).all()
    series = {first + timedelta(weeks=i): {"service": 0, "training": 0, "supervision": 0} for i in range(weeks)}
    for day, kind, minutes in rows:
        series[week_start(day)][kind] += int(minutes)
    return list(series.items())


def cumulative_progress(trainee, items, weeks):
    """Per hour requirement of work and supervision, the share done at the end of each week shown."""
    first = weeks[0][0]
    before = dict(db.session.execute(
        select(HourEntry.kind, func.sum(HourEntry.minutes))
        .where(HourEntry.trainee_id == trainee.id, HourEntry.status == "approved", HourEntry.occurred_on < first)
        .group_by(HourEntry.kind)).all())
    lines = []
    for item in items:
        kind = {"work": "service", "supervision": "supervision"}.get(item.key)
        if kind is None or not item.minutes_required:
            continue
        total, points = int(before.get(kind, 0)), []
        for start, kinds in weeks:
            total += kinds[kind]
            points.append((start, min(100.0, 100 * total / item.minutes_required)))
        lines.append((item, points))
    return lines


@dataclass(frozen=True)
class HourFilter:
    """What a trainee narrows their hours page to; None means any."""
    status: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def conditions(self, trainee, with_status=True):
        found = [HourEntry.trainee_id == trainee.id]
        if with_status and self.status:
            found.append(HourEntry.status == self.status)
        if self.kind:
            found.append(HourEntry.kind == self.kind)
        if self.date_from:
            found.append(HourEntry.occurred_on >= self.date_from)
        if self.date_to:
            found.append(HourEntry.occurred_on <= self.date_to)
        return found


def filtered_entries(trainee, hour_filter):
    """The trainee's entries matching ``hour_filter``, newest first, as a query to page through."""
    return (select(HourEntry).where(*hour_filter.conditions(trainee))
            .order_by(HourEntry.occurred_on.desc(), HourEntry.id.desc()))


@dataclass(frozen=True)
class HourTotal:
    kind: str
    minutes: dict     # status -> minutes
    entries: int

    @property
    def label(self):
        return LISTED_KINDS[self.kind]


def hour_totals(trainee, hour_filter):
    """Minutes per kind and status of the entries matching the filter's kind and dates.

    One grouped query over the trainee's rows (the totals index covers it); the status filter
    is left out so the page shows approved and waiting hours side by side whichever tab is open.
    """
    rows = db.session.execute(
        select(HourEntry.kind, HourEntry.status, func.sum(HourEntry.minutes), func.count())
        .where(*hour_filter.conditions(trainee, with_status=False))
        .group_by(HourEntry.kind, HourEntry.status))
    minutes, counts = {}, {}
    for kind, status, total, count in rows:
        minutes.setdefault(kind, {})[status] = int(total or 0)
        counts[kind] = counts.get(kind, 0) + count
    return [HourTotal(kind, minutes[kind], counts[kind]) for kind in KINDS if kind in minutes]


def _pending_filter(user):
    """Entries ``user`` reviews: from their supervisees today, and, for administrators, from
    trainees nobody supervises today."""
    reviews = []
    if user.has_role("supervisor"):
        reviews.append(HourEntry.trainee_id.in_(select(SupervisorAssignment.trainee_id).where(
            SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.current_filter())))
    if user.is_admin:
        waiting = unsupervised_waiting()
        if len(waiting) <= NAMED_AT_MOST:
            reviews.append(HourEntry.trainee_id.in_(list(waiting)))
        else:  # too many to name in a statement: found again by it
            reviews.append(HourEntry.trainee_id.in_(_waiting_unsupervised(HourSummary.trainee_id)))
    return (HourEntry.status == "pending") & or_(false(), *reviews)


# The unsupervised trainees a statement names by id at most; beyond, it finds them itself.
NAMED_AT_MOST = 500


def unsupervised_waiting():
    """``{trainee id: entries waiting}`` for the trainees with entries waiting and nobody to
    supervise them today: the administrators review those entries.

    Found from the trainees' running totals (checked entry by entry, every waiting entry of the
    programme was read) and matched against every assignment in force, which grows with the
    programme: so it is worked out once per request, and the review queue's two lists and the
    dashboard's count name the few trainees it finds."""
    if has_request_context() and "unsupervised_waiting" in g:
        return g.unsupervised_waiting
    waiting = dict(db.session.execute(_waiting_unsupervised(HourSummary.trainee_id, HourSummary.pending_count)).all())
    if has_request_context():
        g.unsupervised_waiting = waiting
    return waiting


def pending_for(user, limit, trainee_id=None):
    """Entries waiting for ``user``'s review, oldest first; of one trainee when ``trainee_id`` is given."""
    query = select(HourEntry).where(_pending_filter(user))
    if trainee_id is not None:
        query = query.where(HourEntry.trainee_id == trainee_id)
    # The trainees' roles are not shown beside their entries: left unloaded, they cost no statement.
    return list(db.session.scalars(query.options(selectinload(HourEntry.trainee).lazyload(User.roles))
                                   .order_by(HourEntry.submitted_at, HourEntry.id).limit(limit)))


def same_certificate_elsewhere(entries):
    """Other entries of the same trainee, waiting or approved, that carry the same certificate file
    (the same bytes, uploaded again or not) as one of ``entries``: ``{entry id: [entry, ...]}``, by day.

    One certificate may honestly cover days logged apart, so the platform accepts it; a reviewer
    sees it, so that the same training is not counted twice by mistake. One statement, none when
    no entry has a certificate."""
    ids = [e.id for e in entries if e.attachment_id]
    if not ids:
        return {}
    this, other = aliased(HourEntry), aliased(HourEntry)
    its_file, other_file = aliased(Attachment), aliased(Attachment)
    rows = db.session.execute(
        select(this.id, other).join(its_file, its_file.id == this.attachment_id)
        .join(other_file, and_(other_file.owner_id == its_file.owner_id, other_file.sha256 == its_file.sha256))
        .join(other, and_(other.attachment_id == other_file.id, other.id != this.id,
                          other.trainee_id == this.trainee_id))
        .where(this.id.in_(ids), other.status.in_(("pending", "approved")))
        .order_by(other.occurred_on, other.id))
    found = {}
    for entry_id, twin in rows:
        found.setdefault(entry_id, []).append(twin)
    return found


class Named(NamedTuple):
    """A person by id and name, for lists that show nothing else of them."""
    id: int
    full_name: str


def pending_by_trainee(user):
    """(trainee, entries, minutes) waiting for ``user``'s review, per trainee, in name order: one
    statement. Each trainee is named only (``id`` and ``full_name``): a caseload of hundreds is
    listed without loading their accounts."""
    rows = db.session.execute(
        select(User.id, User.full_name, func.count(HourEntry.id), func.sum(HourEntry.minutes))
        .join(HourEntry, HourEntry.trainee_id == User.id).where(_pending_filter(user))
        .group_by(User.id, User.full_name, User.name_key).order_by(User.name_key, User.id)).all()
    return [(Named(trainee_id, name), int(count), int(minutes or 0)) for trainee_id, name, count, minutes in rows]


def _unsupervised(trainee_id):
    """Whether the trainee whose id is in ``trainee_id`` has nobody to supervise them today.

    The assignments in force are matched against the set of supervisors who can act: joined row by
    row, PostgreSQL expects few assignments in force and looks their supervisor up once for each,
    twice as slow at 10,000 trainees."""
    acting = select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
        UserRole.role == "supervisor", User.active)
    return trainee_id.not_in(select(SupervisorAssignment.trainee_id).where(
        SupervisorAssignment.current_filter(), SupervisorAssignment.supervisor_id.in_(acting)))


def _waiting_unsupervised(*columns):
    return select(*columns).where(HourSummary.pending_count > 0, _unsupervised(HourSummary.trainee_id))


def unsupervised_pending_count():
    """Entries waiting for approval from trainees nobody supervises today: the administrators review them."""
    return sum(unsupervised_waiting().values())


def returned_count(trainee):
    """The trainee's entries returned for changes and not yet sent again."""
    return db.session.scalar(select(func.count()).select_from(HourEntry).where(
        HourEntry.trainee_id == trainee.id, HourEntry.status == "returned"))


def pending_count(user):
    return db.session.scalar(select(func.count()).select_from(HourEntry).where(_pending_filter(user)))
