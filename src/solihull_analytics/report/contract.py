"""The page contract: what every ``pages/<page>/page.py`` module provides to its notebook.

A notebook's parameters cell declares ``la_code``, ``processed_dir``, ``output_dir`` and
``run_date`` plus the page's own options; papermill passes each notebook only the parameters it
declares. The notebook then calls, in order:

1. ``ctx = <page>.prepare(la_code, processed_dir, **options)``: reads the page's inputs once
   (every option of ``prepare`` is a notebook parameter of the same name and default);
2. ``Page(<page>.PAGE_ID, <page>.PAGE_TITLE, ...)`` and ``page.uses(*ctx.source_ids)``;
3. the page's section functions, one per heading, each returning blocks for ``page.show``;
4. :func:`finish_page`, which records ``<page>.headlines(ctx)`` and ``<page>.summary(ctx)``
   and writes the headline JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from solihull_analytics.report.page import Page

#: Parameters every notebook declares; the rest are the page's options.
PIPELINE_PARAMETERS = ("la_code", "processed_dir", "output_dir", "run_date")


@runtime_checkable
class PageModule(Protocol):
    """What a page module offers (checked by ``tests/test_page_contract.py``)."""

    PAGE_ID: str
    PAGE_TITLE: str

    def prepare(self, la_code: str, processed_dir: str | Path | None = None, **options: Any) -> Any:
        """Read the page's inputs once and compute what its sections need."""

    def headlines(self, ctx: Any) -> list[dict[str, Any]]:
        """The page's headline figures, as keyword arguments of ``Page.headline``."""

    def summary(self, ctx: Any) -> str:
        """One or two sentences for the pack's front page."""


def finish_page(page: Page, module: PageModule, ctx: Any) -> dict[str, Any]:
    """Record the page's headlines and summary, then write its headline JSON (returned)."""
    for h in module.headlines(ctx):
        page.headline(**h)
    page.summary = module.summary(ctx)
    return page.finish()
