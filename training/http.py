"""Small HTTP helpers shared by the blueprints."""
import unicodedata
from urllib.parse import quote

from werkzeug.routing import IntegerConverter


def content_disposition(filename, inline=False):
    """A Content-Disposition header that works for any file name (RFC 6266 / RFC 5987).

    Browsers use the UTF-8 ``filename*``; older clients get an ASCII fallback.
    """
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\/') or "download"
    fallback = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode() or "download"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned)}"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that answers 404, not a database overflow, for ids beyond 64 bits."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def record_id(value):
    """An id from a form or query string, or None: no database stores a key beyond 64 bits."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def page_number(value):
    """A page number from the query string, kept within sensible bounds."""
    return min(max(value or 1, 1), 100_000)


def page_count(total, per_page):
    """How many pages ``total`` rows fill, ``per_page`` to a page: at least one, empty or not."""
    return max(1, -(-total // per_page))


def paginate(query, page, per_page):
    """One page of ``query``'s rows: the page asked for, or the last one when that lies past the end
    (a list that shrank since its link was made, or a number typed by hand), never an empty page
    under a count of what was found."""
    from training.extensions import db

    pagination = db.paginate(query, page=page_number(page), per_page=per_page, error_out=False)
    if pagination.total and pagination.page > pagination.pages:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination
