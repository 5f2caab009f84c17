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


def page_to_show(target):
    """``target``, a path on this site, or when it only takes forms (the address a form with an error
    was shown at), the nearest page above it that can be shown: /admin/people/9/assignments gives
    /admin/people/9. Loading the form's address again would answer 405."""
    from urllib.parse import urlsplit

    from flask import current_app, request
    from werkzeug.exceptions import HTTPException, MethodNotAllowed
    from werkzeug.routing import RequestRedirect

    adapter = current_app.create_url_adapter(request)
    path = urlsplit(target).path
    while True:
        try:
            adapter.match(path, method="GET")
        except MethodNotAllowed:
            path = path.rstrip("/").rsplit("/", 1)[0]
            if not path:
                return None
            continue
        except (RequestRedirect, HTTPException):
            pass
        return target if path == urlsplit(target).path else path


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
