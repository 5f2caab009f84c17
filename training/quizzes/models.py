"""Question banks, quizzes and attempts."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.quizzes.types import QUESTION_TYPES

REVIEW_PARTS = ("score", "correctness", "right_answers", "explanations")


class Question(db.Model):
    """A question in a course's bank; ``key`` keeps its identity across re-imports."""

    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200), default="", index=True)
    qtype: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(255), default="")
    stem: Mapped[str] = mapped_column(Text)
    stem_format: Mapped[str] = mapped_column(String(10), default="moodle")
    stem_html: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(500), default="")
    source_line: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course = relationship("Course")
    translations: Mapped[list["QuestionTranslation"]] = relationship(cascade="all, delete-orphan")

    @property
    def question_type(self):
        return QUESTION_TYPES[self.qtype]

    @property
    def type_label(self):
        return self.question_type.label


class QuestionTranslation(db.Model):
    """A question's words in another language, from the file beside its own (``<name>.<language>.gift``).

    Matched by place in the file, checked to be graded the same way, and attached to the one
    question: attempts, scores and item statistics are shared by every language.
    """

    __table_args__ = (UniqueConstraint("question_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(255), default="")
    stem: Mapped[str] = mapped_column(Text)
    stem_format: Mapped[str] = mapped_column(String(10), default="moodle")
    stem_html: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(500), default="")
    source_line: Mapped[int] = mapped_column(default=0)


class Quiz(db.Model):
    """A module's quiz, or a course's final exam (``module_id`` empty), with its rules."""

    __table_args__ = (
        UniqueConstraint("course_id", "module_id"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_percent"),
        CheckConstraint("question_count > 0", name="draws_questions"),
        CheckConstraint("grading IN ('highest', 'latest', 'first', 'average')", name="known_grading"),
        CheckConstraint("review_when IN ('immediately', 'after_pass', 'after_last_attempt')",
                        name="known_review_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    question_count: Mapped[int]
    categories: Mapped[dict] = mapped_column(JSON, default=dict)  # category -> how many (0 = share)
    pass_mark: Mapped[int] = mapped_column(default=80)
    attempts_allowed: Mapped[int] = mapped_column(default=0)  # 0 = unlimited
    wait_minutes: Mapped[int] = mapped_column(default=0)
    time_limit_minutes: Mapped[int | None]
    grading: Mapped[str] = mapped_column(String(10), default="highest")
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_choices: Mapped[bool] = mapped_column(default=True)
    review_when: Mapped[str] = mapped_column(String(20), default="immediately")
    review_shows: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    course = relationship("Course")
    module = relationship("Module", backref=db.backref("quiz", uselist=False))

    @property
    def is_final_exam(self):
        return self.module_id is None

    @property
    def display_title(self):
        """The title in the reader's language, from the module's or course's title there."""
        from flask_babel import gettext as _

        from training.i18n import localized

        if self.module is not None:
            return _("Quiz: %(module)s", module=localized(self.module, "title"))
        return _("Final exam: %(course)s", course=localized(self.course, "title"))


class AttemptAllowance(db.Model):
    """More attempts at a quiz for one trainee, allowed by an administrator who says why: after
    extra study, say, once every attempt the course allows is used without passing."""

    # One allowance for each time the trainee ran out: of two sent at once (a double click, two
    # administrators), the database keeps one.
    __table_args__ = (UniqueConstraint("user_id", "quiz_id", "after_attempts"),
                      CheckConstraint("extra > 0", name="some_extra"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"))
    after_attempts: Mapped[int]  # the attempts the trainee had made when it was allowed
    extra: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(String(500))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    granted_by = relationship("User", foreign_keys=[granted_by_id])
    quiz = relationship("Quiz")


class QuizAttempt(db.Model):
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)  # 0.0 to 1.0
    passed: Mapped[bool | None]
    # The pass mark in force when the attempt started, so later edits never change a result.
    pass_mark: Mapped[int]

    quiz: Mapped[Quiz] = relationship()
    slots: Mapped[list["AttemptSlot"]] = relationship(back_populates="attempt", order_by="AttemptSlot.position",
                                                      cascade="all, delete-orphan")

    @property
    def finished(self):
        return self.submitted_at is not None

    @property
    def percent(self):
        return None if self.score is None else round(self.score * 100, 1)


class AttemptSlot(db.Model):
    """One drawn question of an attempt, frozen when the attempt starts."""

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"), UniqueConstraint("attempt_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    position: Mapped[int]
    qtype: Mapped[str] = mapped_column(String(20))
    stem_html: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)  # the question's data as it was, choices in display order
    explanation: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[dict | list | str | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="slots")
    question: Mapped[Question] = relationship()

    @property
    def question_type(self):
        return QUESTION_TYPES[self.qtype]
