"""Credentials as data, trainees' enrolments in them, and the evidence their rules ask for."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.i18n import CONTENT_LANGUAGE, WordsInLanguages, current_language, text_in

# Validated definitions by their text, shared by every request of the process.
_SPECS = {}


class Credential(WordsInLanguages, db.Model):
    """A credential as its file defines it; ``definition`` holds the whole validated file."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    certificate_prefix: Mapped[str] = mapped_column(String(10))
    domains: Mapped[list] = mapped_column(JSON)
    definition: Mapped[dict] = mapped_column(JSON)
    validity_months: Mapped[int] = mapped_column(default=24)
    active: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def spec(self):
        """The definition as validated schema objects (``schema.CredentialFile``)."""
        from training.credentials.schema import CredentialFile

        # Validated once per process for each version of a definition; each loaded row asks once
        # per definition object it holds (assigning a new definition asks again).
        cached = self.__dict__.get("_spec")
        if cached is None or cached[0] is not self.definition:
            key = repr(self.definition)
            spec = _SPECS.get(key)
            if spec is None:
                spec = CredentialFile.model_validate(self.definition, strict=False)
                if len(_SPECS) >= 64:
                    _SPECS.clear()
                _SPECS[key] = spec
            cached = (self.definition, spec)
            self.__dict__["_spec"] = cached
        return cached[1]

    @property
    def hour_attributes(self):
        return self.spec.hour_attributes

    @property
    def renewal(self):
        return self.spec.renewal

    @property
    def design(self):
        return self.spec.design

    def words(self, language):
        """The title, description and domain names in ``language`` ({} where the file gives none).

        Pages ask for them once per credential shown: kept with the validated definition."""
        spec = self.spec
        kept = self.__dict__.get("_words")
        if kept is None or kept[0] is not spec:
            kept = (spec, {})
            self.__dict__["_words"] = kept
        if language not in kept[1]:
            version = spec.translations.get(language)
            kept[1][language] = version.model_dump() if version is not None else {}
        return kept[1][language]

    def label_in(self, language, text):
        """A label or title the file writes (a requirement's, an evidence title, an hour attribute's,
        a renewal category's) in ``language``, or as written where the file gives none."""
        return self.words(language).get("labels", {}).get(text, text)

    def text_in(self, language, key, text):
        """The longer text the file writes under ``key`` (a signature's text, a document's
        description, an hour attribute's help), ``text`` in English, in ``language``, and the
        language it is written in: English where the file gives no translation."""
        translated = self.words(language).get("texts", {}).get(key) if text else None
        return (translated, language) if translated else (text, CONTENT_LANGUAGE)

    # In the reader's language: the page's, falling back to the file's English.

    @property
    def local_title(self):
        return self.title_in(current_language())

    @property
    def local_title_language(self):
        """The language ``local_title`` is written in: the reader's, or English where the file
        gives no translation."""
        language = current_language()
        return language if self.words(language).get("title") else CONTENT_LANGUAGE

    def local_domain(self, domain):
        """``domain``'s name in the reader's language, and the language it is written in."""
        language = current_language()
        name = self.words(language).get("domains", {}).get(domain)
        return (name, language) if name else (domain, CONTENT_LANGUAGE)

    def local_label(self, text):
        """A label or title of the file in the reader's language, where the file translates it."""
        return self.label_in(current_language(), text)

    def local_text(self, key, text):
        """``text_in`` the reader's language: (text, the language it is written in)."""
        return self.text_in(current_language(), key, text)

    def local_label_language(self, text):
        """``local_label(text)`` and the language it is written in."""
        language = current_language()
        name = self.words(language).get("labels", {}).get(text)
        return (name, language) if name else (text, CONTENT_LANGUAGE)


def by_local_title(credentials):
    """Credentials in the order of their titles in the reader's language, accents and case aside
    ("Ética" beside "Etapa", not after "Zona")."""
    import unicodedata

    def key(credential):
        letters = unicodedata.normalize("NFKD", credential.local_title)
        return "".join(c for c in letters if not unicodedata.combining(c)).casefold(), credential.local_title

    return sorted(credentials, key=key)


class Enrolment(db.Model):
    """A trainee working toward a credential since ``started_on``; windows start there.

    The last evaluation is kept here (eligible, items met), refreshed in the same transaction
    as every change to the facts it depends on, so that counting everyone eligible for a
    credential is one indexed query.
    """

    __table_args__ = (
        UniqueConstraint("user_id", "credential_id"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        Index("ix_enrolment_credential_eligible", "credential_id", "eligible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    eligible: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    items_met: Mapped[int] = mapped_column(default=0, server_default="0")
    items_total: Mapped[int] = mapped_column(default=0, server_default="0")
    # The first unmet item's next step, in each language the platform speaks ({} when eligible).
    next_steps: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credential: Mapped[Credential] = relationship()
    user = relationship("User")

    @property
    def current(self):
        return self.ended_on is None or self.ended_on >= date.today()

    @property
    def next_step(self):
        """The stored next step in the reader's language."""
        return text_in(self.next_steps)


EVIDENCE_STATUSES = {"submitted": _l("Waiting for review"), "accepted": _l("Accepted"), "returned": _l("Returned"),
                     "withdrawn": _l("Withdrawn")}


class Evidence(db.Model):
    """A document, signature or external exam result that a credential's rules ask for.

    Keyed by the requirement's ``key``, so evidence given once (a background check) counts for
    every credential that asks for the same key.
    """

    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'accepted', 'returned', 'withdrawn')", name="known_status"),
        Index("ix_evidence_user_key", "user_id", "key"),
        # Documents waiting for review, a small share: counted and listed oldest first from this alone.
        Index("ix_evidence_submitted", "created_at", "id", postgresql_where=text("status = 'submitted'"),
              sqlite_where=text("status = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    key: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    # A signature: the name typed, the SHA-256 of the exact text that was shown, and the language
    # that text was written in (the file's English, or its translation the signer read).
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    text_sha256: Mapped[str] = mapped_column(String(64), default="")
    signed_language: Mapped[str] = mapped_column(String(5), default=CONTENT_LANGUAGE, server_default=CONTENT_LANGUAGE)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quantity: Mapped[float | None] = mapped_column(Float)  # an exam score, a number of college credits
    occurred_on: Mapped[date | None]                       # the exam's or the document's date
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    attachment = relationship("Attachment")

    @property
    def status_label(self):
        return EVIDENCE_STATUSES[self.status]


