"""Reminder e-mails: a weekly digest for supervisors, and a nudge when supervision is overdue.

Each reminder is claimed for its period (the ISO week) before it is sent, so it goes out at
most once per person and period (see ``training.reminders``).
"""
from datetime import date

from sqlalchemy import select

from training.auth.models import SupervisorAssignment, User, UserRole
from training.extensions import db
from training.mail import external_url, send_mail
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
        # assess() includes the wellbeing signal only for trainees who share it.
        risks = [r for r in assess(trainees, today) if r.flags]
        pending = pending_count(supervisor)
        if (pending or risks) and claim(supervisor, "supervisor_digest", period):
            lines = [f"Hello {supervisor.full_name},", ""]
            if pending:
                lines.append(f"{pending} hour entr{'y is' if pending == 1 else 'ies are'} waiting for "
                             f"your review: {external_url('supervision.review')}")
            if risks:
                lines += ["", "Supervisees who may need your attention:"]
                for risk in risks:
                    lines.append(f"- {risk.trainee.full_name} ({risk.label}):")
                    lines += [f"    {flag.reason}" for flag in risk.flags]
            lines += ["", f"Your supervisees: {external_url('supervision.supervisees')}"]
            send_mail(supervisor.email, "Your weekly supervision digest", "\n".join(lines) + "\n")
            sent["supervisor_digest"] += 1
    trainees = list(db.session.scalars(select(User).where(
        User.active, User.password_hash.is_not(None), User.roles.any(UserRole.role == "trainee"))))
    for risk in assess(trainees, today, include_wellbeing=False):
        flag = next((f for f in risk.flags if f.key == "supervision_overdue"), None)
        if flag and claim(risk.trainee, "supervision_overdue", period):
            send_mail(risk.trainee.email, "Time for supervision", (
                f"Hello {risk.trainee.full_name},\n\n{flag.reason}\n\nRegular supervision protects you from "
                f"burnout and counts toward your credential. {flag.next_step}\n\n"
                f"Your progress: {external_url('supervision.progress')}\n"))
            sent["supervision_overdue"] += 1
    return sent
