import functools

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from training.courses import bp
from training.courses.models import Course, Module
from training.courses.services import (
    ModuleLocked,
    ModuleNeedsQuiz,
    ModuleNeedsReflection,
    ReflectionError,
    active_courses,
    complete_module,
    course_progress,
    final_exam,
    progress_for,
    reflection_of,
    submit_reflection,
)
from training.extensions import db
from training.forms import ConfirmForm
from training.i18n import localized
from training.quizzes.services import quiz_status


@functools.cache
def _course_with_modules():
    """The statement behind every course and module page, built once (see ``_course_or_404``)."""
    return (select(Course).options(joinedload(Course.translations),
                                   selectinload(Course.modules).options(joinedload(Module.quiz),
                                                                        joinedload(Module.translations)))
            .where(Course.slug == bindparam("slug"), Course.active))


def _course_or_404(slug):
    """The course with its modules, their quizzes and all their translations, which every course and
    module page shows: two statements, the course's row and its modules' rows, translations joined."""
    course = db.session.execute(_course_with_modules(), {"slug": slug}).unique().scalar_one_or_none()
    if course is None:
        abort(404)
    return course


def _module_or_404(course, module_slug):
    module = next((m for m in course.active_modules if m.slug == module_slug), None)
    if module is None:
        abort(404)
    return module


def _is_learner():
    return current_user.has_role("trainee")


@bp.route("/")
@login_required
def catalogue():
    """All courses, with the trainee's progress in each."""
    courses = active_courses()
    progress = progress_for(current_user, courses) if _is_learner() else None
    return render_template("courses/catalogue.html", courses=courses, progress=progress)


@bp.route("/<slug>")
@login_required
def course(slug):
    """A course's modules, progress and what comes next."""
    course = _course_or_404(slug)
    progress = course_progress(current_user, course)
    exam = final_exam(course)
    exam_status = quiz_status(current_user, exam) if exam and _is_learner() else None
    return render_template("courses/course.html", course=course, progress=progress,
                           learner=_is_learner(), exam=exam, exam_status=exam_status)


@bp.route("/<slug>/<module_slug>")
@login_required
def module(slug, module_slug):
    """Read a module; trainees see it once the modules before it are done."""
    course = _course_or_404(slug)
    module = _module_or_404(course, module_slug)
    progress = course_progress(current_user, course)
    state = progress.state_of(module)
    learner = _is_learner()
    if learner and not state.unlocked:
        flash(_("Finish the earlier modules first; this one opens when they are done."), "info")
        return redirect(url_for("courses.course", slug=course.slug))
    modules = course.active_modules
    index = modules.index(module)
    previous = modules[index - 1] if index > 0 else None
    following = modules[index + 1] if index + 1 < len(modules) else None
    reflection = reflection_of(current_user, module) if learner and module.reflection_required else None
    reflection_form = None
    if learner and module.reflection_required and (reflection is None or reflection.status == "returned"):
        from training.cohorts.forms import ReflectionForm

        reflection_form = ReflectionForm(text=reflection.text if reflection else "")
    return render_template("courses/module.html", course=course, module=module, state=state,
                           progress=progress, previous=previous, following=following,
                           position=index + 1, learner=learner, form=ConfirmForm(),
                           reflection=reflection, reflection_form=reflection_form)


@bp.route("/<slug>/<module_slug>/reflection", methods=["POST"])
@login_required
def reflection(slug, module_slug):
    """Send a written reflection to a trainer."""
    from training.cohorts.forms import ReflectionForm

    course = _course_or_404(slug)
    module = _module_or_404(course, module_slug)
    if not _is_learner():
        abort(403)
    form = ReflectionForm()
    if form.validate_on_submit():
        try:
            submit_reflection(current_user, module, form.text.data)
        except ModuleLocked:
            flash(_("Finish the earlier modules first; this one opens when they are done."), "info")
            return redirect(url_for("courses.course", slug=course.slug))
        except ReflectionError as error:
            db.session.rollback()
            form.text.errors = list(form.text.errors) + [error.message]
        else:
            flash(_("Your reflection is with a trainer. The module completes when it is accepted."), "success")
            return redirect(url_for("courses.module", slug=course.slug, module_slug=module.slug))
    progress = course_progress(current_user, course)
    modules = course.active_modules
    index = modules.index(module)
    return render_template(
        "courses/module.html", course=course, module=module, state=progress.state_of(module), progress=progress,
        previous=modules[index - 1] if index > 0 else None,
        following=modules[index + 1] if index + 1 < len(modules) else None, position=index + 1, learner=True,
        form=ConfirmForm(), reflection=reflection_of(current_user, module), reflection_form=form), 400


@bp.route("/<slug>/<module_slug>/complete", methods=["POST"])
@login_required
def complete(slug, module_slug):
    """Mark a module without a quiz as done."""
    course = _course_or_404(slug)
    module = _module_or_404(course, module_slug)
    if not _is_learner():
        abort(403)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        completion = complete_module(current_user, module)
    except ModuleLocked:
        flash(_("Finish the earlier modules first; this one opens when they are done."), "info")
        return redirect(url_for("courses.course", slug=course.slug))
    except ModuleNeedsQuiz:
        flash(_("This module is completed by passing its quiz."), "info")
        return redirect(url_for("quizzes.overview", quiz_id=module.quiz.id))
    except ModuleNeedsReflection:
        flash(_("This module completes when a trainer accepts your written reflection."), "info")
        return redirect(url_for("courses.module", slug=course.slug, module_slug=module.slug))
    if completion is not None:
        flash(_("Congratulations: you have completed %(course)s. Its training hours are now on your record.",
                course=localized(course, "title")), "success")
        return redirect(url_for("courses.course", slug=course.slug))
    progress = course_progress(current_user, course)
    following = progress.next_module
    flash(_("“%(module)s” is complete.", module=localized(module, "title")), "success")
    if following is not None:
        return redirect(url_for("courses.module", slug=course.slug, module_slug=following.slug))
    return redirect(url_for("courses.course", slug=course.slug))
