"""Background jobs as rows: what was asked, by whom, how far it got, and each item that failed."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.i18n import text_in


class Job(db.Model):
    """Work started by someone and done by workers: its progress is counted here as items finish."""

    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'finished')", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)     # items processed, whether they succeeded or failed
    failed: Mapped[int] = mapped_column(default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))  # a file the job wrote (a zip), for download
    result_size: Mapped[int | None]
    # What the job reported when it finished, in each language the platform speaks.
    summaries: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def error(self):
        """Why the item failed, in the reader's language ("" unless it failed)."""
        return text_in(self.errors)

    started_by = relationship("User")

    @property
    def succeeded(self):
        return self.done - self.failed

    @property
    def summary(self):
        """The job's report in the reader's language ("" when it has none)."""
        return text_in(self.summaries)


class JobItem(db.Model):
    """One unit of a job (a trainee to issue to, say); failed items keep their reason and can be retried."""

    __table_args__ = (
        UniqueConstraint("job_id", "key"),
        Index("ix_job_item_job_id_status", "job_id", "status"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))   # what the item is about, e.g. a user id
    label: Mapped[str] = mapped_column(String(200))  # how it is shown, e.g. an e-mail address
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # Why the item failed, in each language the platform speaks ({} unless it failed).
    errors: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    attempts: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def error(self):
        """Why the item failed, in the reader's language ("" unless it failed)."""
        return text_in(self.errors)
