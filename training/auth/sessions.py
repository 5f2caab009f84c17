"""How long a sign-in lasts: ``SESSION_ABSOLUTE_HOURS`` from the moment the password was typed,
however busy the session has been since, and with "Keep me signed in" too.

The moment of sign-in is stored with the sign-in itself. Flask-Login keeps what identifies a
sign-in (``User.sign_in_identity``: the account's session token and the sign-in time) in the
session, and the same in the "Keep me signed in" cookie, signed with the secret key. A browser
brought back by that cookie therefore keeps the first sign-in's time instead of starting a new
one, and nobody can move the time forward without the key.
"""
import time

from flask import current_app, flash, g, redirect, request, url_for
from flask.globals import request_ctx
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from training.auth.access import safe_next_url

SEPARATOR = "."  # never in a session token (URL-safe base64)


def sign_in(user, remember=False):
    """Sign ``user`` in now: their sign-in's lifetime starts here."""
    user.signed_in_at = int(time.time())
    login_user(user, remember=remember)


def identity(user):
    """What identifies the sign-in of ``user`` in the session and the cookie: token and sign-in time."""
    return f"{user.session_token}{SEPARATOR}{user.signed_in_at}"


def parse(value):
    """(session token, sign-in time in seconds since the epoch) of a stored identity; the time is
    None for one stored before sign-ins carried a time."""
    token, separator, signed_in_at = (value or "").rpartition(SEPARATOR)
    if not separator or not signed_in_at.isdigit():
        return value, None
    return token, int(signed_in_at)


def lifetime_hours():
    return current_app.config["SESSION_ABSOLUTE_HOURS"]


def ended(signed_in_at):
    """Whether a sign-in made at ``signed_in_at`` has outlived ``SESSION_ABSOLUTE_HOURS`` (one with no
    time is as old as can be)."""
    return signed_in_at is None or time.time() - signed_in_at >= lifetime_hours() * 3600


def end_sign_ins_past_their_lifetime():
    """Before each request: a sign-in that has ended is signed out, its cookie removed, and the person
    sent to sign in again with a message that says why (and back to where they were after)."""
    if request.endpoint == "static" or request_ctx.url_adapter is None:
        return None
    current_user.is_authenticated  # noqa: B018  (loading the person notices a sign-in that has ended)
    if not g.pop("sign_in_ended", False):
        return None
    logout_user()
    hours = lifetime_hours()
    flash(ngettext("For your security, a sign-in lasts %(num)d hour at most. Please sign in again.",
                   "For your security, a sign-in lasts %(num)d hours at most. Please sign in again.", hours), "info")
    back = request.full_path.rstrip("?") if request.method == "GET" and request.endpoint != "auth.login" else None
    return redirect(url_for("auth.login", next=safe_next_url(back)))


def init_app(app, login_manager):
    login_manager.id_attribute = "sign_in_identity"
    app.before_request(end_sign_ins_past_their_lifetime)
