"""How long a sign-in lasts, from the moment the password was typed however busy the session has
been since: ``SESSION_ABSOLUTE_HOURS``, or with "Keep me signed in" as long as its cookie,
``REMEMBER_ME_DAYS``.

The moment of sign-in is stored with the sign-in itself. Flask-Login keeps what identifies a
sign-in (``User.sign_in_identity``: the account's session token, the sign-in time and whether
"Keep me signed in" was chosen) in the
session, and the same in the "Keep me signed in" cookie, signed with the secret key. A browser
brought back by that cookie therefore keeps the first sign-in's time instead of starting a new
one, and nobody can move the time forward without the key.
"""
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask.globals import request_ctx
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie

from training.auth.access import safe_next_url

SEPARATOR = "."  # never in a session token (URL-safe base64)
REMEMBERED = "r"  # after the time: "Keep me signed in" was chosen


def sign_in(user, remember=False):
    """Sign ``user`` in now: their sign-in's lifetime starts here."""
    user.signed_in_at, user.remembered = int(time.time()), bool(remember)
    login_user(user, remember=remember)


def identity(user):
    """What identifies the sign-in of ``user`` in the session and the cookie: token, sign-in time and
    whether it is kept."""
    return f"{user.session_token}{SEPARATOR}{user.signed_in_at}{REMEMBERED if user.remembered else ''}"


def parse(value):
    """(session token, sign-in time in seconds since the epoch, whether it is kept) of a stored
    identity; the time is None for one stored before sign-ins carried a time."""
    token, separator, when = (value or "").rpartition(SEPARATOR)
    remembered = when.endswith(REMEMBERED)
    when = when.removesuffix(REMEMBERED)
    if not separator or not when.isdigit():
        return value, None, False
    return token, int(when), remembered


def lifetime(remembered):
    """How long a sign-in lasts, in seconds: as long as its cookie when it is kept."""
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION"].total_seconds() if remembered else config["SESSION_ABSOLUTE_HOURS"] * 3600


def ended(signed_in_at, remembered=False):
    """Whether a sign-in made at ``signed_in_at`` has outlived its lifetime (one with no time is as
    old as can be)."""
    return signed_in_at is None or time.time() - signed_in_at >= lifetime(remembered)


def end_sign_ins_past_their_lifetime():
    """Before each request: a sign-in that has ended is signed out, its cookie removed, and the person
    sent to sign in again with a message that says why (and back to where they were after)."""
    if request.endpoint == "static" or request_ctx.url_adapter is None:
        return None
    current_user.is_authenticated  # noqa: B018  (loading the person notices a sign-in that has ended)
    ended_sign_in = g.pop("sign_in_ended", None)
    if ended_sign_in is None:
        return None
    logout_user()
    if ended_sign_in == "remembered":
        days = current_app.config["REMEMBER_COOKIE_DURATION"].days
        flash(ngettext("For your security, “Keep me signed in” lasts %(num)d day at most. Please sign in again.",
                       "For your security, “Keep me signed in” lasts %(num)d days at most. Please sign in again.",
                       days), "info")
    else:
        hours = current_app.config["SESSION_ABSOLUTE_HOURS"]
        flash(ngettext("For your security, a sign-in lasts %(num)d hour at most. Please sign in again.",
                       "For your security, a sign-in lasts %(num)d hours at most. Please sign in again.", hours),
              "info")
    back = request.full_path.rstrip("?") if request.method == "GET" and request.endpoint != "auth.login" else None
    return redirect(url_for("auth.login", next=safe_next_url(back)))


def _bind_to_this_browser(app, user):
    """A sign-in brought back by the "Keep me signed in" cookie is bound to the browser, as one made
    with the password is: with "strong" session protection, a session without that mark is emptied
    on the next request, which signed the person out again at their second click."""
    session["_id"] = current_app.login_manager._session_identifier_generator()


def init_app(app, login_manager):
    login_manager.id_attribute = "sign_in_identity"
    app.before_request(end_sign_ins_past_their_lifetime)
    user_loaded_from_cookie.connect(_bind_to_this_browser, app)
