"""Course operations shared by the views, the CLI and the demo data."""
import functools
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from training import audit
from training.courses.loader import load_courses
from training.courses.models import (
    Course,
    CourseCompletion,
    CourseCredit,
    CourseTranslation,
    Module,
    ModuleCompletion,
    ModuleTranslation,
    Reflection,
    TrainingCredit,
)
from training.db_types import utcnow
from training.extensions import db
from training.i18n import localized
from training.notifications.services import announce, settle_reflection_requests
from training.rendering import markdown_to_html


@dataclass
class SyncReport:
    created: list
    updated: list
    hidden: list
    unchanged: int

    @property
    def changed(self):
        return bool(self.created or self.updated or self.hidden)

    def summary(self):
        def count(paths):
            kinds = {"course": 0, "module": 0, "question file": 0}
            for path in set(paths):
                kind = ("course" if path.endswith("course.yaml") else
                        "module" if "/modules/" in path else "question file")
                kinds[kind] += 1
            words = {"course": lambda n: ngettext("%(num)d course", "%(num)d courses", n),
                     "module": lambda n: ngettext("%(num)d module", "%(num)d modules", n),
                     "question file": lambda n: ngettext("%(num)d question file", "%(num)d question files", n)}
            return ", ".join(words[kind](n) for kind, n in kinds.items() if n) or _("nothing")

        return _("created %(created)s; updated %(updated)s; hid %(hidden)s; %(unchanged)s unchanged",
                 created=count(self.created), updated=count(self.updated), hidden=count(self.hidden),
                 unchanged=ngettext("%(num)d course", "%(num)d courses", self.unchanged))


def _apply(obj, values):
    """Set attributes that differ; return True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def sync_translations(existing, wanted, make):
    """Bring a list of translation rows in line with ``wanted`` ({locale: values}): update in place,
    add what is new, remove what is gone. Returns True when anything changed."""
    current = {t.locale: t for t in existing}
    changed = False
    for locale, values in wanted.items():
        if locale in current:
            changed |= _apply(current[locale], values)
        else:
            existing.append(make(locale=locale, **values))
            changed = True
    for locale, row in current.items():
        if locale not in wanted:
            existing.remove(row)
            changed = True
    return changed


def _module_translations(data):
    return {locale: {"title": t["title"], "objectives": t["objectives"], "reflection": t["reflection"],
                     "body_markdown": t["body"], "body_html": markdown_to_html(t["body"]), "source_path": t["path"]}
            for locale, t in data.translations.items()}


def _sync_credits(course, credits):
    current = {c.domain: c for c in course.credits}
    if [d for d in current if d in credits] + [d for d in credits if d not in current] != list(credits):
        # Kept in the file's order (their ids): a domain moved, or added before the last, makes them again.
        course.credits.clear()
        db.session.flush()
        current = {}
    changed = False
    for domain, minutes in credits.items():
        if domain in current:
            changed |= _apply(current[domain], {"minutes": minutes})
        else:
            course.credits.append(CourseCredit(domain=domain, minutes=minutes))
            changed = True
    for domain, credit in current.items():
        if domain not in credits:
            course.credits.remove(credit)
            changed = True
    return changed


def _sync_modules(course, modules, report):
    existing = {m.slug: m for m in course.modules}
    changed = False
    for data in modules:
        values = {
            "position": data.position,
            "title": data.title,
            "estimated_minutes": data.estimated_minutes,
            "objectives": data.objectives,
            "reflection": data.reflection,
            "reflection_required": data.reflection_required,
            "body_markdown": data.body,
            "body_html": markdown_to_html(data.body),
            "source_path": data.path,
            "active": True,
        }
        module = existing.pop(data.slug, None)
        if module is None:
            module = Module(slug=data.slug, **values)
            course.modules.append(module)
            sync_translations(module.translations, _module_translations(data), ModuleTranslation)
            report.created.append(data.path)
            changed = True
        elif _apply(module, values) | sync_translations(module.translations, _module_translations(data),
                                                         ModuleTranslation):
            report.updated.append(data.path)
            changed = True
    for module in existing.values():
        if module.active:
            module.active = False
            report.hidden.append(module.source_path)
            changed = True
    return changed


QUIZ_FIELDS = ("question_count", "categories", "pass_mark", "attempts_allowed", "wait_minutes",
               "time_limit_minutes", "grading", "shuffle_questions", "shuffle_choices", "review_when",
               "review_shows")


def _sync_quiz(course, module, settings, report, path):
    from training.quizzes.models import Quiz

    query = select(Quiz).where(Quiz.course_id == course.id)
    query = query.where(Quiz.module_id == module.id) if module else query.where(Quiz.module_id.is_(None))
    quiz = db.session.scalar(query)
    if settings is None:
        if quiz is not None and quiz.active:
            quiz.active = False
            report.updated.append(path)
        return
    values = {name: settings[name] for name in QUIZ_FIELDS}
    values["title"] = f"Quiz: {module.title}" if module else f"Final exam: {course.title}"
    values["active"] = True
    if quiz is None:
        db.session.add(Quiz(course_id=course.id, module_id=module.id if module else None, **values))
        report.updated.append(path)
    elif _apply(quiz, values):
        report.updated.append(path)


def _sync_questions(course, item, report):
    from training.quizzes.models import Question
    from training.quizzes.services import import_questions, question_key

    seen = set()
    for path, result in item.question_files:
        translations = {locale: files[path] for locale, files in item.question_translations.items() if path in files}
        outcome = import_questions(course, result, path, record=False, translations=translations)
        if outcome.created or outcome.updated:
            report.updated.append(path)
        seen.update(question_key(q) for q in result.delivered)
    folder = item.path.rsplit("/", 1)[0] + "/questions/"
    for question in db.session.scalars(select(Question).where(
            Question.course_id == course.id, Question.active, Question.source_file.startswith(folder))):
        if question.key not in seen:
            question.active = False
            report.hidden.append(f"{question.source_file}:{question.source_line}")


def _sync_assessment(course, item, report):
    db.session.flush()
    _sync_questions(course, item, report)
    modules = {m.slug: m for m in course.modules}
    for data in item.modules:
        _sync_quiz(course, modules[data.slug], data.quiz, report, data.path)
    _sync_quiz(course, None, item.final_exam, report, item.path)


def sync_courses(root, actor=None):
    """Load ``root`` into the database, creating, updating and hiding as needed.

    Idempotent: a second run with the same files changes nothing. Courses and modules are
    matched by slug, so renumbering or editing keeps every trainee's progress; what is no
    longer on disk is hidden, never deleted. Raises ContentErrors, saving nothing, when any
    file is malformed.
    """
    data = load_courses(root)
    report = SyncReport([], [], [], 0)
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    for item in data:
        course = courses.pop(item.slug, None)
        values = {
            "title": item.title,
            "summary": item.summary,
            "position": item.order,
            "prerequisites": item.prerequisites,
            "source_path": item.path,
            "active": True,
        }
        if course is None:
            course = Course(slug=item.slug, **values)
            db.session.add(course)
            sync_translations(course.translations, item.translations, CourseTranslation)
            report.created.append(item.path)
            _sync_credits(course, item.credits)
            _sync_modules(course, item.modules, report)
            _sync_assessment(course, item, report)
            continue
        changed = _apply(course, values)
        changed |= sync_translations(course.translations, item.translations, CourseTranslation)
        changed |= _sync_credits(course, item.credits)
        changed |= _sync_modules(course, item.modules, report)
        before = len(report.updated) + len(report.hidden)
        _sync_assessment(course, item, report)
        changed |= len(report.updated) + len(report.hidden) > before
        if changed:
            course.synced_at = utcnow()
            if item.path not in report.updated:
                report.updated.append(item.path)
        else:
            report.unchanged += 1
    for course in courses.values():
        if course.active:
            course.active = False
            report.hidden.append(course.source_path or course.slug)
    if report.changed:
        audit.record("courses.synced", actor=actor, created=report.created,
                     updated=report.updated, hidden=report.hidden)
    db.session.commit()
    return report


# --- Progress ---------------------------------------------------------------------------

@dataclass
class ModuleState:
    module: Module
    completed_at: object
    unlocked: bool

    @property
    def completed(self):
        return self.completed_at is not None


@dataclass
class CourseProgress:
    course: Course
    modules: list
    completed_at: object
    locked_by: list  # titles of unfinished prerequisite courses

    @property
    def done_count(self):
        return sum(1 for m in self.modules if m.completed)

    @property
    def total(self):
        return len(self.modules)

    @property
    def percent(self):
        if self.completed_at:
            return 100
        return round(100 * self.done_count / self.total) if self.total else 0

    @property
    def next_module(self):
        """The first module still to do, or None when everything is done."""
        if self.locked_by:
            return None
        return next((m.module for m in self.modules if not m.completed and m.unlocked), None)

    @property
    def started(self):
        return self.done_count > 0 or self.completed_at is not None

    def state_of(self, module):
        return next((m for m in self.modules if m.module.id == module.id), None)


def active_courses():
    """The courses trainees see, in order, with their translations joined (one statement)."""
    return list(db.session.scalars(
        select(Course).options(joinedload(Course.translations)).where(Course.active)
        .order_by(Course.position, Course.title)
    ).unique())


def _load_modules(courses):
    """Every course's modules in one statement, for those whose modules are not loaded yet."""
    missing = {c.id: c for c in courses if "modules" in inspect(c).unloaded}
    if not missing:
        return
    found = {course_id: [] for course_id in missing}
    for module in db.session.scalars(select(Module).options(joinedload(Module.translations))
                                     .where(Module.course_id.in_(missing))
                                     .order_by(Module.course_id, Module.position)).unique():
        found[module.course_id].append(module)
    for course_id, modules in found.items():
        set_committed_value(missing[course_id], "modules", modules)


@functools.cache
def _completions():
    """The statements for a trainee's completed modules (of some courses) and completed courses, built
    once: every course and module page, and the dashboard, runs them."""
    modules = (select(ModuleCompletion.module_id, ModuleCompletion.completed_at)
               .join(Module, Module.id == ModuleCompletion.module_id)
               .where(ModuleCompletion.user_id == bindparam("user"),
                      Module.course_id.in_(bindparam("courses", expanding=True))))
    courses = (select(Course.slug, CourseCompletion.completed_at)
               .join(Course, Course.id == CourseCompletion.course_id)
               .where(CourseCompletion.user_id == bindparam("user")))
    return modules, courses


def progress_for(user, courses, completions=None):
    """Progress of one trainee through each course, in a fixed number of queries.

    ``completions`` (course slug -> day completed) when the caller has read them already."""
    _load_modules(courses)
    course_ids = [c.id for c in courses]
    modules_done, courses_done = _completions()
    done_modules = dict(db.session.execute(modules_done, {"user": user.id, "courses": course_ids}).all())
    done_courses = completions if completions is not None else dict(
        db.session.execute(courses_done, {"user": user.id}).all())
    # Prerequisites are named by their titles; most courses have none, so the lookup is rare.
    wanted = {s for c in courses for s in c.prerequisites if s not in done_courses}
    titles = {c.slug: localized(c, "title") for c in db.session.scalars(
        select(Course).where(Course.slug.in_(wanted)).options(selectinload(Course.translations)))} if wanted else {}
    result = []
    for course in courses:
        locked_by = [titles.get(s, s) for s in course.prerequisites if s not in done_courses]
        states, previous_done = [], not locked_by
        for module in course.active_modules:
            completed_at = done_modules.get(module.id)
            states.append(ModuleState(module, completed_at, unlocked=previous_done or completed_at is not None))
            previous_done = previous_done and completed_at is not None
        result.append(CourseProgress(course, states, done_courses.get(course.slug), locked_by))
    return result


def course_progress(user, course):
    return progress_for(user, [course])[0]


class ModuleLocked(Exception):
    """The trainee tried to complete a module before the ones it depends on."""


class ModuleNeedsQuiz(Exception):
    """A module with a quiz is completed by passing the quiz, not by a button."""


class ModuleNeedsReflection(Exception):
    """A module asking for a written reflection completes when a trainer accepts it."""


def reflection_of(user, module):
    return db.session.scalar(select(Reflection).where(Reflection.user_id == user.id,
                                                      Reflection.module_id == module.id))


def reflection_accepted(user, module):
    """True when the module asks for no written reflection, or the trainee's was accepted."""
    if not module.reflection_required:
        return True
    reflection = reflection_of(user, module)
    return reflection is not None and reflection.status == "accepted"


def active_quiz(module):
    quiz = getattr(module, "quiz", None)
    return quiz if quiz is not None and quiz.active else None


def final_exam(course):
    from training.quizzes.models import Quiz

    return db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id.is_(None),
                                                Quiz.active))


def complete_module(user, module):
    """Mark a module without a quiz done for ``user`` (the "Mark as complete" button).

    Raises ModuleNeedsQuiz for a module with a quiz, ModuleLocked when earlier modules or
    prerequisite courses are unfinished. Returns the course completion when this call
    completed the course, else None.
    """
    if active_quiz(module) is not None:
        raise ModuleNeedsQuiz(module.title)
    if not reflection_accepted(user, module):
        raise ModuleNeedsReflection(module.title)
    return record_module_completion(user, module)


def record_module_completion(user, module):
    """Record a module as done, once, and complete the course when everything is done.

    Safe to repeat: a double click or two tabs record one completion. A module asking for a
    written reflection waits (returns None) until a trainer accepts it.
    """
    progress = course_progress(user, module.course)
    state = progress.state_of(module)
    if state is None or not state.unlocked:
        raise ModuleLocked(module.title)
    if not state.completed and not reflection_accepted(user, module):
        return None
    if not state.completed:
        try:
            with db.session.begin_nested():
                db.session.add(ModuleCompletion(user_id=user.id, module_id=module.id))
        except IntegrityError:
            pass  # completed by a concurrent request
    db.session.commit()
    return try_complete_course(user, module.course)


def try_complete_course(user, course):
    """Complete the course when every module is done and its final exam, if any, is passed."""
    from training.quizzes.services import attempts_of, has_passed

    progress = course_progress(user, course)
    if progress.completed_at or progress.done_count < progress.total:
        return None
    exam = final_exam(course)
    if exam is not None and not has_passed(exam, attempts_of(user, exam)):
        return None
    return complete_course(user, course)


def complete_course(user, course, completed_at=None):
    """Record the course as completed and credit its training hours by domain, once."""
    completion = CourseCompletion(user_id=user.id, course_id=course.id,
                                  completed_at=completed_at or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(completion)
            for credit in course.credits:
                db.session.add(TrainingCredit(
                    user_id=user.id, course_id=course.id, domain=credit.domain,
                    minutes=credit.minutes, credited_at=completion.completed_at,
                ))
            db.session.flush()
    except IntegrityError:
        return None  # completed by a concurrent request
    audit.record("course.completed", actor=user, subject=user, course=course.slug,
                 credited={c.domain: c.minutes for c in course.credits})
    db.session.commit()
    return completion


def training_minutes_by_domain(user, credits=None):
    """Minutes credited by courses in each domain, by domain; from ``credits`` (the ``CourseCredit``
    facts of an evaluation) when the caller has them."""
    if credits is not None:
        totals = {}
        for credit in credits:
            totals[credit.domain] = totals.get(credit.domain, 0) + credit.minutes
        return dict(sorted(totals.items()))
    rows = db.session.execute(
        select(TrainingCredit.domain, db.func.sum(TrainingCredit.minutes))
        .where(TrainingCredit.user_id == user.id)
        .group_by(TrainingCredit.domain)
        .order_by(TrainingCredit.domain)
    ).all()
    return dict(rows)


# --- Written reflections -------------------------------------------------------------------

class ReflectionError(Exception):
    def __init__(self, message, field="text"):
        super().__init__(message)
        self.message = message
        self.field = field


REFLECTION_MIN_CHARACTERS = 50
REFLECTION_MAX_CHARACTERS = 5000


def submit_reflection(user, module, text):
    """Send a written reflection for a trainer to review; a returned one may be sent again."""
    from training.supervision.privacy import identifier_message

    text = (text or "").strip()
    if not module.reflection_required:
        raise ReflectionError(_("This module does not ask for a written reflection."))
    state = course_progress(user, module.course).state_of(module)
    if state is None or not state.unlocked:
        raise ModuleLocked(module.title)
    if len(text) < REFLECTION_MIN_CHARACTERS:
        raise ReflectionError(_("Write at least a few sentences (%(count)s characters or more).",
                                count=REFLECTION_MIN_CHARACTERS))
    if len(text) > REFLECTION_MAX_CHARACTERS:
        raise ReflectionError(_("Keep it to %(count)s characters or fewer.", count=REFLECTION_MAX_CHARACTERS))
    message = identifier_message(text)
    if message:
        raise ReflectionError(message)
    reflection = reflection_of(user, module)
    if reflection is not None and reflection.status == "accepted":
        raise ReflectionError(_("Your reflection was accepted already."))
    if reflection is None:
        reflection = Reflection(user_id=user.id, module_id=module.id, text=text)
        db.session.add(reflection)
    reflection.text, reflection.status, reflection.submitted_at = text, "submitted", utcnow()
    db.session.flush()
    event = audit.record("reflection.submitted", actor=user, subject=user, module=module.slug,
                         reflection=reflection.id)
    db.session.commit()
    announce(event)  # to the trainers of the trainee's cohorts
    return reflection


def review_reflection(reviewer, reflection, decision, comment=""):
    """Accept a reflection (completing the module when nothing else is missing) or return it
    with a comment saying what to add."""
    from training.auth.models import User

    comment = (comment or "").strip()
    if decision not in ("accept", "return"):
        raise ReflectionError(_("Choose accept or return."), "decision")
    if decision == "return" and not comment:
        raise ReflectionError(_("Say what to add or change, so the trainee can revise it."), "comment")
    status = "accepted" if decision == "accept" else "returned"
    # Claimed in one statement: of two trainers reviewing at once, the second changes nothing.
    claimed = db.session.execute(update(Reflection).where(
        Reflection.id == reflection.id, Reflection.status == "submitted").values(
        status=status, reviewer_id=reviewer.id, reviewed_at=utcnow(), comment=comment)).rowcount
    if not claimed:
        raise ReflectionError(_("This reflection has been reviewed already."), "reviewed")
    db.session.refresh(reflection)
    trainee = db.session.get(User, reflection.user_id)
    event = audit.record(f"reflection.{'accepted' if decision == 'accept' else 'returned'}", actor=reviewer,
                         subject=trainee, module=reflection.module.slug, comment=comment, reflection=reflection.id)
    settle_reflection_requests(reflection)  # it waits for no trainer now
    db.session.commit()
    announce(event)
    if decision == "accept":
        _complete_after_reflection(trainee, reflection.module)
    return reflection


def _complete_after_reflection(user, module):
    from training.quizzes.services import attempts_of, has_passed

    quiz = active_quiz(module)
    if quiz is not None and not has_passed(quiz, attempts_of(user, quiz)):
        return None  # the quiz, once passed, completes the module
    try:
        return record_module_completion(user, module)
    except ModuleLocked:
        return None  # completes with the modules before it
