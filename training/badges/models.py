"""The issuer's signing keys, its revocation status lists and holders' public identifiers."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.db_types import UTCDateTime, utcnow
from training.extensions import db


class IssuerKey(db.Model):
    """One signing key. Each rotation adds a generation: an RSA key for VC-JWT and an Ed25519
    key for Data Integrity proofs. Retired keys sign nothing new but stay published, so
    every credential signed with them still verifies."""

    __table_args__ = (UniqueConstraint("algorithm", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # the last part of the key's URL
    algorithm: Mapped[str] = mapped_column(String(10))  # RS256, EdDSA, or ES256 for a key published only
    generation: Mapped[int]
    public_jwk: Mapped[dict] = mapped_column(JSON)
    private_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted PKCS #8; None: published only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusList(db.Model):
    """A Bitstring Status List credential, signed and stored each time one of its bits flips."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the list's number in its URL
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    credential: Mapped[str] = mapped_column(Text, default="")  # the signed JSON, served byte for byte
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BadgeHolder(db.Model):
    """A certificate holder's public identifier: the subject id of every credential they hold."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
