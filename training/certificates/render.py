"""Certificates from HTML/CSS designs kept as files in ``certificates/<design>/``.

Each design's CSS is parsed once per process, so a render costs only layout and writing.
Templates run in a sandboxed Jinja environment and receive plain values only; the shared
renderer in ``training.pdf`` refuses every URL, so a design may use only what is inline.
The images a design names in ``metadata.yaml`` (``logo``, ``signature``) are read from its
folder once and handed to the template as data URIs.
"""
import base64
import mimetypes

import segno
import yaml
from flask_babel import gettext, ngettext
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from training.config import ROOT
from training.pdf import _cache, _font_config, _lock, page_size, refuse_urls, render_html_pdf, sha256

DESIGNS_DIR = ROOT / "certificates"
DESIGN_IMAGES = ("logo", "signature")


def designs():
    """The names of the designs on disk (folders with a template)."""
    return sorted(p.parent.name for p in DESIGNS_DIR.glob("*/template.html"))


def _image_data_uri(folder, name):
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise FileNotFoundError(f"design image '{name}' is not a file in {folder.name}/")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise ValueError(f"design image '{name}' is not an image")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def design_images(name):
    """The design's logo or seal and signature as data URIs (empty when the design names none)."""
    _, metadata, _ = design(name)
    folder = DESIGNS_DIR / name
    key = ("images", name)
    with _lock:
        if key not in _cache:
            _cache[key] = {f"{image}_src": _image_data_uri(folder, metadata[image]) if metadata.get(image) else ""
                           for image in DESIGN_IMAGES}
        return _cache[key]


def design(name):
    """A design's template, parsed stylesheet and metadata, loaded once per process."""
    from weasyprint import CSS

    with _lock:
        if name not in _cache:
            folder = DESIGNS_DIR / name
            if not (folder / "template.html").is_file():
                raise FileNotFoundError(f"no certificate design '{name}'")
            env = SandboxedEnvironment(autoescape=True, extensions=["jinja2.ext.i18n"])
            # A design's words go through the catalogue like every page's, in the language that
            # is current when it renders (the holder's: see ``training.i18n.for_user``).
            env.install_gettext_callables(gettext, ngettext, newstyle=True)
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
    """An inline SVG QR code for ``url`` (for web pages), sized by the page's CSS: it has a viewBox
    and no fixed width or height, so it fills the box it is put in."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#153f3c", omitsize=True))


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


def _page_css(size, orientation):
    from weasyprint import CSS

    key = ("page", size, orientation)
    with _lock:
        if key not in _cache:
            _cache[key] = CSS(string=f"@page {{ size: {size} {orientation}; }}")
        return _cache[key]


def render_pdf(design_name, context, paper=None):
    """Render a design with plain values to PDF/A-3u bytes, on the configured paper size."""
    template, metadata, css = design(design_name)
    size = page_size(paper)
    html = template.render(**design_images(design_name), paper=size.lower(), **context)
    document = _design_html_class()(string=html, url_fetcher=refuse_urls, base_url=None)
    # A design that states its orientation prints on PAPER_SIZE; one that does not keeps its own @page.
    stylesheets = [css, _page_css(size, metadata["orientation"])] if metadata.get("orientation") else [css]
    return document.write_pdf(stylesheets=stylesheets, font_config=_font_config(), pdf_variant="pdf/a-3u",
                              uncompressed_pdf=False)


def design_metadata(design_name):
    return design(design_name)[1]


def signatory(design_name):
    """Who signs a design's certificates: their name, and their title by language ("en" always).

    The settings CERTIFICATE_SIGNATORY_NAME and CERTIFICATE_SIGNATORY_TITLE replace the design's
    ``signatory_name`` and ``signatory_title``, and CERTIFICATE_SIGNATORY_TITLE_ES its Spanish title
    (``signatory_title_translations``). A title set in the settings without its Spanish is printed as
    set in every language: the design's Spanish would name another title."""
    from flask import current_app

    from training.i18n import CONTENT_LANGUAGE, LANGUAGES

    config, metadata = current_app.config, design_metadata(design_name)
    titles = {CONTENT_LANGUAGE: config.get("CERTIFICATE_SIGNATORY_TITLE") or metadata.get("signatory_title", "")}
    designed = {} if config.get("CERTIFICATE_SIGNATORY_TITLE") else metadata.get("signatory_title_translations") or {}
    for language in LANGUAGES:
        title = config.get(f"CERTIFICATE_SIGNATORY_TITLE_{language.upper()}") or designed.get(language)
        if language != CONTENT_LANGUAGE and title:
            titles[language] = title
    return config.get("CERTIFICATE_SIGNATORY_NAME") or metadata.get("signatory_name", ""), titles


__all__ = ["design", "design_images", "design_metadata", "designs", "qr_png", "qr_svg", "render_html_pdf",
           "render_pdf", "sha256", "signatory"]
