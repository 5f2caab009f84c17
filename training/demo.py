"""Demonstration accounts and believable activity, for trying the platform locally.

Never available in a production configuration. Safe to run repeatedly: what exists is
left alone.
"""
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from training import audit
from training.auth.models import SupervisorAssignment, User, user_by_email
from training.auth.services import hash_password
from training.courses.models import Course, ModuleCompletion
from training.courses.services import complete_course
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


def _complete_modules(user, modules, first_day):
    for offset, module in enumerate(modules):
        exists = db.session.scalar(select(ModuleCompletion).where(
            ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
        if exists is None:
            db.session.add(ModuleCompletion(user_id=user.id, module_id=module.id,
                                            completed_at=_at(first_day + timedelta(days=4 * offset))))


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
        modules = course.active_modules
        trainee, ready = people["trainee@example.org"], people["ready@example.org"]
        _complete_modules(trainee, modules[:3], trainee.programme_started_on + timedelta(days=10))
        first_day = ready.programme_started_on + timedelta(days=7)
        _complete_modules(ready, modules, first_day)
        db.session.commit()
        complete_course(ready, course, completed_at=_at(first_day + timedelta(days=4 * len(modules))))
    db.session.commit()
    note = "" if course else " (courses not loaded yet: run `flask --app app courses sync` first)"
    return f"Demo data ready: {created} account(s) created, {len(PEOPLE) - created} already there{note}."
