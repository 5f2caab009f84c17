"""Markdown to safe HTML, for course text and anything else written by people."""
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["table", "strikethrough", "replacements", "smartquotes"]
)

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Table cell alignment becomes a class: pages allow no inline styles.
ALIGNMENT = re.compile(r' style="text-align:(left|center|right)"')
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {"th": ALIGN_CLASSES, "td": ALIGN_CLASSES}


@lru_cache(maxsize=1024)
def markdown_to_html(text):
    """Render Markdown and keep only a known-safe set of tags and attributes.

    Raw HTML is not rendered at all; the sanitiser is a second wall in case a renderer
    plugin ever lets something through. ``#`` headings become ``h2`` so the page title
    stays the only ``h1``.
    """
    html = _markdown.render(text)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    html = ALIGNMENT.sub(r' class="align-\1"', html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
