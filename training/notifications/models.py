"""What a person has been told: in the app, and by e-mail at once or in a daily digest."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.i18n import text_in

DELIVERIES = ("immediate", "digest")


class Notification(db.Model):
    """One event told to one person.

    ``event_key`` names the event (an audit event, or a reminder and its period); the unique
    constraint on (person, event) makes telling idempotent however often a job runs.
    """

    __table_args__ = (
        UniqueConstraint("user_id", "event_key"),
        # The header's unread count and the list page, newest first.
        Index("ix_notification_user_read", "user_id", "read_at", "id"),
        # The daily digest: what has not been e-mailed yet.
        Index("ix_notification_unsent", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(120))
    # What it says in every language the platform speaks, ``{code: text}``: each reader sees their
    # language of the day they read it, whatever it was when the notification was made.
    messages: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # Where the notification leads: an endpoint and its arguments, built into a link when shown
    # (a path in the app, an absolute link from BASE_URL in e-mail).
    endpoint: Mapped[str] = mapped_column(String(80), default="", server_default="")
    link_args: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def message_in(self, language=None):
        """What it says in ``language`` (default: the reader's)."""
        return text_in(self.messages, language)

    @property
    def message(self):
        return self.message_in()


class NotificationSetting(db.Model):
    """How a person wants e-mail about notifications: each at once (the default) or a daily digest."""

    __table_args__ = (CheckConstraint("delivery IN ('immediate', 'digest')", name="known_delivery"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10), default="immediate")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
