"""People, their roles, one-time account tokens and supervisor assignments."""
import secrets
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, case, exists, func, or_, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, validates

from training.audit import AuditEvent
from training.db_types import UTCDateTime, utcnow
from training.extensions import db

# Stored in English; shown in the reader's language.
ROLES = {
    "trainee": _l("Trainee"),
    "supervisor": _l("Supervisor"),
    "trainer": _l("Trainer"),
    "admin": _l("Administrator"),
}

# Where an account stands (``User.account_status``), as administrators' lists show it.
ACCOUNT_STATUSES = {
    "active": _l("Active"),
    "invited": _l("Invited"),
    "registered": _l("Registered, not confirmed"),
    "deactivated": _l("Deactivated"),
}


NAME_KEY_LENGTH = 120


def new_session_token():
    return secrets.token_urlsafe(24)


def name_key(words):
    """Words as lists of people search and sort them: without accents, in any case ("Óscar Álvarez"
    is found as "oscar alvarez", and sorted among the O's)."""
    decomposed = unicodedata.normalize("NFKD", words or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()[:NAME_KEY_LENGTH]


def matching_name_or_email(search):
    """A condition on ``User``: the name or the e-mail address contains ``search``, accents and case aside."""
    search = " ".join((search or "").split())
    # "%" and "_" are searched for as written, not as LIKE's wildcards.
    return or_(User.name_key.contains(name_key(search), autoescape=True),
               func.lower(User.email).contains(search.lower(), autoescape=True))


class User(UserMixin, db.Model):
    # Lists of people are shown in name order, a page at a time.
    __table_args__ = (Index("ix_user_name_key", "name_key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # The name as lists sort and search it (``name_key``): kept with every change of the name.
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), default="", server_default="")
    # The name as it should be printed on certificates, when it differs from the display name.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on password change and deactivation so that every open session ends.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    programme_started_on: Mapped[date | None]
    # The supervisor sees the derived wellbeing flag only when the trainee agrees.
    wellbeing_shared: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The language the person reads pages, e-mails and certificates in; empty: their browser's.
    locale: Mapped[str | None] = mapped_column(String(10))
    # Professional details a supervisor attests with (printed on supervision verification reports).
    job_title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    professional_credential: Mapped[str] = mapped_column(String(200), default="", server_default="")
    credential_number: Mapped[str] = mapped_column(String(60), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    organisation_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    organisation_address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # When this sign-in began (seconds since the epoch): set at sign-in and read back from the
    # session on each request, never stored in the table (see ``training.auth.sessions``).
    signed_in_at = None
    remembered = False  # "Keep me signed in" chosen at that sign-in

    def get_id(self):
        return self.session_token

    def sign_in_identity(self):
        """What Flask-Login stores for this sign-in: the session token with the sign-in's time."""
        from training.auth.sessions import identity

        return identity(self)

    @property
    def is_active(self):
        return self.active

    @property
    def role_names(self):
        return {role.role for role in self.roles}

    def has_role(self, *names):
        return bool(self.role_names.intersection(names))

    @validates("email")
    def _lower_case_email(self, _key, value):
        # Kept in lower case, so that finding someone by address (signing in, invitations, enrolment
        # by e-mail) reads the unique index instead of every account.
        return value.strip().lower() if value else value

    @validates("full_name")
    def _keep_name_key(self, _key, value):
        self.name_key = name_key(value)
        return value

    @property
    def printed_name(self):
        return (self.legal_name or "").strip() or self.full_name

    def signature(self, typed, also_legal=False):
        """The name a typed signature records: the account's name as the account writes it, when
        ``typed`` is that name in any case and spacing (or the legal name, with ``also_legal``);
        None when it is not."""
        def plain(name):
            return " ".join((name or "").split())

        for name in (self.full_name, self.printed_name) if also_legal else (self.full_name,):
            if plain(typed).casefold() == plain(name).casefold():
                return plain(name)
        return None

    @property
    def is_admin(self):
        return self.has_role("admin")

    @property
    def has_accepted_invitation(self):
        return self.password_hash is not None

    @property
    def account_status(self):
        """A key of ``ACCOUNT_STATUSES``: deactivated; active (the account is set up); registered (its owner
        registered and has not yet confirmed the address); or invited (not yet accepted)."""
        if not self.active:
            return "deactivated"
        if self.has_accepted_invitation:
            return "active"
        return "registered" if self.registration_unconfirmed else "invited"

    def set_roles(self, names):
        wanted = set(names)
        self.roles = [r for r in self.roles if r.role in wanted] + [
            UserRole(role=name) for name in sorted(wanted - self.role_names)
        ]

    def rotate_session_token(self):
        self.session_token = new_session_token()

    def __repr__(self):
        return f"<User {self.email}>"


# A registration its owner has not confirmed: an account with no password yet, as an invitation not
# yet accepted is, told apart by the event that registering records (the audit log is never changed).
# Deferred: a list that shows it reads it with the people, in the same statement (``undefer``).
User.registration_unconfirmed = column_property(
    case((User.password_hash.is_(None), exists().where(AuditEvent.subject_id == User.id,
                                                       AuditEvent.action == "user.registered")), else_=sa_false()),
    deferred=True)


class UserRole(db.Model):
    __table_args__ = (
        CheckConstraint("role IN ('trainee', 'supervisor', 'trainer', 'admin')", name="known_role"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class AccountToken(db.Model):
    """A one-time link for accepting an invitation or resetting a password.

    Only the SHA-256 of the token is stored, so a copy of the database cannot be used to
    take over an account.
    """

    __table_args__ = (
        CheckConstraint("purpose IN ('invitation', 'password_reset')", name="known_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SupervisorAssignment(db.Model):
    """A supervisor responsible for a trainee from ``starts_on`` until ``ends_on`` (inclusive)."""

    __table_args__ = (
        CheckConstraint("supervisor_id <> trainee_id", name="not_self"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        UniqueConstraint("supervisor_id", "trainee_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])

    def is_current(self, on=None):
        on = on or date.today()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)

    @staticmethod
    def current_filter(on=None):
        on = on or date.today()
        return (SupervisorAssignment.starts_on <= on) & or_(
            SupervisorAssignment.ends_on.is_(None), SupervisorAssignment.ends_on >= on
        )


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
