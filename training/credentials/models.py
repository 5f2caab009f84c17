"""Credentials as data, and which credential each trainee is working toward."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db


class Credential(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    certificate_prefix: Mapped[str] = mapped_column(String(10))
    domains: Mapped[list] = mapped_column(JSON)
    requirements: Mapped[dict] = mapped_column(JSON)
    initial_period_months: Mapped[int] = mapped_column(default=6)
    supervision_initial_days: Mapped[int] = mapped_column(default=7)
    supervision_after_days: Mapped[int] = mapped_column(default=31)
    validity_months: Mapped[int] = mapped_column(default=24)
    renewal: Mapped[dict] = mapped_column(JSON, default=dict)
    design: Mapped[str] = mapped_column(String(50), default="classic", server_default="classic")  # certificates/<design>/
    active: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def minutes_required(self, requirement):
        """Total minutes a requirement asks for (hours in the file), or 0."""
        spec = self.requirements.get(requirement) or {}
        if "total" in spec:
            return int(spec["total"] * 60)
        return int(sum(v for k, v in spec.items() if k in self.domains) * 60)


class Enrolment(db.Model):
    """A trainee working toward a credential since ``started_on``."""

    __table_args__ = (UniqueConstraint("user_id", "credential_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    started_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credential: Mapped[Credential] = relationship()
