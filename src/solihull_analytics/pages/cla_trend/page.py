"""Notebook 01, children looked after: the rate trend. The page contract: read, assemble.

:func:`prepare` reads the page's inputs once (:mod:`.inputs`) and computes the rates
(:mod:`.compute`); each section function turns the context into blocks for ``Page.show``, with
charts from :mod:`.charts`, sentences from :mod:`.text` and tables from :mod:`.tables`;
:func:`headlines` fills in the specifications of ``headlines.yaml``; :func:`summary` writes the
front page's sentence. The Commissioner's report's figures and their reconciliation are in
:mod:`solihull_analytics.reference.cla_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo.las import LocalAuthority
from solihull_analytics.geo.neighbours import NeighbourSet
from solihull_analytics.pages.cla_trend import charts, compute, tables, text
from solihull_analytics.pages.cla_trend.census_bases import CensusBases
from solihull_analytics.pages.cla_trend.comparators import comparison_table, report_neighbours_table
from solihull_analytics.pages.cla_trend.compute import (
    Convention,
    cla_rates,
    denominator_runs,
    growth_table,
    latest_census_break_year,
    population_growth,
)
from solihull_analytics.pages.cla_trend.inputs import (
    TrendInputs,
    census_bases,
    cla_first_year,
    cla_release_years,
    load_inputs,
    revised_vintages,
    vintage_labels,
)
from solihull_analytics.reference import cla_figures
from solihull_analytics.reference.cla_figures import REPORT_LA, REPORT_WINDOW
from solihull_analytics.reference.solihull_report import REPORT_CITATION
from solihull_analytics.report.headlines import HeadlineValues, build_headlines, load_specs
from solihull_analytics.report.page import Block, Chart, TableBlock

PAGE_ID = "01_cla_trend"
PAGE_TITLE = "Children looked after: the rate trend"
#: The page's headline specification table.
HEADLINE_SPECS = Path(__file__).with_name("headlines.yaml")


@dataclass
class TrendContext:
    """Everything notebook 01 shows, computed once by :func:`prepare`.

    Attributes
    ----------
    la : LocalAuthority
        The LA the page is about.
    inputs : TrendInputs
        The processed tables.
    processed : Path or None
        Processed-tables folder (None: the project's default).
    neighbours : NeighbourSet
        Statistical neighbours for the latest year (DfE's current model).
    report_neighbours : NeighbourSet
        Statistical neighbours for the report period (DfE's model in use in March 2023).
    table : pandas.DataFrame
        :func:`.compute.cla_rates` for the LA, England, its region and both sets of neighbours.
    la_rows, eng_rows : pandas.DataFrame
        The LA's and England's rows of ``table``, by year.
    latest_year : int
        Latest year with a recomputed rate for the LA.
    break_year : int or None
        First year on estimates based on the latest census (see ``census``).
    window_start, window_end : int
        Growth window (years at 31 March).
    convention, vintage, ci_level, n_neighbours
        The page's parameters.
    labels, revises : dict
        Population vintage -> the name shown, and -> the vintage it revises (registry facts).
    census : CensusBases
        The census each vintage is based on, and the censuses' names (registry facts).
    cla_releases : tuple of int
        Years of the first and the latest DfE CLA releases (registry facts).
    """

    la: LocalAuthority
    inputs: TrendInputs
    processed: Path | None
    neighbours: NeighbourSet
    report_neighbours: NeighbourSet
    table: pd.DataFrame
    la_rows: pd.DataFrame
    eng_rows: pd.DataFrame
    latest_year: int
    break_year: int | None
    window_start: int
    window_end: int
    convention: Convention
    vintage: str
    ci_level: float
    n_neighbours: int
    labels: dict[str, str] = field(default_factory=dict)
    revises: dict[str, str] = field(default_factory=dict)
    census: CensusBases = field(default_factory=CensusBases)
    cla_releases: tuple[int, int] = (0, 0)

    @property
    def pct(self) -> str:
        """The confidence level as text, e.g. ``"95%"``."""
        return f"{self.ci_level * 100:g}%"

    @property
    def areas(self) -> list[str]:
        """The LA, England and (when known) its region."""
        return [self.la.code, ENGLAND_CODE] + ([self.la.region_code] if self.la.region_code else [])

    @property
    def la_last(self) -> pd.Series:
        """The LA's row for the latest year."""
        return self.la_rows.set_index("year").loc[self.latest_year]

    @property
    def eng_last(self) -> pd.Series:
        """England's row for the latest year."""
        return self.eng_rows.set_index("year").loc[self.latest_year]

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids the page uses, in the order the sections use them."""
        ids = (
            self.inputs.source_ids(self.areas)
            + self.neighbours.source_ids
            + self.report_neighbours.source_ids
            + self.inputs.source_ids([REPORT_LA, ENGLAND_CODE])
        )
        return list(dict.fromkeys(ids))

    @property
    def since(self) -> int:
        """Start year of the comparison table's change column (five years before the latest)."""
        return self.latest_year - 5

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """:func:`.comparators.comparison_table` for the latest year."""
        return comparison_table(
            self.table,
            self.la.code,
            self.la.region_code,
            self.neighbours.codes,
            self.latest_year,
            self.since,
        )

    @cached_property
    def growth(self) -> pd.DataFrame:
        """:func:`.compute.growth_table` over the window (nearest denominators allowed, flagged)."""
        approx = cla_rates(
            self.inputs.cla,
            self.inputs.candidates,
            [self.la.code, ENGLAND_CODE],
            self.convention,
            self.vintage,
            self.ci_level,
            nearest=True,
        )
        return growth_table(approx, self.la.code, self.window_start, self.window_end)

    @cached_property
    def population(self) -> pd.DataFrame:
        """:func:`.compute.population_growth` of the LA and England over the window."""
        return population_growth(
            self.inputs.candidates,
            [self.la.code, ENGLAND_CODE],
            self.window_start,
            self.window_end,
            self.vintage,
        )


def prepare(
    la_code: str,
    processed_dir: object = None,
    *,
    window_start: int = REPORT_WINDOW[0],
    window_end: int = REPORT_WINDOW[1],
    convention: Convention = "dfe",
    vintage: str = "latest",
    ci_level: float = 0.95,
    n_neighbours: int = 10,
    first_year: int | None = 0,
) -> TrendContext:
    """Load the data and compute the rates notebook 01 shows.

    Parameters
    ----------
    la_code : str
        The LA the page is about.
    processed_dir : str or Path, optional
        Processed-tables folder (empty or None: the project's default).
    window_start, window_end : int
        Growth window, years at 31 March.
    convention : {"dfe", "same_year"}
        Denominator convention, see :func:`.compute.select_denominators`.
    vintage : str
        ONS vintage of the 0-17 estimates (``"latest"`` or a vintage name).
    ci_level : float
        Confidence level of the limits.
    n_neighbours : int
        Number of statistical neighbours (DfE lists ten).
    first_year : int, optional
        First year shown; 0 (the default): the first year the registry's CLA releases cover
        (:func:`.inputs.cla_first_year`); None: every year held.

    Returns
    -------
    TrendContext
        Neighbours are DfE's: the current model for the latest year, the model in use when the
        report was written for the report window (see :func:`neighbours.neighbour_set`).
    """
    from solihull_analytics.geo import neighbours as nb
    from solihull_analytics.geo.las import la_info

    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    inputs = load_inputs(processed)
    neighbours = nb.neighbour_set(la.code, la.name, "current", processed, n_neighbours)
    report_neighbours = nb.neighbour_set(la.code, la.name, "report", processed, n_neighbours)
    areas = [la.code, ENGLAND_CODE] + ([la.region_code] if la.region_code else [])
    all_codes = list(dict.fromkeys(areas + neighbours.codes + report_neighbours.codes))
    table = cla_rates(
        inputs.cla,
        inputs.candidates,
        all_codes,
        convention,
        vintage,
        ci_level,
        first_year=cla_first_year() if first_year == 0 else first_year,
    )
    la_rows = table[table["la_code"] == la.code].sort_values("year")
    eng_rows = table[table["la_code"] == ENGLAND_CODE].sort_values("year")
    return TrendContext(
        la=la,
        inputs=inputs,
        processed=processed,
        neighbours=neighbours,
        report_neighbours=report_neighbours,
        table=table,
        la_rows=la_rows,
        eng_rows=eng_rows,
        latest_year=int(la_rows.dropna(subset=["rate_all"])["year"].max()),
        break_year=latest_census_break_year(la_rows),
        window_start=window_start,
        window_end=window_end,
        convention=convention,
        vintage=vintage,
        ci_level=ci_level,
        n_neighbours=n_neighbours,
        labels=vintage_labels(),
        revises=revised_vintages(),
        census=census_bases(),
        cla_releases=cla_release_years(),
    )


def trend_section(ctx: TrendContext) -> list[Block]:
    """The rate trend: chart, paragraph and, when some years lack a rate, a note on them.

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        For :meth:`Page.show`. The missing-data notice follows (:func:`missing_denominators`),
        then :func:`trend_table`.
    """
    la, la_rows, eng_rows, year = ctx.la, ctx.la_rows, ctx.eng_rows, ctx.latest_year
    title = text.trend_title(la.name, ctx.la_last["rate_all"] / ctx.eng_last["rate_all"], year)
    before = text.before_break_label(la_rows, ctx.break_year, ctx.labels)
    runs = denominator_runs(la_rows)
    revised_run = (runs[0][0], runs[0][1]) if before and runs[0][2] in ctx.revises else None
    alt = text.trend_alt(la.name, la_rows, ctx.eng_last, year, ctx.pct, ctx.break_year,
                         revised_run, ctx.census)
    blocks: list[Block] = [
        Chart(
            charts.plot_trend(la_rows, eng_rows, la.name, ctx.break_year, title,
                              before_label=before, census_label=ctx.census.label()),
            alt,
            text.trend_source(*ctx.cla_releases),
            data=published_rates(pd.concat([la_rows, eng_rows]), ctx.census),
            name="chart_rates",
        ),
        text.describe_trend(la_rows, eng_rows, la.name),
        text.series_break_statement(la_rows, ctx.inputs.candidates, la.code, la.name,
                                    ctx.labels, ctx.revises, ctx.census) or None,
    ]
    gaps = la_rows[la_rows["rate_all"].isna()]
    if len(gaps):
        blocks.append(text.gaps_sentence(gaps))
    return blocks


def published_rates(rows: pd.DataFrame, census: CensusBases) -> pd.DataFrame:
    """The rate rows as the trend chart's download publishes them.

    The flag ``denominator_on_latest_census_base`` is published under the name of the census it
    refers to (``denominator_census2021_based`` while Census 2021 is the latest base), so the
    download keeps its column names until a new census base changes what the flag means.
    """
    return rows.rename(columns={
        "denominator_on_latest_census_base": f"denominator_{census.slug}_based"})


def missing_denominators(ctx: TrendContext) -> list[dict[str, str]]:
    """The 0-17 estimates the trend needed but the data lack, for :meth:`Page.missing_data`.

    Returns
    -------
    list of dict
        At most one ``{"what": ..., "where": ...}``.
    """
    gaps = ctx.la_rows[ctx.la_rows["rate_all"].isna()]
    if not len(gaps):
        return []
    years = ", mid-".join(str(int(y)) for y in sorted(set(gaps["denominator_wanted_mid_year"])))
    return [
        {
            "what": (
                f"ONS mid-year estimates of children aged 0-17 by local authority for mid-{years}."
            ),
            "where": "ONS mid-year population estimates (https://www.ons.gov.uk/"
            "peoplepopulationandcommunity/populationandmigration/populationestimates)",
        }
    ]


def trend_table(ctx: TrendContext) -> TableBlock:
    """The LA's counts, denominators and rates by year, with limits."""
    cla = ctx.inputs.cla
    shown_counts = cla[(cla["la_code"] == ctx.la.code) & cla["year"].isin(ctx.la_rows["year"])]
    return TableBlock(
        tables.trend_display(ctx.la_rows, ctx.labels),
        caption=f"{ctx.la.name}: children looked after at 31 March, rates per 10,000 aged 0-17 "
        f"with {ctx.pct} confidence limits ({text.CONVENTION_LABELS[ctx.convention]})",
        source=" ".join(["DfE; ONS.", text.rounding_note(shown_counts)]).strip(),
        name="rates",
        page_rows=-10,  # the latest years; the whole series is in the download
    )


def comparison_section(ctx: TrendContext) -> list[Block]:
    """The LA against England, its region and its statistical neighbours in the latest year.

    Returns
    -------
    list of Block
        Method statement, dot chart, paragraph, comparison table and neighbour table.
    """
    la, year, comparison = ctx.la, ctx.latest_year, ctx.comparison
    model = ctx.neighbours.label
    title, alt, words = text.comparison_texts(
        comparison, la.code, la.name, ctx.la_last["rate_non_uasc"], year, ctx.pct, model,
        ctx.eng_last["rate_non_uasc"], len(ctx.neighbours.codes),
    )
    chart_columns = [c for c in tables.COMPARISON_CHART_COLUMNS if c in comparison]
    return [
        ctx.neighbours.statement(),
        Chart(
            charts.plot_comparison(comparison, year, title),
            alt,
            f"DfE children looked after statistics; ONS mid-year estimates; neighbours: {model}.",
            data=comparison[chart_columns],
            name="chart_neighbours",
        ),
        words,
        TableBlock(
            tables.comparison_display(comparison, ctx.since, year),
            caption=f"Children looked after at 31 March {year} per 10,000 aged 0-17: "
            f"{la.name}, England, region and statistical neighbours ({model}), with the change "
            f"in the non-UASC rate since {ctx.since}",
        ),
        TableBlock(
            tables.preformat(ctx.neighbours.display(), "{:,.2f}"),
            caption=f"Statistical neighbours of {la.name}, nearest first ({model})",
        ),
    ]


def growth_section(ctx: TrendContext) -> list[Block]:
    """Growth over the window: rates against England, then the 0-17 population.

    Returns
    -------
    list of Block
        Paragraph, denominator notes, growth table, population paragraph and table, then
        :func:`report_neighbours_section`.
    """
    la_name, start, end = ctx.la.name, ctx.window_start, ctx.window_end
    growth, pop = ctx.growth, ctx.population
    notes = sorted(set("; ".join(growth["notes"]).split("; ")) - {""})
    return [
        text.describe_growth(growth, la_name, start, end),
        ("Denominators: " + "; ".join(notes) + ".") if notes else None,
        TableBlock(
            tables.growth_display(growth, la_name, start, end),
            caption=f"Change in the rate per 10,000 aged 0-17, {start} to {end}: "
            f"{la_name} against England",
        ),
        text.describe_population_growth(pop, la_name, ctx.labels, ctx.census),
        TableBlock(tables.population_display(pop, la_name, ctx.labels),
                   caption=f"Population aged 0-17, {la_name} and England"),
        *report_neighbours_section(ctx),
    ]


def report_neighbours_section(ctx: TrendContext) -> list[Block]:
    """The window's change against the neighbours DfE listed when the report was written.

    Returns
    -------
    list of Block
        A paragraph and a table naming the model.
    """
    la, start, end = ctx.la.name, ctx.window_start, ctx.window_end
    nset = ctx.report_neighbours
    t = report_neighbours_table(ctx.table, ctx.la.code, nset.codes,
                                list(nset.table["la_name"]), start, end)
    return [
        text.report_neighbours_paragraph(t, la, start, end, nset),
        TableBlock(
            tables.report_neighbours_display(t, start, end),
            caption=f"Children looked after excluding UASC per 10,000 aged 0-17, {start} and "
            f"{end}: {la}, England and its statistical neighbours ({nset.label}, in DfE's "
            "order)",
            source=f"DfE; ONS; {text.CONVENTION_LABELS[ctx.convention]}.",
        ),
    ]


def reconciliation_section(ctx: TrendContext) -> list[Block]:
    """The Commissioner's report's figures against ours (always Solihull's, the report's LA).

    Returns
    -------
    list of Block
        A paragraph and the reconciliation table (:func:`.cla_figures.reconciliation_table`).
    """
    from solihull_analytics.geo.las import la_info

    inputs = ctx.inputs
    codes = [REPORT_LA, ENGLAND_CODE]
    default = cla_rates(
        inputs.cla, inputs.candidates, codes, "dfe", "latest", ctx.ci_level, nearest=True
    )
    alt = cla_rates(
        inputs.cla, inputs.candidates, codes, "same_year", "latest", ctx.ci_level, nearest=True
    )
    name = la_info(REPORT_LA, ctx.processed).name
    counts = (
        cla_figures.count_vintages_table(inputs.vintages, codes)
        if inputs.vintages is not None
        else None
    )
    growth = compute.growth_table(alt, REPORT_LA, *REPORT_WINDOW, series=("non_uasc",)).iloc[0]
    rec = cla_figures.reconciliation_table(default, alt, REPORT_LA, name, growth, counts,
                                           inputs.candidates, vintage_labels=ctx.labels,
                                           census_label=ctx.census.label())
    matched = rec[rec["verdict"] == "reproduced"]
    intro = text.reconciliation_intro(
        name, ctx.la.code == REPORT_LA,
        cla_figures.report_convention_sentence(default, alt, REPORT_LA, name),
        len(rec), len(matched), REPORT_CITATION,
    )
    return [
        intro,
        TableBlock(
            rec[["figure", "report", "ours", "difference", "verdict", "explanation"]],
            caption="The report's figures (non-UASC, at 31 March) against ours on the "
            "report's convention (rate at 31 March Y on the mid-Y estimate)",
        ),
    ]


def _value(x: object) -> float | None:
    return None if pd.isna(x) else float(x)


def headlines(ctx: TrendContext) -> list[dict[str, object]]:
    """The page's headline figures (``headlines.yaml`` filled in), for :meth:`Page.headline`.

    Returns
    -------
    list of dict
        ``cla_rate_latest``, ``cla_rate_non_uasc_latest``, ``cla_rate_ratio_to_england``,
        ``cla_non_uasc_change_window`` and ``cla_non_uasc_change_ratio``.
    """
    la, la_last, eng_last = ctx.la.name, ctx.la_last, ctx.eng_last
    window = f"{ctx.window_start}-{ctx.window_end}"
    la_ids = ctx.inputs.source_ids([ctx.la.code])
    both_ids = ctx.inputs.source_ids([ctx.la.code, ENGLAND_CODE])
    g0 = ctx.growth.set_index("series").loc["non_uasc"]
    latest = {"year": ctx.latest_year, "england": eng_last["rate_all"],
              "england_non_uasc": eng_last["rate_non_uasc"]}
    over = {"window": window}
    values = [
        HeadlineValues("cla_rate_latest", la_last["rate_all"], la_ids,
                       lower=la_last["rate_all_lower"], upper=la_last["rate_all_upper"],
                       area=la, fields={**latest,
                                        "convention": text.CONVENTION_LABELS[ctx.convention]}),
        HeadlineValues("cla_rate_non_uasc_latest", _value(la_last["rate_non_uasc"]), la_ids,
                       lower=la_last["rate_non_uasc_lower"], upper=la_last["rate_non_uasc_upper"],
                       area=la, fields=latest),
        HeadlineValues("cla_rate_ratio_to_england", la_last["rate_all"] / eng_last["rate_all"],
                       both_ids, area=la, fields=latest),
        HeadlineValues("cla_non_uasc_change_window", _value(g0["la_change"]), both_ids, area=la,
                       fields={**over, "england_change": g0["comparator_change"],
                               "why": g0["notes"] or "a count is missing",
                               "approximate": "approximate start denominator"
                               if g0["approximate"] else ""}),
        HeadlineValues("cla_non_uasc_change_ratio", _value(g0["ratio"]), both_ids, area=la,
                       fields={**over, "sentence": text.change_ratio_words(
                           g0["la_change"], g0["comparator_change"], g0["ratio"], la, window)}),
    ]
    return build_headlines(load_specs(HEADLINE_SPECS), values)


def summary(ctx: TrendContext) -> str:
    """One sentence for the pack's index page."""
    return text.summary_sentence(ctx.la.name, ctx.la_last, ctx.eng_last, ctx.latest_year)
