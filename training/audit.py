"""The audit log: who did what, to whom, when, with details.

Every feature records its state changes here through :func:`record`; rows are never
updated or deleted.
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db

ACTIONS = {
    "user.invited": "Invited",
    "user.invitation_resent": "Invitation re-sent",
    "user.invitation_accepted": "Accepted invitation",
    "user.registered": "Registered",
    "user.deactivated": "Deactivated",
    "user.reactivated": "Reactivated",
    "user.roles_changed": "Roles changed",
    "user.password_reset": "Password reset",
    "user.created": "Created from the command line",
    "assignment.created": "Supervisor assigned",
    "assignment.ended": "Supervisor assignment ended",
    "courses.synced": "Courses loaded from files",
    "course.completed": "Course completed",
    "questions.imported": "Questions imported",
    "hours.submitted": "Hours submitted",
    "hours.edited": "Hours edited",
    "hours.withdrawn": "Hours withdrawn",
    "hours.approved": "Hours approved",
    "hours.returned": "Hours returned",
    "hours.corrected": "Approved hours corrected",
    "supervision.logged": "Supervision session logged",
    "wellbeing.sharing_changed": "Wellbeing sharing changed",
    "certificate.issued": "Certificate issued",
    "certificate.renewed": "Certificate renewed",
    "certificate.revoked": "Certificate revoked",
    "certificate.reinstated": "Certificate reinstated",
    "trainings.synced": "Live trainings loaded from files",
    "cohort.created": "Cohort created",
    "cohort.updated": "Cohort changed",
    "cohort.trainers_changed": "Cohort trainers changed",
    "cohort.invited": "Invited to a cohort",
    "cohort.joined": "Joined a cohort",
    "cohort.waiting": "On a cohort's waiting list",
    "cohort.withdrawn": "Left a cohort",
    "cohort.session_added": "Session added",
    "cohort.session_changed": "Session changed",
    "cohort.session_removed": "Session removed",
    "attendance.checked_in": "Checked in with a code",
    "attendance.marked": "Attendance marked",
    "attendance.changed": "Confirmed attendance changed",
    "attendance.confirmed": "Attendance confirmed",
    "reflection.submitted": "Reflection submitted",
    "reflection.accepted": "Reflection accepted",
    "reflection.returned": "Reflection returned",
    "training_certificate.issued": "Training certificate issued",
}


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


def record(action, actor=None, subject=None, **details):
    """Add an audit event to the current transaction; the caller commits."""
    event = AuditEvent(action=action, actor=actor, subject=subject, details=details)
    db.session.add(event)
    return event
