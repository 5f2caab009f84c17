from datetime import date

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from sqlalchemy import func, select

from training.admin.services import account_status_is, named_in, waiting_for_administrators
from training.audit import AuditEvent, with_people
from training.auth.access import page_to_show, safe_next_url
from training.auth.models import User, UserRole
from training.cohorts.dashboard import trainer_overview
from training.core import bp
from training.courses.services import active_courses, final_exam, progress_for, training_minutes_by_domain
from training.credentials.evaluation import evaluate
from training.extensions import db
from training.i18n import LANGUAGES, SESSION_KEY, known, language_name
from training.quizzes.progress import learning_of
from training.quizzes.services import quiz_status
from training.supervision.assessments import most_at_risk
from training.supervision.risk import own_flags
from training.supervision.services import caseload, pending_count, returned_count


@bp.route("/")
def index():
    """Send people to their dashboard, or to sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@login_required
def dashboard():
    """One dashboard with a section for each role the person holds."""
    context = {}
    if current_user.has_role("trainee"):
        # The evaluations read the trainee's completions, credits and enrolments: the sections below reuse them.
        evaluations = context["evaluations"] = evaluate([current_user]).get(current_user.id, [])
        courses = active_courses()
        progress = progress_for(current_user, courses, evaluations[0].facts.completions if evaluations else None)
        context["progress"] = progress
        context["next_step"] = next((p for p in progress if p.next_module), None)
        # Every module done is not every course done: a course may still wait for its final exam.
        waiting = None if context["next_step"] else next(
            (p for p in progress if not p.completed_at and not p.locked_by), None)
        exam = final_exam(waiting.course) if waiting else None
        context["waiting"] = waiting
        context["waiting_exam"] = quiz_status(current_user, exam) if exam else None
        context["training_minutes"] = training_minutes_by_domain(
            current_user, evaluations[0].facts.credits if evaluations else None)
        context["own_risk"] = own_flags(current_user, evaluations=evaluations)
        context["returned_count"] = returned_count(current_user)
    if current_user.has_role("supervisor"):
        # The most at risk first, wellbeing only where shared; the whole caseload is on the supervisees' pages.
        context["supervisee_total"], _page, context["risks"] = most_at_risk(
            caseload(current_user), current_app.config["SUPERVISEES_ON_DASHBOARD"])
        context["learning"] = learning_of(r.trainee.id for r in context["risks"])
        context["pending_count"] = pending_count(current_user)
    if current_user.has_role("trainer"):
        context["trainer"] = trainer_overview(current_user)
    if current_user.has_role("trainee"):
        from training.cohorts.services import local, upcoming_sessions

        context["my_sessions"], context["local"] = upcoming_sessions(current_user), local
    if current_user.has_role("admin"):
        role_counts = dict(db.session.execute(
            select(UserRole.role, func.count()).join(User).where(User.active).group_by(UserRole.role)
        ).all())
        context["role_counts"] = role_counts
        context["invited_count"] = db.session.scalar(
            select(func.count()).select_from(User).where(account_status_is("invited")))
        context["waiting_for_you"] = waiting_for_administrators(
            date.today(), max(current_app.config["EXPIRY_REMINDER_DAYS"], default=60))
        context["courses"] = active_courses()
        context["recent_events"] = list(db.session.scalars(
            select(AuditEvent).options(*with_people())
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(8)))
        # Which session, cohort, course or quiz each names, as the audit log shows them (read together).
        context["recent_named"] = named_in(context["recent_events"])
    return render_template("core/dashboard.html", **context)


@bp.route("/language", methods=["POST"])
def set_language():
    """Choose the language of the pages: saved on the account, or in the session for a visitor."""

    back = page_to_show(safe_next_url(request.form.get("next", "")) or url_for("core.index")) or url_for("core.index")
    code = known(request.form.get("locale", ""))
    if code is None:
        flash(_("Please choose one of the languages offered: %(languages)s.",
                languages=", ".join(LANGUAGES.values())), "error")
        return redirect(back)
    session[SESSION_KEY] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    refresh()
    flash(_("The pages are now shown in %(language)s.", language=language_name(code)), "success")
    return redirect(back)
