"""The audit log: who did what, to whom, when, with details.

Every feature records its state changes here through :func:`record`; rows are never
updated or deleted.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from training.db_types import UTCDateTime, utcnow
from training.extensions import db

ACTIONS = {
    "user.invited": _l("Invited"),
    "user.invitation_resent": _l("Invitation re-sent"),
    "user.invitation_accepted": _l("Accepted invitation"),
    "user.registered": _l("Registered"),
    "user.deactivated": _l("Deactivated"),
    "user.reactivated": _l("Reactivated"),
    "user.roles_changed": _l("Roles changed"),
    "user.password_reset": _l("Password reset"),
    "user.created": _l("Created from the command line"),
    "assignment.created": _l("Supervisor assigned"),
    "assignment.ended": _l("Supervisor assignment ended"),
    "courses.synced": _l("Courses loaded from files"),
    "course.completed": _l("Course completed"),
    "questions.imported": _l("Questions imported"),
    "quiz.attempt_allowed": _l("One more quiz attempt allowed"),
    "hours.submitted": _l("Hours submitted"),
    "hours.edited": _l("Hours edited"),
    "hours.withdrawn": _l("Hours withdrawn"),
    "hours.approved": _l("Hours approved"),
    "hours.returned": _l("Hours returned"),
    "hours.corrected": _l("Approved hours corrected"),
    "supervision.logged": _l("Supervision session logged"),
    "wellbeing.sharing_changed": _l("Wellbeing sharing changed"),
    "certificate.issued": _l("Certificate issued"),
    "certificate.renewed": _l("Certificate renewed"),
    "certificate.extended": _l("Certificate extended"),
    "certificate.revoked": _l("Certificate revoked"),
    "certificate.reinstated": _l("Certificate reinstated"),
    "trainings.synced": _l("Live trainings loaded from files"),
    "cohort.created": _l("Cohort created"),
    "cohort.updated": _l("Cohort changed"),
    "cohort.trainers_changed": _l("Cohort trainers changed"),
    "cohort.invited": _l("Invited to a cohort"),
    "cohort.joined": _l("Joined a cohort"),
    "cohort.waiting": _l("On a cohort's waiting list"),
    "cohort.withdrawn": _l("Left a cohort"),
    "cohort.session_added": _l("Session added"),
    "cohort.session_changed": _l("Session changed"),
    "cohort.session_removed": _l("Session removed"),
    "attendance.checked_in": _l("Checked in with a code"),
    "attendance.marked": _l("Attendance marked"),
    "attendance.changed": _l("Confirmed attendance changed"),
    "attendance.confirmed": _l("Attendance confirmed"),
    "reflection.submitted": _l("Reflection submitted"),
    "reflection.accepted": _l("Reflection accepted"),
    "reflection.returned": _l("Reflection returned"),
    "training_certificate.issued": _l("Training certificate issued"),
    "credential.enrolled": _l("Enrolled toward a credential"),
    "credential.enrolment_changed": _l("Credential enrolment changed"),
    "credential.enrolment_ended": _l("Credential enrolment ended"),
    "evidence.signed": _l("Evidence signed"),
    "evidence.submitted": _l("Evidence submitted"),
    "evidence.recorded": _l("Evidence recorded"),
    "evidence.accepted": _l("Evidence accepted"),
    "evidence.returned": _l("Evidence returned"),
}


# The names of the details events carry, as the audit log shows them.
DETAILS = {
    "after": _l("after"),
    "allowed": _l("attempts allowed in all"),
    "before": _l("before"),
    "changed": _l("changed"),
    "cohort": _l("cohort"),
    "comment": _l("comment"),
    "category": _l("continuing-education category"),
    "course": _l("course"),
    "created": _l("created"),
    "credential": _l("credential"),
    "credited": _l("credited"),
    "day": _l("day"),
    "domain": _l("domain"),
    "email": _l("e-mail"),
    "ended_on": _l("ended on"),
    "ends_on": _l("ends on"),
    "entries_moved": _l("entries moved"),
    "entry": _l("entry"),
    "evidence": _l("evidence"),
    "file": _l("file"),
    "format": _l("format"),
    "hidden": _l("hidden"),
    "hours": _l("hours"),
    "how": _l("how"),
    "key": _l("key"),
    "kind": _l("kind"),
    "language": _l("language"),
    "minutes": _l("minutes"),
    "module": _l("module"),
    "note": _l("note"),
    "note_changed": _l("note changed"),
    "number": _l("number"),
    "occurred_on": _l("occurred on"),
    "organisation": _l("organisation or setting"),
    "pdf_sha256": _l("PDF fingerprint (SHA-256)"),
    "provider": _l("training provider"),
    "quantity": _l("quantity"),
    "quiz": _l("quiz or exam"),
    "reason": _l("reason"),
    "reflection": _l("reflection"),
    "roles": _l("roles"),
    "session": _l("session"),
    "shared": _l("shared"),
    "skipped": _l("skipped"),
    "started_on": _l("started on"),
    "starts_at": _l("starts at"),
    "starts_on": _l("starts on"),
    "status": _l("status"),
    "supervision_format": _l("supervision format"),
    "supervisor": _l("supervisor"),
    "text_sha256": _l("signed text fingerprint (SHA-256)"),
    "title": _l("title"),
    "topic": _l("topic"),
    "trainees": _l("trainees"),
    "trainers": _l("trainers"),
    "training": _l("training"),
    "updated": _l("updated"),
}


def detail_name(key):
    """A detail's name in the reader's language; one not listed, as written with spaces."""
    return DETAILS.get(key) or key.replace("_", " ")


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User", foreign_keys=[actor_id])
    subject = relationship("User", foreign_keys=[subject_id])

    @property
    def label(self):
        return ACTIONS.get(self.action, self.action)


def with_people():
    """Loader options for lists of events: each actor and subject in one statement, without their
    roles, which no list shows."""
    from training.auth.models import User

    return (selectinload(AuditEvent.actor).lazyload(User.roles),
            selectinload(AuditEvent.subject).lazyload(User.roles))


def record(action, actor=None, subject=None, **details):
    """Add an audit event to the current transaction; the caller commits."""
    event = AuditEvent(action=action, actor=actor, subject=subject, details=details)
    db.session.add(event)
    return event
