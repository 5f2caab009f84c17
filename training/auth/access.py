"""Access rules shared by every blueprint."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles):
    """Allow signed-in people holding any of ``roles``; others get a 403 page."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next_url(target):
    """Only follow ``next`` to a path on this site, never to another host."""
    from urllib.parse import urlsplit

    if not target or not target.startswith("/") or "\\" in target:
        return None
    if any(not ch.isprintable() or ch.isspace() for ch in target):
        return None  # browsers and servers drop tabs and newlines, turning "/\t/x" into "//x"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
