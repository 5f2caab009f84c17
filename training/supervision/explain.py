"""Where a trainee's numbers come from: training hours by source, and the courses and exams a credential asks for.

The totals themselves are decided by ``training.credentials``; this module only breaks them
down so the progress page and the verification report can say where each hour came from.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from training.extensions import db
from training.i18n import localized
from training.supervision.models import HourEntry

SOURCES = ("course", "live", "external")


def training_sources(trainee, domains=()):
    """Training hours by domain and where they come from: courses, live cohorts and external training.

    Returns (table, lines): per domain {"course", "live", "external"} minutes, in the order of
    ``domains`` (others after), and every credited course and approved training entry, oldest first.
    """
    from training.courses.models import Course, TrainingCredit

    table = {d: dict.fromkeys(SOURCES, 0) for d in domains}
    lines = []
    for course, domain, minutes, credited_at in db.session.execute(
            select(Course, TrainingCredit.domain, TrainingCredit.minutes, TrainingCredit.credited_at)
            .join(Course, Course.id == TrainingCredit.course_id).where(TrainingCredit.user_id == trainee.id)
            .order_by(TrainingCredit.credited_at, TrainingCredit.id)):
        table.setdefault(domain, dict.fromkeys(SOURCES, 0))["course"] += minutes
        lines.append({"day": credited_at.date(), "source": _("Course"), "what": localized(course, "title"),
                      "domain": domain, "minutes": minutes})
    for e in db.session.scalars(select(HourEntry).where(
            HourEntry.trainee_id == trainee.id, HourEntry.status == "approved", HourEntry.kind == "training")
            .order_by(HourEntry.occurred_on, HourEntry.id)):
        source = "live" if e.attendance_id is not None else "external"
        table.setdefault(e.domain, dict.fromkeys(SOURCES, 0))[source] += e.minutes
        lines.append({"day": e.occurred_on, "source": e.kind_label, "what": e.provider or e.organisation,
                      "domain": e.domain, "minutes": e.minutes})
    return table, lines


@dataclass
class DomainTraining:
    """One training domain of a credential: what it asks, what courses offer, and what is recorded."""

    domain: str
    required: int                       # minutes
    counted: int                        # minutes, as the credential counts them
    recorded: dict                      # source -> minutes recorded
    offered: list = field(default_factory=list)  # (course title as read, minutes, earned) courses credit here

    @property
    def course_minutes(self):
        return sum(minutes for _, minutes, _ in self.offered)

    @property
    def rest(self):
        """Minutes the courses do not cover, which live or external training must."""
        return max(0, self.required - self.course_minutes)


def training_by_domain(trainee, evaluation, sources=None):
    """Each training domain of the evaluation's credential, with the courses that credit it.

    Empty when the credential asks for no training by domain.
    """
    from training.courses.models import Course, CourseCredit, TrainingCredit

    rule = evaluation.compiled.first("training_hours")
    if rule is None or not rule.spec.domains:
        return []
    table = sources if sources is not None else training_sources(trainee, evaluation.compiled.domains)[0]
    earned = set(db.session.scalars(select(TrainingCredit.course_id).where(TrainingCredit.user_id == trainee.id)))
    offered = {}
    for course, domain, minutes in db.session.execute(
            select(Course, CourseCredit.domain, CourseCredit.minutes)
            .join(Course, Course.id == CourseCredit.course_id).where(Course.active)
            .order_by(Course.position, Course.title)):
        target = rule.spec.course_domains.get(domain, domain)
        offered.setdefault(target, []).append((localized(course, "title"), minutes, course.id in earned))
    items = {item.key: item for item in evaluation.items}
    rows = []
    for domain, hours in rule.spec.domains.items():
        item = items.get(f"training:{domain}")
        rows.append(DomainTraining(domain, round(hours * 60), item.minutes_done if item else 0,
                                   table.get(domain, dict.fromkeys(SOURCES, 0)), offered.get(domain, [])))
    return rows


@dataclass
class CourseStep:
    """A course a credential asks for, the trainee's way through it and its final exam."""

    progress: object          # training.courses.services.CourseProgress
    exam: object | None       # the final exam quiz
    exam_item: object | None  # the credential's checklist item for that exam
    attempts: int = 0
    allowed: int = 0          # attempts the trainee may make at the exam (0: no limit)

    @property
    def course(self):
        return self.progress.course


def course_steps(trainee, evaluations):
    """The courses and final exams the trainee's credentials name, each once, in the credentials' order."""
    from training.courses.models import Course
    from training.courses.services import final_exam, progress_for
    from training.quizzes.models import QuizAttempt
    from training.quizzes.services import attempts_allowed_at

    slugs = []
    for evaluation in evaluations:
        for rule in evaluation.compiled.all_rules():
            if rule.kind in ("course", "exam") and rule.spec.course not in slugs:
                slugs.append(rule.spec.course)
    if not slugs:
        return []
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs), Course.active))}
    ordered = [courses[s] for s in slugs if s in courses]
    exams = {c.id: final_exam(c) for c in ordered}
    attempts = dict(db.session.execute(
        select(QuizAttempt.quiz_id, func.count()).where(
            QuizAttempt.user_id == trainee.id, QuizAttempt.quiz_id.in_([q.id for q in exams.values() if q]))
        .group_by(QuizAttempt.quiz_id)).all())
    allowed = attempts_allowed_at(trainee, [q for q in exams.values() if q], attempts)
    items = {item.key: item for evaluation in reversed(evaluations) for item in evaluation.items}
    steps = []
    for progress in progress_for(trainee, ordered):
        exam = exams[progress.course.id]
        steps.append(CourseStep(progress, exam, items.get(f"exam:{progress.course.slug}"),
                                attempts.get(exam.id, 0) if exam else 0, allowed[exam.id] if exam else 0))
    return steps
