from flask import current_app, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from training.audit import AuditEvent
from training.auth.models import User, UserRole
from training.cohorts.dashboard import trainer_overview
from training.core import bp
from training.courses.services import active_courses, progress_for, training_minutes_by_domain
from training.credentials.evaluation import evaluate
from training.extensions import db
from training.supervision.risk import assess, own_flags
from training.supervision.services import pending_count, returned_count, supervisees_of, unsupervised_pending_count


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
        courses = active_courses()
        progress = progress_for(current_user, courses)
        context["progress"] = progress
        context["next_step"] = next((p for p in progress if p.next_module), None)
        context["training_minutes"] = training_minutes_by_domain(current_user)
        context["evaluations"] = evaluate([current_user]).get(current_user.id, [])
        context["own_risk"] = own_flags(current_user)
        context["returned_count"] = returned_count(current_user)
    if current_user.has_role("supervisor"):
        risks = assess(supervisees_of(current_user))  # wellbeing only where shared
        # The most at risk first; a large caseload continues on the supervisees' pages.
        context["risks"] = risks[:current_app.config["SUPERVISEES_PER_PAGE"]]
        context["supervisee_total"] = len(risks)
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
            select(func.count()).select_from(User).where(User.active, User.password_hash.is_(None)))
        context["unsupervised_pending"] = unsupervised_pending_count()
        context["courses"] = active_courses()
        context["recent_events"] = list(db.session.scalars(
            select(AuditEvent).options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(8)))
    return render_template("core/dashboard.html", **context)
