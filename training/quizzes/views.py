from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from training.auth.access import roles_required
from training.courses.models import Course
from training.courses.services import active_courses, course_progress, reflection_accepted
from training.extensions import db
from training.forms import ConfirmForm, choices
from training.http import content_disposition
from training.i18n import CONTENT_LANGUAGE, current_language, language_name, localized
from training.quizzes import bp
from training.quizzes.display import slot_language
from training.quizzes.formats import parse_aiken, parse_gift
from training.quizzes.forms import ConfirmImportForm, ImportForm
from training.quizzes.models import AttemptSlot, Question, Quiz, QuizAttempt
from training.quizzes.services import (
    BadResponse,
    QuizRefused,
    bank_counts,
    export_course,
    finish_overdue,
    import_questions,
    item_statistics,
    next_step,
    quiz_status,
    quizzes_by_category,
    read_responses,
    review_visibility,
    save_responses,
    start_attempt,
    submit_attempt,
)
from training.templating import format_datetime, format_number


def _quiz_or_404(quiz_id):
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not quiz.active or not quiz.course.active:
        abort(404)
    return quiz


def _quiz_is_open(quiz):
    """A module's quiz opens with its module; the final exam once every module is done."""
    progress = course_progress(current_user, quiz.course)
    if progress.locked_by:
        return False
    if quiz.module_id is None:
        return progress.done_count == progress.total
    state = progress.state_of(quiz.module)
    return state is not None and state.unlocked


def _own_attempt_or_404(attempt_id):
    # With each question's versions, to tell which language each frozen question is in.
    attempt = db.session.get(QuizAttempt, attempt_id, options=[
        selectinload(QuizAttempt.slots).selectinload(AttemptSlot.question).selectinload(Question.translations)])
    # Another person's attempt answers exactly as a missing one does.
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.route("/quizzes/<int:quiz_id>")
@login_required
def overview(quiz_id):
    """A quiz's rules, the trainee's attempts and the way to start one."""
    quiz = _quiz_or_404(quiz_id)
    learner = current_user.has_role("trainee")
    status = quiz_status(current_user, quiz) if learner else None
    counts = bank_counts(quiz.course) if current_user.is_admin else None
    return render_template("quizzes/overview.html", quiz=quiz, status=status, learner=learner,
                           is_open=learner and _quiz_is_open(quiz), form=ConfirmForm(), counts=counts)


@bp.route("/quizzes/<int:quiz_id>/start", methods=["POST"])
@roles_required("trainee")
def start(quiz_id):
    """Start (or resume) an attempt."""
    quiz = _quiz_or_404(quiz_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not _quiz_is_open(quiz):
        flash(_("This quiz opens when the modules before it are done."), "info")
        return redirect(url_for("quizzes.overview", quiz_id=quiz.id))
    try:
        attempt = start_attempt(current_user, quiz, language=current_language())
    except QuizRefused as refusal:
        flash(refusal.message, "info")
        return redirect(url_for("quizzes.overview", quiz_id=quiz.id))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required("trainee")
def attempt(attempt_id):
    """Answer the questions of an attempt; save for later or submit."""
    attempt = _own_attempt_or_404(attempt_id)
    overdue = finish_overdue(attempt)
    if overdue:
        db.session.commit()
        flash(_("The time limit passed, so the attempt was submitted with the answers saved in time."), "info")
    if attempt.finished:
        if request.method == "POST" and not overdue:  # sent again: from the back button or a second tab
            flash(_("This attempt was submitted already, so the answers just sent were not saved."), "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            responses = read_responses(attempt, request.form)
            if request.form.get("action") == "save":
                save_responses(attempt, responses)
                if attempt.deadline_at:  # leaving the page does not stop the clock
                    flash(_("Your answers are saved. The time limit keeps running: submit by %(moment)s, or "
                            "the answers saved by then count.", moment=format_datetime(attempt.deadline_at)), "info")
                else:
                    flash(_("Your answers are saved. You can come back to this attempt later."), "success")
                return redirect(url_for("quizzes.overview", quiz_id=attempt.quiz_id))
            unanswered = [s for s in attempt.slots if responses.get(s.id) in (None, "", [], {})]
            if unanswered and request.form.get("blanks_ok") != "yes":
                # A submitted attempt cannot be changed: say what is blank first, keeping every answer.
                save_responses(attempt, responses)
                return render_template("quizzes/attempt.html", attempt=attempt, quiz=attempt.quiz, form=form,
                                       unanswered=unanswered, **_languages(attempt))
            submit_attempt(attempt, responses)
        except BadResponse as error:
            db.session.rollback()
            return render_template("errors/error.html", code=400, title=_("That answer could not be saved"),
                                   message=str(error)), 400
        except QuizRefused as refusal:
            flash(refusal.message, "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    return render_template("quizzes/attempt.html", attempt=attempt, quiz=attempt.quiz, form=form,
                           **_languages(attempt))


@bp.route("/attempts/<int:attempt_id>/review")
@roles_required("trainee")
def review(attempt_id):
    """What the review rules allow the trainee to see of a finished attempt."""
    attempt = _own_attempt_or_404(attempt_id)
    if not attempt.finished:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    status = quiz_status(current_user, attempt.quiz)
    shows = review_visibility(status, attempt)
    module = attempt.quiz.module
    reflection_done = module is None or reflection_accepted(current_user, module)
    return render_template("quizzes/review.html", attempt=attempt, quiz=attempt.quiz, status=status,
                           shows=shows, reflection_done=reflection_done, form=ConfirmForm(),
                           next_step=_next_step_link(attempt.quiz) if status.passed else None, **_languages(attempt))


def _languages(attempt):
    """Each question's language where it differs from the page's (a question without a version in
    the reader's language is shown as written), the languages those questions are in, and whether
    they are so because the attempt started in another language rather than for want of a version."""
    page = current_language()
    other = {slot.id: language for slot in attempt.slots for language in [slot_language(slot)] if language != page}
    # A question with a version in the page's language, shown in another, was frozen so at the start.
    as_started = page == CONTENT_LANGUAGE or any(
        translation.locale == page for slot in attempt.slots if slot.id in other
        for translation in slot.question.translations)
    return {"slot_languages": other, "shown_as_started": as_started,
            "fallback_languages": ", ".join(language_name(code) for code in sorted(set(other.values())))}


def _next_step_link(quiz):
    """Where a trainee goes after passing a module's quiz: the next module, or the final exam."""
    step = next_step(current_user, quiz)
    if step is None:
        return None
    if step.module is not None:
        return {"label": _("Next module: %(title)s", title=localized(step.module, "title")),
                "url": url_for("courses.module", slug=quiz.course.slug, module_slug=step.module.slug)}
    return {"label": _("Go to the final exam"), "url": url_for("quizzes.overview", quiz_id=step.exam.id)}


# --- Administration of question banks ----------------------------------------------------------

def _course_by_slug(slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _course_choices():
    return choices([(c.slug, localized(c, "title")) for c in active_courses()])


def _courses_and_selected():
    """Active courses, and the one named by ``?course=`` (the first by default)."""
    courses = active_courses()
    slug = request.args.get("course") or (courses[0].slug if courses else "")
    return courses, next((c for c in courses if c.slug == slug), None)


@bp.route("/admin/questions")
@roles_required("admin")
def bank():
    """A course's question bank by category, with links to import, export and statistics."""
    courses, course = _courses_and_selected()
    category = request.args.get("category", "")
    questions, counts = [], {}
    if course is not None:
        counts = bank_counts(course)
        query = select(Question).where(Question.course_id == course.id, Question.active)
        if category:
            query = query.where(Question.category == category)
        questions = list(db.session.scalars(query.order_by(Question.category, Question.source_file,
                                                           Question.source_line)))
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.active))) \
        if course else []
    return render_template("quizzes/bank.html", courses=courses, course=course, category=category,
                           questions=questions, counts=counts, quizzes=quizzes)


NOTHING_TO_IMPORT = _l("This file holds no questions to import, so nothing was saved. Check that it is the "
                      "question bank you meant, that the format chosen is its format, and that it has at least one "
                      "question other than essays and descriptions, which the platform skips.")


def _parse(text, fmt, category):
    return (parse_aiken if fmt == "aiken" else parse_gift)(text, category=category)


@bp.route("/admin/questions/import", methods=["GET", "POST"])
@roles_required("admin")
def import_bank():
    """Upload a GIFT or Aiken file and preview it before importing."""
    form = ImportForm(course=request.args.get("course"))
    form.course.choices = _course_choices()
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        upload.close()
        if len(raw) > current_app.config["MAX_UPLOAD_BYTES"]:
            limit = current_app.config["MAX_UPLOAD_BYTES"] / 1024 / 1024
            form.file.errors.append(_("The file is larger than %(limit)s MB.", limit=format_number(limit)))
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors.append(_("The file is not UTF-8 text. Export it from Moodle again as UTF-8."))
            else:
                result = _parse(text, form.format.data, form.category.data or "")
                if not result.errors and not result.delivered:
                    form.file.errors.append(str(NOTHING_TO_IMPORT))
                    return _import_page(form)
                confirm = ConfirmImportForm(course=form.course.data, format=form.format.data,
                                            category=form.category.data or "", filename=upload.filename or "",
                                            content=text)
                course = _course_by_slug(form.course.data)
                return render_template("quizzes/import_preview.html", result=result, confirm=confirm,
                                       course=course, filename=upload.filename,
                                       drawn_by=quizzes_by_category(course), counts=bank_counts(course))
    return _import_page(form)


def _import_page(form):
    course = db.session.scalar(select(Course).where(Course.slug == form.course.data, Course.active)) \
        if form.course.data else None
    course = course or next(iter(active_courses()), None)
    return render_template("quizzes/import.html", form=form, course=course,
                           drawn_by=quizzes_by_category(course) if course else {},
                           counts=bank_counts(course) if course else {}), 400 if form.errors else 200


@bp.route("/admin/questions/import/confirm", methods=["POST"])
@roles_required("admin")
def import_confirm():
    """Import the previewed file; a file with errors imports nothing."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    course = _course_by_slug(form.course.data)
    result = _parse(form.content.data or "", form.format.data, form.category.data or "")
    if result.errors:
        flash(_("The file has errors, so nothing was imported."), "error")
        return redirect(url_for("quizzes.import_bank"))
    if not result.delivered:
        flash(str(NOTHING_TO_IMPORT), "error")
        return redirect(url_for("quizzes.import_bank", course=course.slug))
    source = f"upload:{(form.filename.data or 'questions')[:200]}"
    report = import_questions(course, result, source, actor=current_user)
    db.session.commit()
    flash(_("Import finished: %(summary)s.", summary=report.summary()), "success")
    return redirect(url_for("quizzes.bank", course=course.slug))


@bp.route("/admin/questions/<slug>.gift")
@roles_required("admin")
def export_bank(slug):
    """Download a course's active questions as GIFT."""
    course = _course_by_slug(slug)
    text = export_course(course)
    return Response(text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": content_disposition(f"{course.slug}-questions.gift")})


@bp.route("/admin/questions/statistics")
@roles_required("admin")
def statistics():
    """Item statistics per question, with weak questions flagged."""
    courses, course = _courses_and_selected()
    stats = item_statistics(course) if course else []
    flagged_only = request.args.get("flagged") == "1"
    if flagged_only:
        stats = [s for s in stats if s.flags]
    return render_template("quizzes/statistics.html", courses=courses, course=course, stats=stats,
                           flagged_only=flagged_only)
