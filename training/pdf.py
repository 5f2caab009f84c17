"""PDF/A documents from HTML, shared by certificates, reports and transcripts.

Each process keeps one warm font configuration. The URL fetcher refuses every URL (files
and remote hosts alike): a document may use only what is inline.
"""
import atexit
import base64
import hashlib
import threading
from urllib.parse import unquote_to_bytes

_lock = threading.Lock()
_cache = {}
# The font configuration must be released while Pango and fontconfig are still loaded;
# left to interpreter teardown, its finaliser crashes the process on exit.
atexit.register(_cache.clear)


class InlineDataOnly:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses everything else.

    Written out rather than built on WeasyPrint's urllib-based fetcher: that one sets up
    HTTPS (and so OpenSSL) in every process that renders, which designs never need.
    """

    _fail_on_errors = True  # a design that reaches for a file or the network fails loudly

    def __call__(self, url):
        from weasyprint.urls import URLFetcherResponse

        if not url.startswith("data:"):
            raise ValueError(f"certificate designs may use inline data only, not {url[:80]}")
        header, _, payload = url[5:].partition(",")
        mime = header.split(";")[0] or "text/plain"
        body = base64.b64decode(payload) if header.endswith(";base64") else unquote_to_bytes(payload)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


refuse_urls = InlineDataOnly()


def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    with _lock:
        if "fonts" not in _cache:
            _cache["fonts"] = FontConfiguration()
        return _cache["fonts"]


PAPER_SIZES = {"letter": "Letter", "a4": "A4"}


def page_size(paper=None):
    """The CSS page size for ``paper`` or the PAPER_SIZE setting: 'letter' (US Letter) or 'a4'."""
    from flask import current_app

    name = (paper or current_app.config.get("PAPER_SIZE") or "letter").strip().lower()
    if name not in PAPER_SIZES:
        raise ValueError(f"PAPER_SIZE must be one of {', '.join(PAPER_SIZES)}, not {name!r}")
    return PAPER_SIZES[name]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def render_html_pdf(html):
    """A PDF/A-3u document from a full HTML page (reports, transcripts)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=refuse_urls).write_pdf(font_config=_font_config(),
                                                                  pdf_variant="pdf/a-3u")
