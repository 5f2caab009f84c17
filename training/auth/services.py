"""Account operations: passwords, sign-in, invitations, registration and resets.

Validation problems a person can fix raise :class:`AccountError` with a message meant for
them; the views turn it into a form error.
"""
import hashlib
import secrets
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from training import audit, jobs
from training.auth.models import AccountToken, User, user_by_email
from training.db_types import utcnow
from training.extensions import db
from training.i18n import current_language, known
from training.mail import external_url, send_to


class AccountError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def _hasher():
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password):
    return _hasher().hash(password)


def check_password_strength(password, user_email=""):
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(_("Use at least %(num)d characters.", num=minimum), "password")
    if len(password) > 256:
        raise AccountError(_("Use at most %(num)d characters.", num=256), "password")
    if user_email and password.strip().lower() == user_email.strip().lower():
        raise AccountError(_("Your password cannot be your e-mail address."), "password")


def set_password(user, password):
    """Change the password, ending every open session and every link sent before."""
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    retire_tokens(user)


def authenticate(email, password):
    """Return the active user with this e-mail and password, or None.

    A missing user still costs one hash check, so response time does not reveal which
    e-mail addresses have accounts.
    """
    user = user_by_email(email)
    hasher = _hasher()
    if user is None or user.password_hash is None:
        hasher.hash(password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


# --- One-time tokens ---------------------------------------------------------------------

def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def retire_tokens(user, purpose=None):
    """Stop every unused link of ``user`` (of one purpose, or all) from working."""
    if user.id is None:
        return
    query = update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    if purpose:
        query = query.where(AccountToken.purpose == purpose)
    db.session.execute(query.values(used_at=utcnow()))


def issue_token(user, purpose, lifetime):
    """Create a one-time token, retiring earlier unused ones of the same purpose."""
    now = utcnow()
    retire_tokens(user, purpose)
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user=user, purpose=purpose, token_hash=_digest(token),
                                expires_at=now + lifetime))
    return token


def find_token(token, purpose):
    """The unused, unexpired token record for ``token``, or None."""
    if not token or len(token) > 200:
        return None
    record = db.session.scalar(select(AccountToken).where(
        AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose
    ))
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


# --- Invitations ---------------------------------------------------------------------------

def invite(actor, email, full_name, roles):
    """Create an account waiting for its owner and e-mail them a one-time link."""
    return invite_with_link(actor, email, full_name, roles)[0]


def invite_with_link(actor, email, full_name, roles):
    """Like :func:`invite`; returns (user, link), so that with no mail server the link can be shown."""
    email = email.strip().lower()
    if user_by_email(email) is not None:
        raise AccountError(_("Someone with this e-mail address already has an account."), "email")
    if not roles:
        raise AccountError(_("Choose at least one role."), "roles")
    user = User(email=email, full_name=full_name.strip(), active=True)
    user.set_roles(roles)
    if "trainee" in roles:
        user.programme_started_on = date.today()
    db.session.add(user)
    link = send_invitation(actor, user, action="user.invited", roles=sorted(roles))
    return user, link


def send_invitation(actor, user, action="user.invitation_resent", **details):
    """Record and mail a new one-time link. Sent again to someone who registered and has not yet
    confirmed, it is the registration's confirmation, not an invitation nobody made."""
    registered = action == "user.invitation_resent" and user.registration_unconfirmed
    audit.record(action, actor=actor, subject=user, email=user.email, **details)
    return mail_invitation(actor, user, message="registration" if registered else "invitation")


def mail_invitation(actor, user, message="invitation"):
    """E-mail ``user`` a new one-time link to choose a password; return the link. ``message``: the
    e-mail that carries it (an invitation, or the confirmation of a registration)."""
    hours = current_app.config["INVITATION_TTL_HOURS"]
    token = issue_token(user, "invitation", timedelta(hours=hours))
    db.session.commit()
    link = external_url("auth.accept_invitation", token=token)
    send_to(user, message, inviter=actor, link=link, hours=hours)
    return link


def _claim(record):
    """Mark a one-time link used, in one statement that holds only while it is unused: of two
    requests with the same link at once (a double click, two tabs), the second waits for the
    first and then finds it used."""
    claimed = db.session.execute(update(AccountToken).where(
        AccountToken.id == record.id, AccountToken.used_at.is_(None)).values(used_at=utcnow())).rowcount
    if not claimed:
        raise AccountError(_("This link has already been used. Ask for a new one if you still need it."))


def accept_invitation(record, full_name, password):
    user = record.user
    _claim(record)
    set_password(user, password)
    user.full_name = full_name.strip()
    audit.record("user.invitation_accepted", actor=user, subject=user)
    db.session.commit()
    return user


# --- Self-registration --------------------------------------------------------------------

def request_registration(email, full_name):
    """Register in a background job, whether or not an account already uses ``email``.

    The answer and the work are the same for every address, so registering does not tell anyone
    who is enrolled (being in a recovery programme is sensitive). The address proves itself before
    anything can be done with it: a new account has no password until its owner follows the link
    e-mailed to them, as an invited person does.
    """
    if not current_app.config["ALLOW_SELF_REGISTRATION"]:
        raise AccountError(_("Self-registration is turned off on this site."))
    jobs.start("training.auth.services.complete_registration", email.strip(), full_name.strip(),
               current_language())


def complete_registration(email, full_name, language):
    """E-mail the owner of ``email``: a link to confirm the address and choose a password, or, when
    the address has an account already, a note that someone tried to register with it.

    An account nobody has set up yet (an invitation waiting, or a registration never confirmed) gets
    a new link; a deactivated one gets nothing."""
    if not current_app.config["ALLOW_SELF_REGISTRATION"]:
        return None
    user = user_by_email(email) or _registered(email, full_name, language)
    if not user.active:
        return None
    if user.has_accepted_invitation:
        send_to(user, "registration_existing", sign_in=external_url("auth.login"),
                reset=external_url("auth.forgot_password"))
        return None
    return mail_invitation(None, user, message="registration")


def _registered(email, full_name, language):
    """A new trainee account for ``email``, without a password until its owner confirms the address."""
    user = User(email=email.lower(), full_name=full_name, programme_started_on=date.today(), locale=known(language))
    user.set_roles({"trainee"})
    db.session.add(user)
    audit.record("user.registered", actor=user, subject=user)
    try:
        db.session.flush()
    except IntegrityError:  # the same address registered twice at once: the other request created it
        db.session.rollback()
        user = user_by_email(email)
        if user is None:
            raise
    return user


# --- Password reset -----------------------------------------------------------------------

def request_password_reset(email):
    """Send a reset link in a background job, whether or not an account uses ``email``.

    The request does the same work for every address, so neither its answer nor its timing
    tells anyone who is registered: being enrolled in a recovery programme is sensitive.
    """
    jobs.start("training.auth.services.send_password_reset", email.strip())


def send_password_reset(email):
    """E-mail a reset link if an active account exists; say nothing either way."""
    user = user_by_email(email)
    if user is None or not user.active or user.password_hash is None:
        return None
    minutes = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    token = issue_token(user, "password_reset", timedelta(minutes=minutes))
    db.session.commit()
    link = external_url("auth.reset_password", token=token)
    send_to(user, "password_reset", link=link, minutes=minutes)
    return link


def reset_password(record, password):
    user = record.user
    _claim(record)
    set_password(user, password)
    audit.record("user.password_reset", actor=user, subject=user)
    db.session.commit()
    return user
