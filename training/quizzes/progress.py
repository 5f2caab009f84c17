"""Where each of many trainees stands in the courses and their quizzes, for supervisors' lists.

A fixed number of queries whatever the number of trainees: the active courses with their
modules and quizzes, the module completions counted per trainee and course, and the best
result per trainee and quiz.
"""
from dataclasses import dataclass

from sqlalchemy import case, func, select

from training.courses.models import Module, ModuleCompletion
from training.courses.services import active_courses
from training.extensions import db
from training.quizzes.models import Quiz, QuizAttempt


@dataclass(frozen=True)
class CourseLearning:
    """One trainee's place in one course: modules done, module quizzes passed, the final exam."""
    course: object
    modules_done: int
    modules_total: int
    quizzes_passed: int
    quizzes_total: int
    exam: object | None          # the course's final exam, if it has one
    exam_passed: bool
    exam_attempts: int

    @property
    def started(self):
        return bool(self.modules_done or self.quizzes_passed or self.exam_attempts)


def learning_of(user_ids):
    """``{user id: [CourseLearning of each course they have started]}`` for the given trainees."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    courses = active_courses()
    course_ids = [c.id for c in courses]
    # Only ids are counted here: the modules and quizzes themselves (texts, translations) stay unloaded.
    modules = {c.id: [] for c in courses}
    for module_id, course_id in db.session.execute(
            select(Module.id, Module.course_id).where(Module.course_id.in_(course_ids), Module.active)):
        modules[course_id].append(module_id)
    quizzes = db.session.execute(select(Quiz.id, Quiz.course_id, Quiz.module_id)
                                 .where(Quiz.course_id.in_(course_ids), Quiz.active)).all()
    active_module_ids = {m for ms in modules.values() for m in ms}
    module_quizzes = {q.id: q for q in quizzes if q.module_id in active_module_ids}
    exams = {q.course_id: q for q in quizzes if q.module_id is None}

    done = db.session.execute(
        select(ModuleCompletion.user_id, Module.course_id, func.count(func.distinct(Module.id)))
        .join(Module, Module.id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id.in_(user_ids), Module.id.in_(active_module_ids))
        .group_by(ModuleCompletion.user_id, Module.course_id))
    modules_done = {(user, course): count for user, course, count in done}

    results = db.session.execute(
        select(QuizAttempt.user_id, QuizAttempt.quiz_id,
               func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)), func.count())
        .where(QuizAttempt.user_id.in_(user_ids), QuizAttempt.quiz_id.in_([q.id for q in quizzes]),
               QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id))
    passed, attempts = set(), {}
    for user, quiz, ever_passed, count in results:
        attempts[(user, quiz)] = count
        if ever_passed:
            passed.add((user, quiz))

    found = {}
    for user in user_ids:
        rows = []
        for course in courses:
            own_quizzes = [q for q in module_quizzes.values() if q.course_id == course.id]
            exam = exams.get(course.id)
            learning = CourseLearning(
                course=course, modules_done=modules_done.get((user, course.id), 0),
                modules_total=len(modules[course.id]),
                quizzes_passed=sum(1 for q in own_quizzes if (user, q.id) in passed),
                quizzes_total=len(own_quizzes), exam=exam,
                exam_passed=exam is not None and (user, exam.id) in passed,
                exam_attempts=attempts.get((user, exam.id), 0) if exam is not None else 0)
            if learning.started:
                rows.append(learning)
        found[user] = rows
    return found
