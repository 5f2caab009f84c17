"""PDFs from HTML/CSS designs kept as files in ``certificates/<design>/``.

Each process keeps one warm font configuration and each design's CSS parsed once, so a
render costs only layout and writing. The URL fetcher refuses every URL (files and remote
hosts alike): a design may use only what is inline. Templates run in a sandboxed Jinja
environment and receive plain values only.
"""
import atexit
import base64
import hashlib
import threading
from pathlib import Path
from urllib.parse import unquote_to_bytes

import segno
import yaml
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from training.config import ROOT

DESIGNS_DIR = ROOT / "certificates"
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


def design(name):
    """A design's template, parsed stylesheet and metadata, loaded once per process."""
    from weasyprint import CSS

    with _lock:
        if name not in _cache:
            folder = DESIGNS_DIR / name
            if not (folder / "template.html").is_file():
                raise FileNotFoundError(f"no certificate design '{name}'")
            env = SandboxedEnvironment(autoescape=True)
            template = env.from_string((folder / "template.html").read_text(encoding="utf-8"))
            metadata = yaml.safe_load((folder / "metadata.yaml").read_text(encoding="utf-8")) or {}
            _cache[name] = (template, metadata, None)
    template, metadata, css = _cache[name]
    if css is None:
        stylesheet = CSS(string=(DESIGNS_DIR / name / "style.css").read_text(encoding="utf-8"),
                         font_config=_font_config(), url_fetcher=refuse_urls)
        with _lock:
            _cache[name] = (template, metadata, stylesheet)
        css = stylesheet
    return template, metadata, css


def qr_svg(url):
    """An inline SVG QR code for ``url`` (for web pages)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#153f3c"))


def qr_png(url):
    """A QR code for ``url`` as a PNG data URI for PDF designs.

    segno's SVG would be vector, but WeasyPrint needs about 3 ms more per certificate to draw
    it, which takes the warm render over its 50 ms budget; at 6 pixels a module the PNG
    prints at about 200 dpi and scans reliably.
    """
    return segno.make(url, error="m").png_data_uri(scale=6, border=2, dark="#153f3c")


# Designs style everything they use, so they start from this small user-agent stylesheet
# instead of WeasyPrint's full HTML one: it saves about a third of each render.
DESIGN_UA_CSS = """
html, body, div, p, h1, h2, h3, header, footer, section { display: block; }
head, title, meta, style, script { display: none; }
h1, h2, h3, strong, b, th { font-weight: bold; }
em, i { font-style: italic; }
table { display: table; border-collapse: separate; box-sizing: border-box; }
thead { display: table-header-group; } tbody { display: table-row-group; } tr { display: table-row; }
td, th { display: table-cell; }
br::before { content: "\\A"; white-space: pre-line; }
"""


def _design_html_class():
    from weasyprint import CSS, HTML

    with _lock:
        if "html_class" not in _cache:
            ua = CSS(string=DESIGN_UA_CSS)

            class DesignHTML(HTML):
                def _ua_stylesheets(self, forms=False):
                    return [ua]

            _cache["html_class"] = DesignHTML
        return _cache["html_class"]


def render_pdf(design_name, context):
    """Render a design with plain values to PDF/A-3u bytes."""
    template, _, css = design(design_name)
    html = template.render(**context)
    document = _design_html_class()(string=html, url_fetcher=refuse_urls, base_url=None)
    return document.write_pdf(stylesheets=[css], font_config=_font_config(), pdf_variant="pdf/a-3u",
                              uncompressed_pdf=False)


def design_metadata(design_name):
    return design(design_name)[1]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def render_html_pdf(html):
    """A PDF/A-3u document from a full HTML page (reports, transcripts)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=refuse_urls).write_pdf(font_config=_font_config(),
                                                                  pdf_variant="pdf/a-3u")


__all__ = ["Path", "design", "design_metadata", "qr_svg", "render_html_pdf", "render_pdf", "sha256"]
