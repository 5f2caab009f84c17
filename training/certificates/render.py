"""Certificates from HTML/CSS designs kept as files in ``certificates/<design>/``.

Each design's CSS is parsed once per process, so a render costs only layout and writing.
Templates run in a sandboxed Jinja environment and receive plain values only; the shared
renderer in ``training.pdf`` refuses every URL, so a design may use only what is inline.
"""
import segno
import yaml
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from training.config import ROOT
from training.pdf import _cache, _font_config, _lock, refuse_urls, render_html_pdf, sha256

DESIGNS_DIR = ROOT / "certificates"


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


__all__ = ["design", "design_metadata", "qr_png", "qr_svg", "render_html_pdf", "render_pdf", "sha256"]
