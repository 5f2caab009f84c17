"""Reminders that go out at most once per person and period, whoever sends them.

Each reminder is recorded before it is sent, and a unique constraint on (person, kind,
period) makes sure it goes out once however often the job runs, even when two runs overlap.
"""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from training.db_types import UTCDateTime, utcnow
from training.extensions import db


class ReminderLog(db.Model):
    """A reminder sent, so that each goes out at most once per period however often the job runs."""

    __table_args__ = (UniqueConstraint("user_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def claim(user, kind, period):
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
    """Every reminder that is due: supervision digests and nudges, and certificate expiry."""
    from training.certificates.reminders import send_expiry_reminders
    from training.supervision.reminders import send_supervision_reminders

    today = today or date.today()
    sent = send_supervision_reminders(today)
    sent["certificate_expiry"] = send_expiry_reminders(today)
    return sent
