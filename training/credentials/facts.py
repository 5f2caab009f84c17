"""The facts that credential rules are evaluated against, fetched for many trainees at once.

``fetch(users)`` runs a fixed number of statements however many trainees it is given:
enrolments, approved hours (summed per day and kind of entry), course credits and
completions, final-exam attempts, evidence and certificates. Rules then work on these
plain values only, so evaluating a page of trainees never goes back to the database.
"""
import functools
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from training.credentials.models import Credential, Enrolment, Evidence
from training.extensions import db

BATCH = 500  # trainees per statement, to keep IN lists a reasonable size


@dataclass(frozen=True)
class Hours:
    """Approved minutes of one kind on one day (entries with the same details summed)."""

    kind: str
    domain: str
    format: str | None
    attributes: frozenset
    category: str
    day: date
    minutes: int


@dataclass(frozen=True)
class CourseCredit:
    course: str
    domain: str
    minutes: int
    day: date


@dataclass(frozen=True)
class ExamAttempt:
    course: str
    grading: str
    quiz_pass_mark: int
    score: float  # 0.0 to 1.0
    day: date


@dataclass(frozen=True)
class HeldCertificate:
    credential: str
    issued_on: date
    expires_on: date
    status: str
    cycle: int

    def valid(self, today):
        return self.status == "valid" and self.expires_on >= today


@dataclass
class Facts:
    user: object
    enrolments: list = field(default_factory=list)
    hours: list = field(default_factory=list)
    credits: list = field(default_factory=list)
    completions: dict = field(default_factory=dict)  # course slug -> date
    attempts: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    certificates: list = field(default_factory=list)

    def enrolment(self, credential_id):
        return next((e for e in self.enrolments if e.credential_id == credential_id), None)


def _batches(ids):
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def _day(value):
    return value.date() if hasattr(value, "date") else value


def fetch(users):
    """Facts for each of ``users``, by user id."""
    facts = {u.id: Facts(u) for u in users}
    for ids in _batches(facts):
        _fetch_batch(facts, ids)
    return facts


@functools.cache
def _statements():
    """The seven statements ``fetch`` runs for each batch of trainees (``ids``), built once: every
    dashboard and eligibility list runs them, and building them took longer than some of them run."""
    # Imported here: these packages' views read this module's results.
    from training.certificates.models import Certificate
    from training.courses.models import Course, CourseCompletion, TrainingCredit
    from training.quizzes.models import Quiz, QuizAttempt
    from training.supervision.models import HourEntry

    ids = bindparam("ids", expanding=True)
    hours = (HourEntry.trainee_id, HourEntry.kind, HourEntry.domain, HourEntry.supervision_format,
             HourEntry.attributes, HourEntry.category, HourEntry.occurred_on)
    exams = select(Quiz.id).where(Quiz.module_id.is_(None), Quiz.active)
    return _Statements(
        enrolments=(select(Enrolment).options(joinedload(Enrolment.credential)).where(Enrolment.user_id.in_(ids))
                    .order_by(Enrolment.started_on, Enrolment.id)),
        hours=(select(*hours, func.sum(HourEntry.minutes))
               .where(HourEntry.trainee_id.in_(ids), HourEntry.status == "approved").group_by(*hours)),
        credits=(select(TrainingCredit.user_id, Course.slug, TrainingCredit.domain, TrainingCredit.minutes,
                        TrainingCredit.credited_at).join(Course, Course.id == TrainingCredit.course_id)
                 .where(TrainingCredit.user_id.in_(ids))),
        completions=(select(CourseCompletion.user_id, Course.slug, CourseCompletion.completed_at)
                     .join(Course, Course.id == CourseCompletion.course_id).where(CourseCompletion.user_id.in_(ids))),
        attempts=(select(QuizAttempt.user_id, Course.slug, Quiz.grading, Quiz.pass_mark, QuizAttempt.score,
                         QuizAttempt.submitted_at)
                  .join(Quiz, Quiz.id == QuizAttempt.quiz_id).join(Course, Course.id == Quiz.course_id)
                  .where(QuizAttempt.user_id.in_(ids), QuizAttempt.quiz_id.in_(exams),
                         QuizAttempt.submitted_at.is_not(None), QuizAttempt.score.is_not(None))
                  .order_by(QuizAttempt.user_id, QuizAttempt.number)),
        evidence=(select(Evidence).where(Evidence.user_id.in_(ids), Evidence.status.in_(("submitted", "accepted")))
                  .order_by(Evidence.created_at, Evidence.id)),
        certificates=(select(Certificate.user_id, Credential.slug, Certificate.issued_on, Certificate.expires_on,
                             Certificate.status, Certificate.cycle)
                      .join(Credential, Credential.id == Certificate.credential_id)
                      .where(Certificate.user_id.in_(ids))),
    )


@dataclass(frozen=True)
class _Statements:
    enrolments: object
    hours: object
    credits: object
    completions: object
    attempts: object
    evidence: object
    certificates: object


def _fetch_batch(facts, ids):
    statements, given = _statements(), {"ids": ids}
    for enrolment in db.session.scalars(statements.enrolments, given):
        facts[enrolment.user_id].enrolments.append(enrolment)

    for user_id, kind, domain, fmt, attributes, category, day, minutes in db.session.execute(statements.hours, given):
        facts[user_id].hours.append(Hours(kind, domain, fmt, frozenset(filter(None, (attributes or "").split(","))),
                                          category or "", day, int(minutes)))

    for user_id, slug, domain, minutes, credited_at in db.session.execute(statements.credits, given):
        facts[user_id].credits.append(CourseCredit(slug, domain, int(minutes), _day(credited_at)))

    for user_id, slug, completed_at in db.session.execute(statements.completions, given):
        facts[user_id].completions[slug] = _day(completed_at)

    for user_id, slug, grading, pass_mark, score, submitted_at in db.session.execute(statements.attempts, given):
        facts[user_id].attempts.append(ExamAttempt(slug, grading, pass_mark, float(score), _day(submitted_at)))

    for evidence in db.session.scalars(statements.evidence, given):
        facts[evidence.user_id].evidence.append(evidence)

    for user_id, slug, issued_on, expires_on, status, cycle in db.session.execute(statements.certificates, given):
        facts[user_id].certificates.append(HeldCertificate(slug, issued_on, expires_on, status, cycle))
