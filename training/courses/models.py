"""Courses and modules loaded from ``courses/``, and each trainee's progress through them."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)
    # A course removed from disk is hidden, never deleted, so that progress survives.
    active: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position"
    )
    credits: Mapped[list["CourseCredit"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseCredit.id"  # as the course file lists them
    )
    translations: Mapped[list["CourseTranslation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseTranslation.locale"
    )

    @property
    def active_modules(self):
        return [m for m in self.modules if m.active]

    @property
    def credited_minutes(self):
        return sum(c.minutes for c in self.credits)

    @property
    def estimated_minutes(self):
        return sum(m.estimated_minutes for m in self.active_modules)


class CourseCredit(db.Model):
    """Training time a course credits, per credential domain, on completion."""

    __table_args__ = (
        UniqueConstraint("course_id", "domain"),
        CheckConstraint("minutes > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    domain: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int]

    course: Mapped[Course] = relationship(back_populates="credits")


class Module(db.Model):
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    estimated_minutes: Mapped[int]
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    reflection: Mapped[str] = mapped_column(Text, default="")
    # The module completes only when a trainer accepts the trainee's written reflection.
    reflection_required: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # A module's text is read only on its own page: lists of modules (progress, dashboards) leave it unloaded.
    body_markdown: Mapped[str] = mapped_column(Text, default="", deferred=True, deferred_group="body")
    body_html: Mapped[str] = mapped_column(Text, default="", deferred=True, deferred_group="body")
    active: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    translations: Mapped[list["ModuleTranslation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ModuleTranslation.locale"
    )


class CourseTranslation(db.Model):
    """A course's title and summary in another language (``course.<language>.yaml``)."""

    __table_args__ = (UniqueConstraint("course_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")


class ModuleTranslation(db.Model):
    """A module's words in another language (``NN-<slug>.<language>.md``), matched by slug so that
    progress is one whatever language the module is read in."""

    __table_args__ = (UniqueConstraint("module_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    reflection: Mapped[str] = mapped_column(Text, default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="", deferred=True, deferred_group="body")
    body_html: Mapped[str] = mapped_column(Text, default="", deferred=True, deferred_group="body")
    source_path: Mapped[str] = mapped_column(String(500), default="")


class ModuleCompletion(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseCompletion(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()


class TrainingCredit(db.Model):
    """Training time credited to a trainee, frozen when earned.

    Later edits to a course's credited hours do not change what a trainee already earned.
    """

    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "domain"),
        CheckConstraint("minutes > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    domain: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int]
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()


class Reflection(db.Model):
    """A trainee's written answer to a module's reflection prompt, reviewed by a trainer."""

    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        CheckConstraint("status IN ('submitted', 'accepted', 'returned')", name="known_status"),
        Index("ix_reflection_status", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User", foreign_keys=[user_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    module = relationship("Module")
