"""Demonstration accounts and believable activity, for trying the platform locally.

Never available in a production configuration. Safe to run repeatedly: what exists is
left alone.
"""
import random
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from training import audit
from training.auth.models import SupervisorAssignment, User, user_by_email
from training.auth.services import hash_password
from training.courses.models import Course, CourseCompletion, ModuleCompletion, TrainingCredit
from training.courses.services import complete_course, final_exam
from training.extensions import db

FIRST_COURSE = "foundations-of-peer-recovery-support"

PEOPLE = [
    # email, name, roles, months in the programme
    ("admin@example.org", "Alex Morgan", {"admin"}, None),
    ("supervisor@example.org", "Sam Rivera", {"supervisor"}, None),
    ("trainee@example.org", "Jordan Lee", {"trainee"}, 3),
    ("ready@example.org", "Casey Taylor", {"trainee"}, 14),
    ("new.trainee@example.org", "Robin Okafor", {"trainee"}, 0),
]


class DemoRefused(Exception):
    pass


def _at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _person(email, name, roles, months, password_hash):
    user = user_by_email(email)
    if user is not None:
        return user, False
    started = date.today() - timedelta(days=30 * months) if months is not None else None
    user = User(email=email, full_name=name, password_hash=password_hash,
                programme_started_on=started)
    user.set_roles(roles)
    db.session.add(user)
    audit.record("user.created", subject=user, roles=sorted(roles), demo=True)
    return user, True


def _pass_quiz(user, quiz, when, rng, wrong=1):
    """A believable passed attempt: every answer right but ``wrong`` of them."""
    from training.quizzes.grading import model_answer
    from training.quizzes.services import attempts_of, start_attempt, submit_attempt

    if attempts_of(user, quiz):
        return
    attempt = start_attempt(user, quiz, now=when, rng=rng)
    responses = {slot.id: model_answer(slot.qtype, slot.data) for slot in attempt.slots[wrong:]}
    submit_attempt(attempt, responses, now=when + timedelta(minutes=14))


def _complete_modules(user, modules, first_day, rng):
    from training.courses.services import active_quiz, record_module_completion

    for offset, module in enumerate(modules):
        day = _at(first_day + timedelta(days=4 * offset))
        quiz = active_quiz(module)
        if quiz is not None:
            _pass_quiz(user, quiz, day, rng)
        else:
            record_module_completion(user, module)
        completion = db.session.scalar(select(ModuleCompletion).where(
            ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
        if completion is not None:
            completion.completed_at = day + timedelta(minutes=15)
    db.session.commit()


def _backdate_completion(user, course, when):
    """Demo trainees finished in the past; their records should say so."""
    completion = db.session.scalar(select(CourseCompletion).where(
        CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id))
    if completion is not None:
        completion.completed_at = when
        for credit in db.session.scalars(select(TrainingCredit).where(
                TrainingCredit.user_id == user.id, TrainingCredit.course_id == course.id)):
            credit.credited_at = when
    db.session.commit()


def load_demo():
    """Create the demo people, a supervisor assignment and course progress."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise DemoRefused("Demo data is never created in a production configuration.")
    password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
    people, created = {}, 0
    for email, name, roles, months in PEOPLE:
        people[email], is_new = _person(email, name, roles, months, password_hash)
        created += is_new
    db.session.commit()

    supervisor = people["supervisor@example.org"]
    for email in ("trainee@example.org", "ready@example.org", "new.trainee@example.org"):
        trainee = people[email]
        if not db.session.scalar(select(SupervisorAssignment).where(
                SupervisorAssignment.trainee_id == trainee.id)):
            db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                                starts_on=trainee.programme_started_on))
    db.session.commit()

    course = db.session.scalar(select(Course).where(Course.slug == FIRST_COURSE))
    if course is not None:
        rng = random.Random(2026)
        modules = course.active_modules
        trainee, ready = people["trainee@example.org"], people["ready@example.org"]
        _complete_modules(trainee, modules[:3], trainee.programme_started_on + timedelta(days=10), rng)
        first_day = ready.programme_started_on + timedelta(days=7)
        _complete_modules(ready, modules, first_day, rng)
        finished_on = _at(first_day + timedelta(days=4 * len(modules)))
        exam = final_exam(course)
        if exam is not None:
            _pass_quiz(ready, exam, finished_on, rng, wrong=3)
        complete_course(ready, course)
        _backdate_completion(ready, course, finished_on + timedelta(minutes=65))
    db.session.commit()
    note = "" if course else " (courses not loaded yet: run `flask --app app courses sync` first)"
    return f"Demo data ready: {created} account(s) created, {len(PEOPLE) - created} already there{note}."
