"""Executed notebooks to the pack's HTML pages: nbconvert with the pack's template, a table of
contents, sanitised content; pages are written atomically.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from solihull_analytics import __version__
from solihull_analytics.report.sanitise import sanitise_page

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def page_css() -> str:
    return (TEMPLATES_DIR / "pack.css").read_text(encoding="utf-8")


def add_toc(page: str) -> str:
    headings = re.findall(r'<h2 id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link".*?)?</h2>', page)
    items = []
    for anchor, text in headings:
        label = re.sub(r"<[^>]+>", "", text).strip()
        if anchor != "data-used" and label:
            items.append(f'<li><a href="#{anchor}">{label}</a></li>')
    items.append('<li><a href="#data-used">Data used</a></li>')
    toc = "<h2 class='sa-toc-title'>Contents</h2><ol>" + "".join(items) + "</ol>"
    return page.replace("<!--SA-TOC-->", toc, 1)


_EXPORTERS = threading.local()


def _pack_exporter_class() -> type:
    """nbconvert's HTML exporter without its closing BeautifulSoup pass (issue 16).

    ``HTMLExporter.from_notebook_node`` renders the template, then parses the whole page again
    with BeautifulSoup to add ``tabindex="0"`` to every cell's input and output and a stock alt
    text to images that have none, and writes the page out again. That pass was about 45% of a
    page's conversion (0.76 of 1.68 CPU s for one LA's six pages) and adds nothing to the pack:
    the sanitiser's allow-list (:mod:`solihull_analytics.report.sanitise`) drops ``tabindex``
    from the page's content, code cells are hidden, and every chart has its own alt text
    (:meth:`~solihull_analytics.report.page.Page.figure` refuses a chart without one, and
    ``test_report`` checks every ``<img>`` of a rendered pack). So this exporter renders the
    template only, with the code-highlighting filter HTMLExporter registers per call registered
    once.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML

    class PackHTMLExporter(HTMLExporter):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.register_filter("highlight_code", Highlight2HTML(parent=self))

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PackHTMLExporter


def _html_exporter() -> Any:
    """The pack's HTML exporter, made once per thread and reused across pages (issue 16)."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        exporter = _pack_exporter_class()(
            template_name="pack",
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            # Validate the notebook once after the preprocessors, not after each of them (a
            # tenth of a page's conversion time); validation changes nothing in the page.
            optimistic_validation=True,
        )
        _EXPORTERS.html = exporter
    return exporter


def notebook_to_html(executed: Path, headline: dict[str, Any]) -> str:
    """Convert an executed notebook to a standalone, accessible HTML page (code hidden)."""
    import nbformat

    return _convert(nbformat.read(executed, as_version=4), headline, executed.stem)


#: A one-pixel PNG, for :func:`warm_up_conversion`.
_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def warm_up_conversion() -> None:
    """Convert a tiny notebook in this thread, once: nbconvert's imports, the exporter and its
    templates are then ready when the first page is converted.

    Called while a kernel starts, when this process would otherwise wait: the first page's
    conversion took about 0.4 s longer than the next ones, plus about 0.6 s of imports, on the
    path of the pack's next page (issue 16).
    """
    if getattr(_EXPORTERS, "warm", False):
        return
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    output = new_output(
        "display_data", data={"text/html": "<p>Warm-up</p>", "image/png": _PIXEL_PNG}
    )
    nb = new_notebook(cells=[new_markdown_cell("## Warm-up"), new_code_cell("", outputs=[output])])
    _convert(nb, {}, "warm-up")
    _EXPORTERS.warm = True


def _convert(nb: Any, headline: dict[str, Any], name: str) -> str:
    """The page of notebook ``nb`` (executed), with ``headline``'s title, LA and sources."""
    exporter = _html_exporter()
    # Drop error/stream outputs from the page: warnings and logs are for the executed copy only.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if o.get("output_type") not in {"stream", "error"}
            ]
    resources = {
        "sa": {
            "title": headline.get("title", name),
            "la_code": headline.get("la_code", ""),
            "la_name": headline.get("la_name", ""),
            "run_date": headline.get("run_date", ""),
            "version": __version__,
            "synthetic": bool(headline.get("synthetic")),
            "sources": headline.get("sources", []),
            "css": page_css(),
        },
        "metadata": {"name": headline.get("title", name)},
    }
    nb.metadata["title"] = f"{headline.get('title', name)}: {headline.get('la_name', '')}"
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_toc(sanitise_page(body))


def write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        # A full disk or an interrupted write: leave the previous file and no temporary behind.
        Path(tmp).unlink(missing_ok=True)
        raise
