"""Reminder e-mails: a weekly digest for supervisors, and a nudge when supervision is overdue.

Each reminder is claimed for its period (the ISO week) before it is sent, so it goes out at
most once per person and period (see ``training.reminders``).
"""
from datetime import date

from sqlalchemy import select

from training.auth.models import SupervisorAssignment, User, UserRole
from training.extensions import db
from training.i18n import for_user
from training.mail import external_url, send_to
from training.reminders import claim
from training.supervision.risk import assess
from training.supervision.services import pending_count


def _period(today):
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def send_supervision_reminders(today=None):
    """Supervisors' weekly digests and trainees' overdue-supervision nudges, each once a week."""
    today = today or date.today()
    period = _period(today)
    sent = {"supervisor_digest": 0, "supervision_overdue": 0}
    supervisors = db.session.scalars(select(User).where(
        User.active, User.password_hash.is_not(None), User.roles.any(UserRole.role == "supervisor")))
    for supervisor in supervisors:
        trainee_ids = select(SupervisorAssignment.trainee_id).where(
            SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.current_filter(today))
        trainees = list(db.session.scalars(select(User).where(User.id.in_(trainee_ids), User.active)))
        # assess() includes the wellbeing signal only for trainees who share it; its reasons
        # are worded in the supervisor's language, like the rest of the digest.
        with for_user(supervisor):
            risks = [r for r in assess(trainees, today) if r.flags]
        pending = pending_count(supervisor)
        if (pending or risks) and claim(supervisor, "supervisor_digest", period):
            send_to(supervisor, "supervisor_digest", pending=pending, risks=risks,
                    review_link=external_url("supervision.review"),
                    supervisees_link=external_url("supervision.supervisees"))
            sent["supervisor_digest"] += 1
    trainees = list(db.session.scalars(select(User).where(
        User.active, User.password_hash.is_not(None), User.roles.any(UserRole.role == "trainee"))))
    for risk in assess(trainees, today, include_wellbeing=False):
        flag = next((f for f in risk.flags if f.key == "supervision_overdue"), None)
        if flag and claim(risk.trainee, "supervision_overdue", period):
            with for_user(risk.trainee):  # the reason in the trainee's language
                flag = next((f for again in assess([risk.trainee], today, include_wellbeing=False)
                             for f in again.flags if f.key == "supervision_overdue"), flag)
            send_to(risk.trainee, "supervision_overdue", flag=flag, progress_link=external_url("supervision.progress"))
            sent["supervision_overdue"] += 1
    return sent
