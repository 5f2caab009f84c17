"""Reminder e-mails: a weekly digest for supervisors, and a nudge when supervision is overdue.

Each reminder is recorded with its period (the ISO week), and a unique constraint makes
sure it goes out at most once per person and period, however often the job runs and even
when two runs overlap.
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.auth.models import SupervisorAssignment, User, UserRole
from training.extensions import db
from training.mail import external_url, send_mail
from training.supervision.models import ReminderLog
from training.supervision.risk import assess
from training.supervision.services import pending_count


def _period(today):
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def _claim(user, kind, period):
    """Record the reminder before sending; False when it already went out this period."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderLog(user_id=user.id, kind=kind, period=period))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def send_reminders(today=None):
    today = today or date.today()
    period = _period(today)
    sent = {"supervisor_digest": 0, "supervision_overdue": 0, "certificate_expiry": 0}
    supervisors = db.session.scalars(select(User).where(
        User.active, User.password_hash.is_not(None), User.roles.any(UserRole.role == "supervisor")))
    for supervisor in supervisors:
        trainee_ids = select(SupervisorAssignment.trainee_id).where(
            SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.current_filter(today))
        trainees = list(db.session.scalars(select(User).where(User.id.in_(trainee_ids), User.active)))
        # assess() includes the wellbeing signal only for trainees who share it.
        risks = [r for r in assess(trainees, today) if r.flags]
        pending = pending_count(supervisor)
        if (pending or risks) and _claim(supervisor, "supervisor_digest", period):
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
        if flag and _claim(risk.trainee, "supervision_overdue", period):
            send_mail(risk.trainee.email, "Time for supervision", (
                f"Hello {risk.trainee.full_name},\n\n{flag.reason}\n\nRegular supervision protects you from "
                f"burnout and counts toward your credential. {flag.next_step}\n\n"
                f"Your progress: {external_url('supervision.progress')}\n"))
            sent["supervision_overdue"] += 1
    sent["certificate_expiry"] = send_expiry_reminders(today)
    return sent


def send_expiry_reminders(today=None):
    """Tell holders 60, 30 and 7 days before a certificate expires; each reminder once."""
    from flask import current_app

    from training.certificates.services import expiry_due

    today = today or date.today()
    sent = 0
    for days in sorted(current_app.config["EXPIRY_REMINDER_DAYS"]):
        for certificate in expiry_due(days, today):
            left = (certificate.expires_on - today).days
            window = min(d for d in current_app.config["EXPIRY_REMINDER_DAYS"] if d >= left)
            if window != days or not _claim(certificate.holder, f"expiry-{days}", certificate.number):
                continue
            send_mail(certificate.holder.email, f"Your certificate expires in {left} days", (
                f"Hello {certificate.holder.full_name},\n\nYour {certificate.credential_title} certificate "
                f"{certificate.number} expires on {certificate.expires_on.isoformat()}. To renew it you need "
                f"continuing education hours logged and approved; see your certificates page: "
                f"{external_url('certificates.mine')}\n"))
            sent += 1
    return sent
