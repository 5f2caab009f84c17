"""Question text in Moodle's four text formats, rendered to safe HTML.

Moodle gives every piece of a question (its text, each answer, each feedback, the general
feedback) one of four formats: ``moodle`` (the default: HTML allowed, line breaks kept),
``html``, ``plain`` and ``markdown``. A GIFT file picks one with a ``[format]`` prefix.

Whatever the format, the result is sanitised, and images are kept only when they come
from this site: an image from another site would be fetched by every trainee's browser,
telling that site who is taking the quiz and when.
"""
import html
import re
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from training.rendering import markdown_to_html

FORMATS = ("moodle", "html", "plain", "markdown")
# Stored data without a format comes from before formats were kept, when every piece was
# shown as plain text; reading it as plain keeps those questions looking as they did.
LEGACY_FORMAT = "plain"

_IMG = re.compile(r"<img\b[^>]*>")  # nh3 escapes '>' inside attribute values, so this is exact
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")


def on_this_site(url):
    """Whether a browser would load ``url`` from this site (a path such as ``/static/x.png``)."""
    # Browsers drop tabs, line breaks and leading spaces, and read '\' as '/'.
    url = _INVISIBLE.sub("", url or "").replace("\\", "/")
    if not url.startswith("/") or url.startswith("//"):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def sanitise(text, dropped=None):
    """Keep safe HTML only; drop images from other sites (their addresses go to ``dropped``)."""

    def keep_local_images(tag, attribute, value):
        if tag == "img" and attribute == "src" and not on_this_site(value):
            if dropped is not None:
                dropped.append(value)
            return None
        return value

    cleaned = nh3.clean(text, attribute_filter=keep_local_images)
    return _IMG.sub(lambda m: m.group(0) if ' src="' in m.group(0) else "", cleaned)


def _line_breaks(text):
    return text.replace("\r\n", "\n").replace("\n", "<br>\n")


def render(text, fmt, dropped=None):
    """``text`` written in format ``fmt`` as safe HTML (a Markup string)."""
    text = text or ""
    if fmt == "html":
        return Markup(sanitise(text, dropped))
    if fmt == "markdown":
        return Markup(markdown_to_html(text))
    if fmt == "moodle" and ("<" in text or "&" in text):
        return Markup(sanitise(_line_breaks(text), dropped))
    return Markup(_line_breaks(html.escape(text)))


def piece(data, holder, key):
    """Render ``holder[key]`` in its own format, or else in the question's (``data["format"]``).

    A piece written in another format than its question's carries ``<key>_format``.
    """
    fmt = holder.get(f"{key}_format") or data.get("format") or LEGACY_FORMAT
    return render(holder.get(key, ""), fmt)


def plain(markup):
    """Readable text of rendered HTML, for short previews."""
    return " ".join(Markup(markup).striptags().split())
