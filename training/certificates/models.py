"""Issued certificates, frozen at issue."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.i18n import WordsInLanguages


class Certificate(WordsInLanguages, db.Model):
    """A certificate as issued: everything printed on it is stored here and never recomputed.

    One certificate per trainee, credential and cycle (1 for the first award, 2 for the
    first renewal, ...), enforced by the database so that double clicks, two administrators
    or a retried job can never make two.
    """

    # The credential's words as frozen at issue.
    english_title = "credential_title"
    english_description = "credential_description"

    __table_args__ = (
        UniqueConstraint("user_id", "credential_id", "cycle"),
        CheckConstraint("status IN ('valid', 'revoked')", name="known_status"),
        CheckConstraint("issued_as IN ('award', 'renewal', 'extension')", name="known_issue"),
        CheckConstraint("expires_on >= issued_on", name="expires_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # normalised, without separators
    holder_name: Mapped[str] = mapped_column(String(200))
    credential_slug: Mapped[str] = mapped_column(String(100))
    credential_title: Mapped[str] = mapped_column(String(200))
    credential_description: Mapped[str] = mapped_column(Text, default="")
    # The language the PDF is printed in (the holder's), and the credential's words in the other
    # languages as they were at issue: {language: {title, description, domains}}.
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    translations: Mapped[dict | None] = mapped_column(JSON)
    hours: Mapped[dict] = mapped_column(JSON)
    issued_on: Mapped[date]
    # Indexed: reminders, the administrators' dashboard and the certificates list look for those expiring soon.
    expires_on: Mapped[date] = mapped_column(index=True)
    issuer_name: Mapped[str] = mapped_column(String(200))
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_title: Mapped[str] = mapped_column(String(200))
    verify_url: Mapped[str] = mapped_column(String(500))
    design: Mapped[str] = mapped_column(String(50))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # empty until rendered (see certificate_pdf)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="valid")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")  # shown publicly
    revoked_note: Mapped[str] = mapped_column(Text, default="")    # for administrators only
    pdf_public: Mapped[bool] = mapped_column(default=False)        # the holder's choice
    # The Open Badges credential, signed once and served byte for byte (None until signed), and
    # page 1 of the PDF as an image (made when first shown). Loaded only when used: lists never need them.
    signed_json: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="signed")
    signed_jwt: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="signed")
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Indexed: the verification page asks whether a newer certificate renews this one.
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)
    # How this certificate came about: the first award, a renewal, or an extension of the previous one.
    issued_as: Mapped[str] = mapped_column(String(10), default="award", server_default="award")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    holder = relationship("User", foreign_keys=[user_id])
    credential = relationship("Credential")
    previous: Mapped["Certificate | None"] = relationship(remote_side=[id])

    def state(self, today=None):
        """'valid', 'expired' or 'revoked' as of ``today``."""
        if self.status == "revoked":
            return "revoked"
        return "expired" if self.expires_on < (today or date.today()) else "valid"

    def words(self, language):
        """The credential's title, description and domain names in ``language``, as frozen at issue."""
        return (self.translations or {}).get(language) or {}


    @property
    def grouped_code(self):
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))
