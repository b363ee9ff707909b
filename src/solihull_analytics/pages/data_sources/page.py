"""Page 00 under the page contract (:mod:`solihull_analytics.report.contract`).

The notebook ``00_data_sources`` calls :func:`prepare`, then one section function per heading,
then :func:`~solihull_analytics.report.contract.finish_page`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics.geo.las import LocalAuthority, la_info
from solihull_analytics.pages.data_sources import compute, text
from solihull_analytics.pages.data_sources.inputs import read_inputs
from solihull_analytics.report.headlines import HeadlineValues, build_headlines, load_specs
from solihull_analytics.report.page import Block, TableBlock

PAGE_ID = "00_data_sources"
PAGE_TITLE = "Data sources"
HEADLINES = Path(__file__).with_name("headlines.yaml")


@dataclass
class Context:
    """What page 00's sections need, read once by :func:`prepare`."""

    la: LocalAuthority
    sources: pd.DataFrame
    coverage: pd.DataFrame
    run_date: str | None = None

    @property
    def available(self) -> pd.DataFrame:
        return compute.available_files(self.sources)

    @property
    def missing(self) -> pd.DataFrame:
        return compute.missing_files(self.sources)

    @property
    def source_ids(self) -> list[str]:
        """The published files used: every catalogued file available here."""
        return list(self.available["id"])


def prepare(la_code: str, processed_dir: str | Path | None = None, *,
            run_date: str | None = None, raw_dir: Path | None = None) -> Context:
    """Read the catalogue, the table registry and each table's rows for ``la_code``.

    ``run_date`` (ISO date, or empty) is the headlines' period; ``raw_dir`` overrides the raw
    cache (default: the project's ``data/raw``).
    """
    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    inputs = read_inputs(la.code, processed, raw_dir)
    return Context(la, inputs.sources, inputs.coverage, run_date or None)


def published_files_section(ctx: Context) -> list[Block]:
    """The published files this pack read."""
    available = ctx.available
    return [
        text.published_files(len(available), available["publisher"].nunique(), len(ctx.missing)),
        TableBlock(
            available[["id", "publisher", "release", "licence", "kind", "sha256_short",
                       "used_by"]],
            caption="Published files in the data catalogue that this pack read",
        ),
    ]


def coverage_section(ctx: Context) -> list[Block]:
    """How far each local-authority table covers this LA."""
    return [
        text.coverage(ctx.la.name, ctx.la.code, len(compute.tables_with_rows(ctx.coverage)),
                      len(ctx.coverage)),
        TableBlock(ctx.coverage, caption=f"Processed tables: rows and periods for {ctx.la.name}"),
    ]


def not_available_section(ctx: Context) -> list[Block]:
    """Catalogued files that are not available here, and where to get them."""
    missing = ctx.missing
    return [
        text.not_available(len(missing)),
        TableBlock(missing[["id", "publisher", "release", "available"]],
                   caption="Catalogued files not available here"),
    ]


def headlines(ctx: Context) -> list[dict[str, Any]]:
    """Files used and files missing (the period is the run date)."""
    fields = {"period": ctx.run_date or text.PERIOD_WITHOUT_RUN_DATE}
    return build_headlines(load_specs(HEADLINES), [
        HeadlineValues("published_files_used", int(len(ctx.available)), [], fields=fields),
        HeadlineValues("published_files_missing", int(len(ctx.missing)), [], fields=fields),
    ])


def summary(ctx: Context) -> str:
    """The page's line on the pack's front page."""
    return text.SUMMARY
