"""Keep the pack free of script: escape configuration and data, sanitise what a page shows.

The pack has no scripts of its own. Text that comes from configuration or data (area names from
``areas/<LA>.yaml``, LA names, table cells, chart alt text) is escaped where it enters HTML or
Markdown; as a second line of defence, the content of every rendered page is passed through an
allow-list sanitiser (``nh3``, the Python binding of the Rust ``ammonia`` sanitiser, MIT
licence), and every page carries a Content-Security-Policy that forbids scripts, so that nothing
that slipped through could run.
"""

from __future__ import annotations

import re
from typing import Any

#: Content-Security-Policy of every page: no scripts, no network requests; inline styles and
#: ``data:`` images (the charts) only. Links (to other pages and CSV downloads) still work.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; img-src data:; style-src 'unsafe-inline'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

#: Tags a page's content may use (what nbconvert and :mod:`solihull_analytics.report.page` produce).
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "li", "ol", "p", "pre", "section", "small", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
        "wbr",
    }
)  # fmt: skip
#: Attributes allowed on every tag, and per tag.
GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "role", "aria-label"})
TAG_ATTRIBUTES = {
    "a": {"href", "download"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "scope", "headers"},
    "ol": {"start"},
    "details": {"open"},
}
_URL_ATTRIBUTES = {"href", "src"}
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|#|[A-Za-z0-9_.\-/]+(?:[?#].*)?$)", re.I)
_PNG_DATA = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=\s]+$")
_MAIN = re.compile(r'(<main id="sa-main">)(.*)(</main>)', re.S)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep a URL only if it is a PNG chart (``img src``), a relative link or http(s)/mailto."""
    if attribute not in _URL_ATTRIBUTES:
        return value
    if tag == "img" and attribute == "src":
        return value if _PNG_DATA.match(value) else None
    return value if _SAFE_URL.match(value.strip()) else None


def sanitise_fragment(fragment: str) -> str:
    """Return an HTML fragment with every tag, attribute and URL not on the allow-list removed.

    Scripts and styles lose their content too; event handlers (``onerror=...``), ``javascript:``
    and ``data:`` URLs other than PNG images are dropped.
    """
    import nh3

    attributes: dict[str, Any] = {"*": set(GENERIC_ATTRIBUTES)}
    attributes.update({tag: set(attrs) for tag, attrs in TAG_ATTRIBUTES.items()})
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes=attributes,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        strip_comments=True,
        link_rel=None,
    )


def sanitise_page(page: str) -> str:
    """Sanitise the ``<main>`` content of a rendered page and add the CSP meta tag.

    The page's frame (head, header, footer) comes from the project's template, which escapes
    every value it is given; what notebooks displayed, in ``<main>``, is cleaned with the
    allow-list. A page without ``<main id="sa-main">`` is refused rather than passed unchecked.
    """
    match = _MAIN.search(page)
    if match is None:
        raise ValueError('rendered page has no <main id="sa-main"> to sanitise')
    clean = sanitise_fragment(match.group(2))
    page = page[: match.start(2)] + clean + page[match.end(2) :]
    return add_csp(page)


def add_csp(page: str) -> str:
    """Insert the Content-Security-Policy meta tag at the top of ``<head>`` (once)."""
    if "Content-Security-Policy" in page:
        return page
    head = re.search(r"<head[^>]*>", page)
    if head is None:
        raise ValueError("rendered page has no <head> for its Content-Security-Policy")
    return page[: head.end()] + "\n" + CSP_META + page[head.end() :]


def escape_markdown_html(text: str) -> str:
    """Return Markdown in which raw HTML cannot appear: every ``<`` becomes ``&lt;``.

    The library's Markdown never uses raw HTML (nor ``<url>`` autolinks), so any ``<`` in it
    came from data or configuration (an area name, say) and must show as text. ``>`` stays: it
    starts no tag, and at the start of a line it is Markdown's quote.
    """
    return text.replace("<", "&lt;")
