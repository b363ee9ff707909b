"""Reading rendered pages in tests: the page's content without the template's CSS and scripts.

The nbconvert stylesheet names classes such as ``.jp-ErrorIcon``, so a search for "Error" must
look at the content only.
"""

from __future__ import annotations

import re
from pathlib import Path

_STYLE_OR_SCRIPT = re.compile(r"<style.*?</style>|<script.*?</script>", flags=re.S)


def page_text(page: str | Path, strip_tags: bool = False) -> str:
    """Return a rendered page (HTML text or a path to it) without style sheets and scripts."""
    html = page.read_text(encoding="utf-8") if isinstance(page, Path) else page
    html = _STYLE_OR_SCRIPT.sub("", html)
    return re.sub(r"<[^>]+>", " ", html) if strip_tags else html


def has_error_text(text: str) -> bool:
    """Whether a page's content shows a traceback or an error message."""
    return "Traceback" in text or "Error" in text
