"""Hour entries, supervision sessions, uploaded certificates, wellbeing check-ins, reminders."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db

# Labels are lazy: each is read in the language of the page, e-mail or document that prints it.
KINDS = {"service": _l("Peer support work"), "training": _l("External training"),
         "supervision": _l("Supervision received")}
# Trainees log training done elsewhere; a live training's attendance adds training entries too. Totals
# and filters, which cover both, say "Training".
LISTED_KINDS = {**KINDS, "training": _l("Training")}
STATUSES = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "returned": _l("Returned for changes"),
            "withdrawn": _l("Withdrawn")}
FORMATS = {"individual": _l("Individual"), "group": _l("Group")}


class Attachment(db.Model):
    """An uploaded file (a training certificate), kept in the database so app servers stay stateless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionSession(db.Model):
    """Supervision a supervisor gave, to one supervisee or a group; signed when logged."""

    __table_args__ = (CheckConstraint("minutes > 0", name="positive"),
                      CheckConstraint("format IN ('individual', 'group')", name="known_format"))

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    format: Mapped[str] = mapped_column(String(12))
    occurred_on: Mapped[date]
    minutes: Mapped[int]
    domain: Mapped[str] = mapped_column(String(100))
    topics: Mapped[str] = mapped_column(Text, default="")
    signed_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supervisor = relationship("User")
    entries: Mapped[list["HourEntry"]] = relationship(back_populates="session")


class HourEntry(db.Model):
    """Time a trainee spent on peer support work, external training or receiving supervision."""

    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
        CheckConstraint("kind IN ('service', 'training', 'supervision')", name="known_kind"),
        CheckConstraint("status IN ('pending', 'approved', 'returned', 'withdrawn')", name="known_status"),
        Index("ix_hour_entry_trainee_status_date", "trainee_id", "status", "occurred_on"),
        # Covers the per-trainee sums of the dashboards and burnout signals without table lookups.
        Index("ix_hour_entry_trainee_totals", "trainee_id", "kind", "status", "occurred_on", "minutes"),
        Index("ix_hour_entry_supervisor_status", "supervisor_id", "status"),
        # Entries waiting for approval, a small share: counts and the oldest per trainee read it alone.
        Index("ix_hour_entry_pending", "trainee_id", "submitted_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        # Covers the facts credential rules read for a page of trainees, without table lookups.
        Index("ix_hour_entry_trainee_facts", "trainee_id", "status", "kind", "domain", "supervision_format",
              "attributes", "category", "occurred_on", "minutes"),
        # One entry per sending of the hours form, however many times it is sent (a double click).
        Index("ix_hour_entry_submission_key", "trainee_id", "submission_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(12))
    occurred_on: Mapped[date]
    minutes: Mapped[int]
    domain: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(200), default="")  # external training only
    supervision_format: Mapped[str | None] = mapped_column(String(12))  # supervision only
    # Yes/no facts a credential asks about the entry (keys of its ``hour_attributes``), comma-separated.
    attributes: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The continuing-education category chosen for external training (a key of a renewal's categories).
    category: Mapped[str] = mapped_column(String(50), default="", server_default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_session.id"), index=True)
    # Training credited by confirmed attendance at a live session; changes to that attendance
    # update or remove exactly these entries.
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    signature_hash: Mapped[str] = mapped_column(String(64), default="")
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The random key of the form that sent the entry (None for entries made another way).
    submission_key: Mapped[str | None] = mapped_column(String(32))

    trainee = relationship("User", foreign_keys=[trainee_id])
    supervisor = relationship("User", foreign_keys=[supervisor_id])
    attachment: Mapped[Attachment | None] = relationship()
    session: Mapped[SupervisionSession | None] = relationship(back_populates="entries")

    @property
    def kind_label(self):
        if self.attendance_id is not None:
            from flask_babel import gettext as _

            return _("Live training")
        return KINDS[self.kind]

    @property
    def status_label(self):
        return STATUSES[self.status]

    @property
    def format_label(self):
        """The supervision format (individual or group) in the reader's language; empty when there is none."""
        return FORMATS.get(self.supervision_format, "")

    @property
    def attribute_keys(self):
        return [key for key in (self.attributes or "").split(",") if key]

    @property
    def editable(self):
        return self.status in ("pending", "returned") and self.session_id is None


class HourSummary(db.Model):
    """One trainee's running totals of approved and waiting hours, for the burnout signals.

    Rewritten from the trainee's entries in the same transaction as any change to them
    (``training.supervision.summary``), so a caseload's signals read one row per trainee
    instead of summing years of entries on every page."""

    trainee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    service_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    supervision_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    last_supervision: Mapped[date | None]
    pending_count: Mapped[int] = mapped_column(default=0, server_default="0")
    oldest_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)



class RiskAssessment(db.Model):
    """A trainee's burnout level as last worked out, so that lists of hundreds or thousands of
    trainees sort by risk without assessing each of them on every view.

    It holds for the day it was made, under the settings it was made with, until the trainee's
    entries, check-ins, enrolments or profile change: such a commit bumps ``revision`` and clears
    the level (``training.supervision.assessments``). Only the levels are kept; the reasons are
    worked out afresh for the trainees a page shows."""

    trainee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    assessed_on: Mapped[date | None]
    settings: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # 0 all fine, 1 needs attention, 2 at risk: with the wellbeing signal where the trainee shares
    # it (what their supervisor sees), and without it (what administrators' lists show).
    level: Mapped[int | None]
    weight: Mapped[int | None]  # the flags' levels added up: of two at one level, more flags sort first
    level_without_wellbeing: Mapped[int | None]

class WellbeingCheckIn(db.Model):
    """A trainee's private self-check on a 1-5 scale; one a day."""

    __table_args__ = (
        UniqueConstraint("user_id", "day"),
        *(CheckConstraint(f"{name} BETWEEN 1 AND 5", name=f"{name}_scale")
          for name in ("energy", "stress", "workload", "supported", "rest")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    day: Mapped[date]
    energy: Mapped[int]
    stress: Mapped[int]
    workload: Mapped[int]
    supported: Mapped[int]
    rest: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def score(self):
        """1 (struggling) to 5 (doing well): stress and workload count the other way round."""
        return (self.energy + (6 - self.stress) + (6 - self.workload) + self.supported + self.rest) / 5
