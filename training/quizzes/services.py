"""Quiz operations: importing questions, drawing and grading attempts, statistics.

Views, the CLI and the course sync all call these. Rules a trainee can run into raise
:class:`QuizRefused` with a message meant for them.
"""
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from training import audit
from training.db_types import utcnow
from training.extensions import db
from training.quizzes.formats import MOODLE_CONTEXTS, ParsedQuestion, stem_html, to_gift
from training.quizzes.models import AttemptAllowance, AttemptSlot, Question, QuestionTranslation, Quiz, QuizAttempt
from training.quizzes.types import DELIVERED, BadResponse, question_type
from training.templating import format_datetime


class QuizRefused(Exception):
    def __init__(self, message, opens_at=None):
        super().__init__(message)
        self.message = message
        self.opens_at = opens_at


# --- Question bank ------------------------------------------------------------------------

def question_key(parsed):
    """A stable identity: the category and title, or the category and the stem's hash."""
    if parsed.title:
        return f"{parsed.category}/{parsed.title}"[:200]
    digest = hashlib.sha256(" ".join(parsed.stem.split()).encode()).hexdigest()[:20]
    return f"{parsed.category}/#{digest}"[:200]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (line, type) of forms not delivered

    def summary(self):
        text = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged",
                 created=self.created, updated=self.updated, unchanged=self.unchanged)
        if self.skipped:
            lines = ", ".join(str(line) for line, _type in self.skipped)
            text += ngettext("; %(num)d skipped (essay or description, line %(lines)s)",
                             "; %(num)d skipped (essay or description, lines %(lines)s)",
                             len(self.skipped), lines=lines)
        return text


def import_questions(course, result, source_file, actor=None, record=True, translations=None):
    """Add or update a course's bank from a parsed file; the caller commits.

    Re-importing the same file updates questions in place (matched by ``question_key``)
    instead of adding duplicates. ``translations`` ({locale: [question, ...]}, in the order of
    the file's delivered questions) gives each question its words in other languages.
    """
    from training.courses.services import sync_translations

    translations = translations or {}
    if result.errors:
        raise ValueError("refusing to import a file with errors")
    report = ImportReport()
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id)
                                                     .options(selectinload(Question.translations)))}
    delivered = iter(range(len(result.questions)))
    for parsed in result.questions:
        if not parsed.delivered:
            report.skipped.append((parsed.line, parsed.type))
            continue
        place = next(delivered)
        words = {locale: _translation_values(versions[place], path) for locale, (path, versions) in translations.items()}
        key = question_key(parsed)
        values = {
            "category": parsed.category, "qtype": parsed.type, "title": parsed.title, "stem": parsed.stem,
            "stem_format": parsed.format, "stem_html": stem_html(parsed), "data": parsed.data,
            "explanation": parsed.explanation, "source_file": source_file, "source_line": parsed.line,
            "active": True,
        }
        question = existing.get(key) or _imported_with_moodles_prefix(existing, key)
        if question is None:
            question = Question(course_id=course.id, key=key, **values)
            db.session.add(question)
            sync_translations(question.translations, words, QuestionTranslation)
            existing[key] = question
            report.created += 1
        else:
            changed = any(getattr(question, k) != v for k, v in values.items())
            for name, value in values.items():
                setattr(question, name, value)
            changed |= sync_translations(question.translations, words, QuestionTranslation)
            if changed:
                question.updated_at = utcnow()
                report.updated += 1
            else:
                report.unchanged += 1
    if record and (report.created or report.updated):
        audit.record("questions.imported", actor=actor, course=course.slug, file=source_file,
                     created=report.created, updated=report.updated, skipped=len(report.skipped))
    return report


# The prefixes Moodle's context once left at the start of stored categories (see ``category_name``).
MOODLE_PREFIXES = tuple(f"${context}$/{top}" for context in MOODLE_CONTEXTS for top in ("top/", ""))


def _imported_with_moodles_prefix(existing, key):
    """A question imported before categories lost Moodle's context prefix: updated in place, under
    its key as it is now, instead of being imported again beside it."""
    question = next((existing.pop(prefix + key) for prefix in MOODLE_PREFIXES if prefix + key in existing), None)
    if question is not None:
        question.key = key
        existing[key] = question
    return question


def _translation_values(parsed, source_file):
    """A question's words in another language, as stored beside it."""
    return {"title": parsed.title, "stem": parsed.stem, "stem_format": parsed.format, "stem_html": stem_html(parsed),
            "data": parsed.data, "explanation": parsed.explanation, "source_file": source_file,
            "source_line": parsed.line}


def as_parsed(question):
    """A stored question in the shape the GIFT writer takes."""
    return ParsedQuestion(type=question.qtype, title=question.title, stem=question.stem, line=question.source_line,
                          explanation=question.explanation, category=question.category,
                          format=question.stem_format, data=question.data)


def export_course(course):
    """A course's active questions as GIFT, by category and in the order of their files."""
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id, Question.active)
                                   .order_by(Question.category, Question.source_file, Question.source_line))
    return to_gift([as_parsed(q) for q in questions])


def quizzes_by_category(course):
    """For each category of the course's bank, the active quizzes that draw questions from it."""
    result = {}
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.active)
                                 .order_by(Quiz.module_id.is_(None), Quiz.id))
    for quiz in quizzes:
        for category in quiz.categories:
            result.setdefault(category, []).append(quiz)
    return result


def bank_counts(course):
    """Active questions per category."""
    return dict(db.session.execute(
        select(Question.category, func.count()).where(Question.course_id == course.id, Question.active)
        .group_by(Question.category)
    ).all())


# --- Attempts -------------------------------------------------------------------------------

def grace_period():
    return timedelta(seconds=current_app.config["QUIZ_GRACE_SECONDS"])


def attempts_of(user, quiz):
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id).order_by(QuizAttempt.number)))


def quiz_grade(quiz, attempts):
    """The grade across finished attempts by the quiz's grading method (0.0 to 1.0), or None."""
    scores = [a.score for a in attempts if a.finished and a.score is not None]
    if not scores:
        return None
    return {"highest": max(scores), "latest": scores[-1], "first": scores[0],
            "average": sum(scores) / len(scores)}[quiz.grading]


def has_passed(quiz, attempts):
    grade_ = quiz_grade(quiz, attempts)
    return grade_ is not None and grade_ * 100 >= quiz.pass_mark - 1e-9


@dataclass
class QuizStatus:
    quiz: Quiz
    attempts: list
    grade: float | None
    passed: bool
    in_progress: QuizAttempt | None
    can_start: bool
    refusal: str = ""
    opens_at: object = None
    allowed: int = 0  # attempts this trainee may make: the quiz's, plus any an administrator allowed (0: no limit)

    @property
    def attempts_left(self):
        if not self.allowed:
            return None
        return max(0, self.allowed - len(self.attempts))

    @property
    def out_of_attempts(self):
        """Every attempt allowed is used and none passed: the quiz cannot be passed any more."""
        return not self.passed and not self.in_progress and self.attempts_left == 0


def used_up(user):
    """The quizzes and exams the trainee has used every allowed attempt at without passing, each as
    its ``QuizStatus``: what an administrator may open again (course order, then module order)."""
    limited = select(QuizAttempt.quiz_id).join(Quiz, Quiz.id == QuizAttempt.quiz_id).where(
        QuizAttempt.user_id == user.id, Quiz.active, Quiz.attempts_allowed > 0).group_by(QuizAttempt.quiz_id) \
        .having(func.count() >= func.min(Quiz.attempts_allowed))
    quizzes = db.session.scalars(select(Quiz).where(Quiz.id.in_(limited)).options(
        selectinload(Quiz.course), selectinload(Quiz.module))).all()
    statuses = [quiz_status(user, quiz) for quiz in quizzes]
    return sorted((s for s in statuses if s.out_of_attempts),
                  key=lambda s: (s.quiz.course.position, s.quiz.course_id, s.quiz.module.position if s.quiz.module
                                 else 10_000))


def allow_another_attempt(admin, user, quiz, reason):
    """One more attempt at ``quiz`` for a trainee who has used every one without passing, with the
    administrator's reason in the audit log; the trainee is told. Refused (QuizRefused) otherwise."""
    status = quiz_status(user, quiz)
    if not user.has_role("trainee") or not quiz.active:
        raise QuizRefused(_("Only a trainee's attempts at a quiz or exam in use can be allowed."))
    if not status.out_of_attempts:
        raise QuizRefused(_("%(name)s can still take this quiz or exam, or has passed it: nothing was changed.",
                            name=user.full_name))
    db.session.add(AttemptAllowance(user_id=user.id, quiz_id=quiz.id, after_attempts=len(status.attempts), extra=1,
                                    reason=reason, granted_by_id=admin.id))
    event = audit.record("quiz.attempt_allowed", actor=admin, subject=user, quiz=quiz.id, reason=reason,
                         allowed=status.allowed + 1)
    try:
        db.session.commit()
    except IntegrityError:  # allowed a moment ago by another request (a double click, another administrator)
        db.session.rollback()
        raise QuizRefused(_("%(name)s can still take this quiz or exam, or has passed it: nothing was changed.",
                            name=user.full_name)) from None
    from training.notifications.services import announce

    announce(event)
    return status.allowed + 1


def allowances_of(user):
    """Every extra attempt allowed to the trainee, newest first, with who allowed it."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(select(AttemptAllowance).options(
        joinedload(AttemptAllowance.granted_by), selectinload(AttemptAllowance.quiz).selectinload(Quiz.course),
        selectinload(AttemptAllowance.quiz).selectinload(Quiz.module))
                              .where(AttemptAllowance.user_id == user.id)
                              .order_by(AttemptAllowance.granted_at.desc(), AttemptAllowance.id.desc())).all()


def finish_overdue(attempt, now=None):
    """Close an attempt whose time ran out, with the answers saved before the deadline."""
    now = now or utcnow()
    if attempt.finished or attempt.deadline_at is None or now <= attempt.deadline_at + grace_period():
        return False
    _finish(attempt, attempt.deadline_at)
    return True


def attempts_allowed_at(user, quizzes, used):
    """``{quiz id: attempts}`` this trainee may make at each quiz, having made ``used[quiz id]`` (0: no
    limit). More than the quiz's own only where an administrator allowed them, which is read (in one
    statement) only for quizzes whose own attempts are all used."""
    allowed = {quiz.id: quiz.attempts_allowed for quiz in quizzes}
    used_up = [quiz.id for quiz in quizzes if quiz.attempts_allowed and used.get(quiz.id, 0) >= quiz.attempts_allowed]
    if used_up:
        for quiz_id, extra in db.session.execute(
                select(AttemptAllowance.quiz_id, func.sum(AttemptAllowance.extra)).where(
                    AttemptAllowance.user_id == user.id, AttemptAllowance.quiz_id.in_(used_up))
                .group_by(AttemptAllowance.quiz_id)):
            allowed[quiz_id] += extra
    return allowed


def attempts_allowed(user, quiz, used):
    """The attempts this trainee may make at ``quiz``, having made ``used`` (see attempts_allowed_at)."""
    return attempts_allowed_at(user, [quiz], {quiz.id: used})[quiz.id]


def quiz_status(user, quiz, now=None):
    now = now or utcnow()
    attempts = attempts_of(user, quiz)
    for attempt in attempts:
        if finish_overdue(attempt, now):
            db.session.commit()
    in_progress = next((a for a in attempts if not a.finished), None)
    finished = [a for a in attempts if a.finished]
    status = QuizStatus(quiz, attempts, quiz_grade(quiz, finished), has_passed(quiz, finished), in_progress,
                        can_start=False, allowed=attempts_allowed(user, quiz, len(attempts)))
    if in_progress:
        status.refusal = _("You have an attempt in progress.")
    elif status.passed:
        status.refusal = _("You have passed. No more attempts are needed.")
    elif status.allowed and len(attempts) >= status.allowed:
        status.refusal = ngettext(
            "You have used the %(num)d attempt allowed for this exam. "
            "Ask your programme administrator if you need another.",
            "You have used all %(num)d attempts allowed for this exam. "
            "Ask your programme administrator if you need another.", status.allowed) \
            if quiz.is_final_exam else ngettext(
            "You have used the %(num)d attempt allowed for this quiz. "
            "Ask your programme administrator if you need another.",
            "You have used all %(num)d attempts allowed for this quiz. "
            "Ask your programme administrator if you need another.", status.allowed)
    elif finished and quiz.wait_minutes:
        opens_at = finished[-1].submitted_at + timedelta(minutes=quiz.wait_minutes)
        if opens_at > now:
            status.opens_at = opens_at
            status.refusal = _("Take a break before trying again: your next attempt opens at %(moment)s.",
                               moment=format_datetime(opens_at))
    if not status.refusal:
        status.can_start = True
    return status


def draw_questions(user, quiz, rng):
    """Pick the quiz's questions, preferring ones this trainee has not seen before."""
    seen = dict(db.session.execute(
        select(AttemptSlot.question_id, func.count())
        .join(QuizAttempt, QuizAttempt.id == AttemptSlot.attempt_id)
        .where(QuizAttempt.user_id == user.id)
        .group_by(AttemptSlot.question_id)
    ).all())
    bank = list(db.session.scalars(select(Question).where(
        Question.course_id == quiz.course_id, Question.active, Question.qtype.in_(DELIVERED),
        Question.category.in_(list(quiz.categories)))))
    by_category = {}
    for question in bank:
        by_category.setdefault(question.category, []).append(question)
    for questions in by_category.values():
        rng.shuffle(questions)
        questions.sort(key=lambda q: seen.get(q.id, 0))  # stable: unseen first, random within
    wanted = {c: n for c, n in quiz.categories.items() if n}
    picked = []
    for category, count in wanted.items():
        picked += by_category.get(category, [])[:count]
    remaining = quiz.question_count - len(picked)
    if remaining > 0:
        pool = [q for c in quiz.categories if not wanted.get(c) for q in by_category.get(c, [])]
        pool.sort(key=lambda q: seen.get(q.id, 0))
        picked += pool[:remaining]
    if len(picked) < quiz.question_count:
        raise QuizRefused(_("This quiz is not ready yet: its question bank has too few questions. "
                            "Please tell your programme administrator."))
    return picked[:quiz.question_count]


def _versions(questions, language):
    """The drawn questions' words in ``language``, by question id, read in one query."""
    from training.i18n import CONTENT_LANGUAGE

    if not language or language == CONTENT_LANGUAGE or not questions:
        return {}
    rows = db.session.scalars(select(QuestionTranslation).where(
        QuestionTranslation.question_id.in_([q.id for q in questions]), QuestionTranslation.locale == language))
    return {row.question_id: row for row in rows}


def start_attempt(user, quiz, now=None, rng=None, language=None):
    """Start an attempt: draw and freeze its questions and choice order on the server.

    With ``language``, each question that has a version in that language is frozen in it;
    the question, its grading and the trainee's progress are the same in every language.
    """
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    status = quiz_status(user, quiz, now)
    if status.in_progress:
        return status.in_progress
    if not status.can_start:
        raise QuizRefused(status.refusal, status.opens_at)
    questions = draw_questions(user, quiz, rng)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    attempt = QuizAttempt(
        quiz_id=quiz.id, user_id=user.id, number=len(status.attempts) + 1, started_at=now,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
        pass_mark=quiz.pass_mark,
    )
    versions = _versions(questions, language)
    attempt.slots = [
        AttemptSlot(question_id=q.id, position=i + 1, qtype=q.qtype, stem_html=words.stem_html,
                    data=question_type(q.qtype).prepare(words.data, quiz.shuffle_choices, rng),
                    explanation=words.explanation)
        for i, q in enumerate(questions)
        for words in [versions.get(q.id, q)]
    ]
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent start took this attempt number: use that attempt
        db.session.rollback()
        status = quiz_status(user, quiz, now)
        if status.in_progress:
            return status.in_progress
        raise
    return attempt


# --- Responses --------------------------------------------------------------------------------

def read_responses(attempt, form):
    """Turn submitted form fields into responses per slot; refuse unknown questions.

    Field names: ``q<slot id>`` and, for parts of a question, ``q<slot id>_<part>``; each
    question's type reads its own fields.
    """
    slots = {str(s.id): s for s in attempt.slots}
    fields = {}
    for name in form.keys():
        if not name.startswith("q"):
            continue
        slot_id, underscore, part = name[1:].partition("_")
        slot = slots.get(slot_id)
        if slot is None:
            raise BadResponse(_("An answer was sent for a question that is not part of this attempt. "
                                "Nothing was saved."))
        fields.setdefault(slot, {})[underscore + part] = [v[:1000] for v in form.getlist(name)]
    return {slot.id: slot.question_type.read_response(slot.data, values) for slot, values in fields.items()}


def save_responses(attempt, responses, now=None):
    now = now or utcnow()
    if attempt.finished:
        raise QuizRefused(_("This attempt is already submitted; it cannot be changed."))
    if attempt.deadline_at and now > attempt.deadline_at + grace_period():
        finish_overdue(attempt, now)
        db.session.commit()
        raise QuizRefused(_("The time limit has passed. Your attempt was submitted with the answers saved "
                            "before the deadline."))
    for slot in attempt.slots:
        if slot.id in responses:
            slot.response = responses[slot.id]
    db.session.commit()


def _finish(attempt, submitted_at):
    total = 0.0
    for slot in attempt.slots:
        slot.score = slot.question_type.grade(slot.data, slot.response).score if slot.response is not None else 0.0
        total += slot.score
    attempt.score = total / len(attempt.slots) if attempt.slots else 0.0
    attempt.submitted_at = submitted_at
    attempt.passed = attempt.score * 100 >= attempt.pass_mark - 1e-9


def submit_attempt(attempt, responses, now=None):
    """Save the last answers and grade the attempt once; a finished attempt stays as it is."""
    now = now or utcnow()
    save_responses(attempt, responses, now)
    submitted_at = min(now, attempt.deadline_at) if attempt.deadline_at else now
    _finish(attempt, submitted_at)
    db.session.commit()
    after_attempt(attempt)
    return attempt


def after_attempt(attempt):
    """Complete the module or course when the quiz is now passed."""
    from training.auth.models import User
    from training.courses.services import record_module_completion, try_complete_course

    quiz = attempt.quiz
    user = db.session.get(User, attempt.user_id)
    if not has_passed(quiz, attempts_of(user, quiz)):
        return
    if quiz.module_id is not None:
        record_module_completion(user, quiz.module)
    else:
        try_complete_course(user, quiz.course)


@dataclass
class NextStep:
    module: object = None  # the next module to read, or
    exam: Quiz | None = None  # the course's final exam, once it is open


def next_step(user, quiz):
    """What follows a passed module quiz: the module after it, else the final exam when open."""
    from training.courses.services import course_progress, final_exam

    if quiz.module_id is None:
        return None
    progress = course_progress(user, quiz.course)
    ids = [state.module.id for state in progress.modules]
    if quiz.module_id in ids and ids.index(quiz.module_id) + 1 < len(ids):
        state = progress.modules[ids.index(quiz.module_id) + 1]
        return NextStep(module=state.module) if state.unlocked else None
    exam = final_exam(quiz.course)
    if exam is not None and not progress.locked_by and progress.done_count == progress.total:
        return NextStep(exam=exam)
    return None


def review_visibility(status, attempt):
    """What the trainee may see of a finished attempt, by the quiz's review rules."""
    quiz = status.quiz
    if not attempt.finished:
        return set()
    allowed = {
        "immediately": True,
        "after_pass": status.passed,
        "after_last_attempt": bool(status.allowed) and len(status.attempts) >= status.allowed,
    }[quiz.review_when]
    return set(quiz.review_shows) if allowed else {"score"} & set(quiz.review_shows)


# --- Item statistics ---------------------------------------------------------------------------

@dataclass
class ItemStatistic:
    question: Question
    attempts: int
    facility: float | None
    discrimination: float | None
    choice_rates: list  # (option, share of attempts that picked it)
    flags: list


def _correlation(xs, ys):
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


def item_statistics(course, min_attempts=5):
    """Per question: attempts, facility, discrimination and choice pick rates, with flags.

    Facility is the mean share of the marks earned. Discrimination is the correlation
    between the question's score and the score on the rest of the same attempt.
    """
    rows = db.session.execute(
        select(AttemptSlot.question_id, AttemptSlot.attempt_id, AttemptSlot.score, AttemptSlot.response,
               QuizAttempt.score, func.count().over(partition_by=AttemptSlot.attempt_id))
        .join(QuizAttempt, QuizAttempt.id == AttemptSlot.attempt_id)
        .join(Question, Question.id == AttemptSlot.question_id)
        .where(Question.course_id == course.id, QuizAttempt.submitted_at.is_not(None))
    ).all()
    per_question = {}
    for question_id, _attempt_id, score, response, attempt_score, slots in rows:
        rest = (attempt_score * slots - (score or 0)) / max(slots - 1, 1)
        per_question.setdefault(question_id, []).append((score or 0.0, rest, response))
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id, Question.active)
                                   .order_by(Question.category, Question.title, Question.id))
    result = []
    for question in questions:
        data = per_question.get(question.id, [])
        scores = [d[0] for d in data]
        facility = sum(scores) / len(scores) if scores else None
        discrimination = _correlation(scores, [d[1] for d in data]) if data else None
        rates = {}
        qtype = question_type(question.qtype)
        for _score, _rest, response in data:
            for key in qtype.picked_options(response):
                rates[key] = rates.get(key, 0) + 1
        labels = qtype.option_labels(question.data)
        rates = [(labels.get(key, key), count / len(data)) for key, count in sorted(rates.items())]
        flags = []
        if len(data) >= min_attempts:
            if facility is not None and facility > 0.9:
                flags.append(_("Too easy: nearly everyone gets it right."))
            if facility is not None and facility < 0.3:
                flags.append(_("Too hard: most people get it wrong. Check the key and the wording."))
            if discrimination is not None and discrimination < 0:
                flags.append(_("Negative discrimination: stronger trainees do worse on it than weaker ones."))
        result.append(ItemStatistic(question, len(data), facility, discrimination, rates, flags))
    return result
