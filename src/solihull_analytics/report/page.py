"""What a report notebook uses to show its results: charts, tables, headline figures.

A notebook makes one :class:`Page`, shows its charts and tables through it, records headline
figures, and calls :meth:`Page.finish` at the end. ``finish`` writes the headline JSON (the
contract read by tests and by the pack's index page) into the folder the pipeline gave it.

Every chart is shown with alt text and a source line, in the style and as the PNG that
:mod:`~solihull_analytics.report.charts` makes.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import __version__, paths
from solihull_analytics.catalogue import load_catalogue
from solihull_analytics.report import downloads, tables
from solihull_analytics.report.charts import png_bytes, use_af_style
from solihull_analytics.report.sanitise import escape_markdown_html

SYNTHETIC_LABEL = "SYNTHETIC DATA"


@dataclass
class Chart:
    """A chart ready to show: the figure, its alt text, its source line and, optionally, the
    data it plots (offered as a CSV download named ``name``, default from the alt text)."""

    fig: Any
    alt: str
    source: str
    caption: str | None = None
    data: pd.DataFrame | None = None
    name: str | None = None


@dataclass
class TableBlock:
    """A table ready to show, with its caption and source.

    ``page_columns`` names the columns shown on the page when the table is too wide for it, and
    ``page_rows`` which rows are shown (default: all of a table under
    :data:`~solihull_analytics.report.tables.LONG_TABLE_ROWS` rows, else the first
    :data:`~solihull_analytics.report.tables.SUMMARY_ROWS`; a negative number: the last rows; or one
    flag per row, see :func:`~solihull_analytics.report.tables.rows_around`). The full table is
    always
    in the CSV download, named ``name`` (default: from the caption).
    """

    df: pd.DataFrame
    caption: str
    source: str | None = None
    index: bool = False
    float_format: str = "{:,.1f}"
    name: str | None = None
    page_columns: Sequence[str] | None = None
    page_rows: int | Sequence[bool] | None = None


@dataclass
class MissingData:
    """Data a section needed but could not find, and where the official file is."""

    what: str
    where: str


@dataclass(frozen=True)
class Uses:
    """Catalogue ids a section's figures come from (recorded for the footer; shows nothing)."""

    ids: tuple[str, ...]


#: What analysis functions hand to :meth:`Page.show`: Markdown, a chart, a table, a gap in the
#: data, or provenance.
Block = str | Chart | TableBlock | MissingData | Uses


@dataclass
class Headline:
    """One headline figure for the JSON contract and the pack's front page."""

    name: str
    value: float | int | str | None
    unit: str
    period: str
    source_ids: list[str]
    statement: str
    label: str | None = None
    lower: float | None = None
    upper: float | None = None
    area: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v is not None or k == "value"}
        for key in ("value", "lower", "upper"):
            if key in out and isinstance(out[key], float) and out[key] != out[key]:
                out[key] = None  # NaN is not valid JSON
        return out


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass
class Page:
    """The report page a notebook builds.

    Parameters
    ----------
    notebook : str
        Notebook id, e.g. ``"01_cla_trend"``.
    title : str
        Page title (the LA name is added by the pipeline).
    la_code : str
        The LA the page is about.
    la_name : str
        Its name, from the data.
    output_dir : str or Path, optional
        Where the pipeline wants the headline JSON; when empty (interactive use) nothing is
        written.
    run_date : str, optional
        ISO date of the run (default today).
    synthetic : bool, default False
        Whether the page shows synthetic data; every chart then carries the label.
    """

    notebook: str
    title: str
    la_code: str
    la_name: str
    output_dir: str | Path | None = None
    run_date: str | None = None
    synthetic: bool = False
    summary: str = ""
    headlines: list[Headline] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)
    _figure_count: int = 0
    _downloads: downloads.Downloads | None = None

    def __post_init__(self) -> None:
        self.run_date = self.run_date or date.today().isoformat()
        use_af_style()

    # -- provenance -------------------------------------------------------------------------
    def uses(self, *ids: str) -> None:
        """Record catalogue ids this page's figures come from (shown in the page footer)."""
        for i in ids:
            if i not in self.source_ids:
                self.source_ids.append(i)

    def missing_data(self, what: str, where: str) -> None:
        """Record (and show) data the page needed but could not find, with where to get it."""
        self.missing.append({"what": what, "where": where})
        self.note(f"**Not available in the data used:** {what} Official source: {where}")

    # -- content ----------------------------------------------------------------------------
    def markdown(self, text: str) -> None:
        """Show a paragraph of Markdown (raw HTML in it is shown as text, never as HTML)."""
        from IPython.display import Markdown, display

        display(Markdown(escape_markdown_html(text)))

    def note(self, text: str) -> None:
        """Show a short note (Markdown)."""
        self.markdown(text)

    def figure(
        self,
        fig: Any,
        alt: str,
        source: str,
        caption: str | None = None,
        data: pd.DataFrame | None = None,
        name: str | None = None,
    ) -> None:
        """Show a matplotlib figure as a PNG with alt text and a source line.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The chart.
        alt : str
            Alt text: what the chart shows, in words, including the key numbers.
        source : str
            Source line shown under the chart.
        caption : str, optional
            A caption shown above the source line.
        data : DataFrame, optional
            The figures the chart plots, offered as a CSV download under the chart.
        name : str, optional
            Stem of that CSV file (default: from the caption or the alt text).
        """
        import matplotlib.pyplot as plt
        from IPython.display import display

        if not alt or len(alt) < 10:
            raise ValueError("every chart needs alt text that says what it shows")
        if self.synthetic:
            fig.text(
                0.99,
                0.01,
                SYNTHETIC_LABEL,
                ha="right",
                va="bottom",
                fontsize=16,
                fontweight="bold",
                color="#801650",
            )
        try:
            png_data = png_bytes(fig)
        finally:
            plt.close(fig)
        self._figure_count += 1
        png = base64.b64encode(png_data).decode("ascii")
        alt_text = f"{SYNTHETIC_LABEL}. {alt}" if self.synthetic else alt
        display(
            {"image/png": png},
            raw=True,
            metadata={"image/png": {"alt": alt_text}},
        )
        parts = []
        if caption:
            parts.append(html.escape(caption))
        parts.append(f"Source: {html.escape(source)}")
        if data is not None:
            stem = name or f"chart_{self._stem(caption or alt)}"
            link = self.downloads.write(tables.flat_columns(data), stem, source)
            if link:
                parts.append(
                    f'<a class="sa-download" href="{html.escape(link)}" download>'
                    "Download the chart's data (CSV)</a>"
                )
        self._html(f'<p class="sa-source">{"<br>".join(parts)}</p>')

    def table(
        self,
        df: pd.DataFrame,
        caption: str,
        source: str | None = None,
        index: bool = False,
        float_format: str = "{:,.1f}",
        *,
        name: str | None = None,
        page_columns: Sequence[str] | None = None,
        page_rows: int | Sequence[bool] | None = None,
    ) -> None:
        """Show a table as a real HTML table with a caption, and offer it as a CSV download.

        Numbers are formatted (NaN as '–'), right-aligned and never broken; text is
        left-aligned. A long or wide table shows ``page_rows`` rows and ``page_columns``
        columns (see :class:`TableBlock`); the CSV always holds the whole table.
        """

        def fmt(v: Any) -> str:
            if isinstance(v, bool):
                return "yes" if v else "no"
            if _is_missing(v):
                return "–"
            if isinstance(v, int) or (
                hasattr(v, "is_integer") and type(v).__name__.startswith("int")
            ):
                return f"{int(v):,}"
            if isinstance(v, float):
                return float_format.format(v)
            return str(v)

        full = tables.flat_columns(df.reset_index() if index else df)
        row_headers = df.index.nlevels if index else 0
        shown, note = tables.page_cut(full, page_columns, page_rows)
        if page_columns and index:
            keep = list(full.columns[:row_headers])
            shown = full.loc[shown.index, keep + [c for c in shown.columns if c not in keep]]
        self._html(tables.table_html(shown, caption, fmt, row_headers=row_headers))
        # The download carries the page's rounding: never more precision than was published
        # (page 04's rates, for one, must not let a suppressed count be worked out).
        exact = tables.round_like(full, float_format)
        link = self.downloads.write(exact, name or self._stem(caption), source or caption)
        parts = []
        if note:
            parts.append(html.escape(note))
        if source:
            parts.append(f"Source: {html.escape(source)}")
        if link:
            rows = f"{len(full):,} row{'s' if len(full) != 1 else ''}"
            parts.append(
                f'<a class="sa-download" href="{html.escape(link)}" download>'
                f"Download this table (CSV, {rows})</a>"
            )
        if parts:
            self._html(f'<p class="sa-source">{"<br>".join(parts)}</p>')

    def _stem(self, caption: str) -> str:
        return downloads.stem_from(caption, drop=self.la_name)

    @property
    def downloads(self) -> downloads.Downloads:
        """The page's CSV downloads (written only when the pipeline gave an output folder)."""
        if self._downloads is None:
            folder = Path(self.output_dir) / self.notebook if self.output_dir else None
            self._downloads = downloads.Downloads(
                folder, self.notebook, self.la_code, str(self.run_date), self.title
            )
        return self._downloads

    def show(self, *blocks: Block | Iterable[Block] | None) -> None:
        """Show blocks built by the library, in order: Markdown strings, charts and tables.

        Analysis modules return these so that a notebook cell is one call, e.g.
        ``page.show(cla_trend.trend_section(...))``. ``None`` entries are skipped.
        """
        for block in blocks:
            if block is None:
                continue
            if isinstance(block, str):
                self.markdown(block)
            elif isinstance(block, Chart):
                self.figure(
                    block.fig, block.alt, block.source, block.caption, block.data, block.name
                )
            elif isinstance(block, TableBlock):
                self.table(
                    block.df,
                    block.caption,
                    block.source,
                    block.index,
                    block.float_format,
                    name=block.name,
                    page_columns=block.page_columns,
                    page_rows=block.page_rows,
                )
            elif isinstance(block, MissingData):
                self.missing_data(block.what, block.where)
            elif isinstance(block, Uses):
                self.uses(*block.ids)
            elif isinstance(block, Iterable):
                self.show(*block)
            else:
                raise TypeError(f"cannot show a {type(block).__name__}")

    def _html(self, text: str) -> None:
        from IPython.display import HTML, display

        display(HTML(text))

    def headline(
        self,
        name: str,
        value: float | int | str | None,
        unit: str,
        period: str,
        source_ids: Sequence[str],
        statement: str,
        **extra: Any,
    ) -> Headline:
        """Record a headline figure (and show nothing: the pack's front page shows it)."""
        if isinstance(value, float) and value != value:
            value = None
        h = Headline(name, value, unit, period, list(source_ids), statement, **extra)
        self.headlines.append(h)
        self.uses(*source_ids)
        return h

    # -- end ----------------------------------------------------------------------------------
    def sources_block(self) -> list[dict[str, Any]]:
        """Return provenance for each catalogue id used (publisher, release, short sha256)."""
        catalogue = load_catalogue()
        out = []
        for i in self.source_ids:
            e = catalogue.get(i)
            if e is None:
                continue
            out.append(
                {
                    "id": e.id,
                    "title": e.title,
                    "publisher": e.publisher,
                    "release": e.release,
                    "licence": e.licence,
                    "sha256_short": e.short_sha256,
                    "present": e.raw_path().exists(),
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the headline JSON document."""
        return {
            "notebook": self.notebook,
            "title": self.title,
            "summary": self.summary,
            "la_code": self.la_code,
            "la_name": self.la_name,
            "run_date": self.run_date,
            "suite_version": __version__,
            "synthetic": self.synthetic,
            "sources": self.sources_block(),
            "headlines": [h.as_dict() for h in self.headlines],
            "missing_data": self.missing,
        }

    def finish(self) -> dict[str, Any]:
        """Write ``<output_dir>/<notebook>.json`` atomically (when an output folder was given)."""
        doc = self.to_dict()
        if self.output_dir:
            out = Path(self.output_dir)
            out.mkdir(parents=True, exist_ok=True)
            target = out / f"{self.notebook}.json"
            tmp = target.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, target)
        return doc


def catalogue_ids(prefix: str) -> list[str]:
    """Return catalogue ids starting with ``prefix`` (handy for recording provenance)."""
    return [i for i in load_catalogue() if i.startswith(prefix)]


def default_processed_dir() -> str:
    """Processed-tables folder as a string, for a notebook's parameters cell."""
    return str(paths.processed_dir())


def iter_chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    """Yield lists of ``size`` items (for small-multiple charts)."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
