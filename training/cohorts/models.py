"""Live training: trainings defined as data, cohorts, their sessions, attendance and certificates."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db

DELIVERY = ("in_person", "online")
MEMBER_STATUSES = ("enrolled", "waiting", "invited", "withdrawn")
ATTENDANCE = ("present", "late", "left_early", "absent", "excused")


class LiveTraining(db.Model):
    """A training delivered only live, loaded from ``trainings/<slug>.yaml``.

    ``sessions`` is the plan: each item has a topic, the minutes it lasts and the minutes it
    credits per domain. A removed file hides the training, never deletes it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    sessions: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The file's other languages: {"es": {"title": ..., "summary": ..., "topics": [one per session]}}.
    translations: Mapped[dict | None] = mapped_column(JSON)

    @property
    def credited_minutes(self):
        return sum(sum(s["credits"].values()) for s in self.sessions)

    def words(self, language):
        """The title, summary and topics in ``language`` ({} where the file gives none)."""
        return (self.translations or {}).get(language) or {}

    def title_in(self, language):
        return self.words(language).get("title") or self.title

    def topic_in(self, topic, language):
        """A planned session's topic in ``language``; a topic not in the plan (changed by a
        trainer since) stays as written."""
        topics = self.words(language).get("topics") or []
        for plan, translated in zip(self.sessions, topics, strict=False):
            if plan["topic"] == topic:
                return translated
        return topic


class Cohort(db.Model):
    """A group of trainees taking one training together, live, with one or more trainers."""

    __table_args__ = (
        CheckConstraint("delivery IN ('in_person', 'online')", name="known_delivery"),
        CheckConstraint("capacity > 0", name="positive_capacity"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("(course_id IS NULL) <> (live_training_id IS NULL)", name="one_training"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    live_training_id: Mapped[int | None] = mapped_column(ForeignKey("live_training.id"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    delivery: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(Text, default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int]
    self_enrolment: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course = relationship("Course")
    live_training: Mapped[LiveTraining | None] = relationship()
    credential = relationship("Credential")
    trainers = relationship("User", secondary="cohort_trainer", order_by="User.full_name", lazy="selectin")
    sessions: Mapped[list["CohortSession"]] = relationship(
        back_populates="cohort", order_by="CohortSession.starts_at, CohortSession.id")
    members: Mapped[list["CohortMember"]] = relationship(back_populates="cohort", order_by="CohortMember.id")

    @property
    def training_title(self):
        return self.course.title if self.course_id else self.live_training.title

    def has_trainer(self, user):
        return any(t.id == user.id for t in self.trainers)


class CohortTrainer(db.Model):
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)


class CohortMember(db.Model):
    """A trainee's place in a cohort: enrolled, on the waiting list, invited, or withdrawn."""

    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        CheckConstraint("status IN ('enrolled', 'waiting', 'invited', 'withdrawn')", name="known_status"),
    )

    # The audit event of a place just given (or a place on the waiting list), to announce once
    # committed; never stored.
    placed = None

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    # Waiting-list order: the earliest request gets the next free place.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user = relationship("User")


class CohortSession(db.Model):
    """One meeting of a cohort: when, about what, and what a full attendance credits."""

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    topic: Mapped[str] = mapped_column(String(200))
    credits: Mapped[dict] = mapped_column(JSON, default=dict)       # domain -> minutes for a full attendance
    materials: Mapped[list] = mapped_column(JSON, default=list)     # module ids
    # A make-up session lets those who missed another catch up on its content.
    makeup_of_id: Mapped[int | None] = mapped_column(ForeignKey("cohort_session.id"))
    checkin_secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    makeup_of: Mapped["CohortSession | None"] = relationship(remote_side=[id])
    confirmed_by = relationship("User")
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="session")

    @property
    def minutes(self):
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def credited_minutes(self):
        return sum(self.credits.values())


class Attendance(db.Model):
    """Whether a trainee attended a session, and for how much of it."""

    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("status IN ('present', 'late', 'left_early', 'absent', 'excused')", name="known_status"),
        CheckConstraint("minutes_missed >= 0", name="missed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cohort_session.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    minutes_missed: Mapped[int] = mapped_column(default=0)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[CohortSession] = relationship(back_populates="attendance")
    user = relationship("User", foreign_keys=[user_id])


class CalendarFeed(db.Model):
    """A person's private calendar feed. Its address is an HMAC of the person and ``generation``
    under the secret key, so the database alone does not reveal it; a new generation makes a
    new address and the old one stops working."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    generation: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingCertificate(db.Model):
    """Proof of live training: the hours a trainee was credited in a cohort, by domain, frozen."""

    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        CheckConstraint("status IN ('valid', 'revoked')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    training_title: Mapped[str] = mapped_column(String(200))
    cohort_title: Mapped[str] = mapped_column(String(200))
    hours: Mapped[dict] = mapped_column(JSON)             # domain -> minutes
    sessions_attended: Mapped[int]
    sessions_total: Mapped[int]
    first_day: Mapped[date]
    last_day: Mapped[date]
    issued_on: Mapped[date]
    issuer_name: Mapped[str] = mapped_column(String(200))
    trainer_names: Mapped[str] = mapped_column(String(500), default="")
    verify_url: Mapped[str] = mapped_column(String(500))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="valid")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    holder = relationship("User", foreign_keys=[user_id])
    cohort: Mapped[Cohort] = relationship()

    @property
    def grouped_code(self):
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))

    @property
    def total_minutes(self):
        return sum(self.hours.values())
