"""Whether a trainee meets every requirement of a credential, as a checklist."""
from dataclasses import dataclass

from sqlalchemy import func, select

from training.auth.models import User, UserRole
from training.courses.models import Course, CourseCompletion
from training.extensions import db
from training.quizzes.models import Quiz
from training.quizzes.services import attempts_of, has_passed, quiz_grade
from training.supervision.services import requirement_progress
from training.templating import format_hours


@dataclass
class Check:
    label: str
    met: bool
    done: str
    remaining: str = ""


def checklist(trainee, credential):
    """Every requirement with what is done and what remains."""
    checks = []
    courses = credential.requirements.get("courses") or []
    if courses:
        done = set(db.session.scalars(select(Course.slug).join(CourseCompletion).where(
            CourseCompletion.user_id == trainee.id, Course.slug.in_(courses))))
        titles = dict(db.session.execute(select(Course.slug, Course.title).where(Course.slug.in_(courses))).all())
        for slug in courses:
            title = titles.get(slug, slug)
            checks.append(Check(f"Course: {title}", slug in done, "Completed" if slug in done else "Not yet completed",
                                "" if slug in done else f"Complete {title}"))
    _, requirements = requirement_progress(trainee, credential)
    for req in requirements:
        checks.append(Check(req.label, req.met, f"{format_hours(req.done)} of {format_hours(req.required)}",
                            "" if req.met else f"{format_hours(req.remaining)} to go"))
    exam_course = credential.requirements.get("exam")
    if exam_course:
        exam = db.session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(
            Course.slug == exam_course, Quiz.module_id.is_(None), Quiz.active))
        if exam is None:
            checks.append(Check("Final exam", False, "No final exam is set up", "Ask your programme administrator"))
        else:
            attempts = attempts_of(trainee, exam)
            grade = quiz_grade(exam, attempts)
            passed = has_passed(exam, attempts)
            checks.append(Check(exam.title, passed,
                                f"Passed with {grade * 100:.0f}%" if passed else
                                (f"Best so far {grade * 100:.0f}%" if grade is not None else "Not taken yet"),
                                "" if passed else f"Pass with at least {exam.pass_mark}%"))
    return checks


def is_eligible(trainee, credential):
    return all(check.met for check in checklist(trainee, credential))


def eligible_trainees(credential, exclude_certified=True):
    """Active trainees who meet every requirement and (by default) hold no certificate yet."""
    from training.certificates.models import Certificate

    query = select(User).where(User.active, User.roles.any(UserRole.role == "trainee"))
    if exclude_certified:
        certified = select(Certificate.user_id).where(Certificate.credential_id == credential.id)
        query = query.where(User.id.not_in(certified))
    # A cheap first pass: only trainees with approved hours or completed courses can qualify.
    from training.supervision.models import HourEntry

    active = select(HourEntry.trainee_id).where(HourEntry.status == "approved").group_by(HourEntry.trainee_id) \
        .having(func.sum(HourEntry.minutes) > 0)
    query = query.where(User.id.in_(active)).order_by(func.lower(User.full_name))
    return [user for user in db.session.scalars(query) if is_eligible(user, credential)]

