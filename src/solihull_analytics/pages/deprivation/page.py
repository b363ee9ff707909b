"""Notebook 02's page: where an LA's neighbourhoods sit in England's IDACI distribution.

This module is the page contract for notebook 02 (see :mod:`solihull_analytics.report.contract`):
:func:`prepare` reads the page's inputs once into an :class:`IdaciContext`, one section function
per heading returns the blocks the notebook shows, :func:`headlines` and :func:`summary` give
the figures for the front page. Definitions (bands, ties, deciles, LSOA vintages) are in the
package docstring. The analysis is in :mod:`.compute` and :mod:`.children`, the
charts in :mod:`.charts`, maps in :mod:`.maps`, words in :mod:`.text`, display tables in
:mod:`.tables`, reading in :mod:`.inputs`; the commissioner's report's Table 1 and its
reconciliation are in :mod:`solihull_analytics.reference.table1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.constants import SOLIHULL_LA_CODE
from solihull_analytics.geo.las import LocalAuthority, la_info
from solihull_analytics.pages.deprivation import charts, inputs, tables, text
from solihull_analytics.pages.deprivation.children import (
    GrowthPeriod,
    children_in_bands,
    growth_by_period,
)
from solihull_analytics.pages.deprivation.compute import (
    BANDS,
    NOT_AVAILABLE,
    ReleaseFacts,
    band_counts,
    decile_counts,
    iod_source_ids,
    la_lsoas,
    la_release,
    like_for_like_counts,
    national_ties,
)
from solihull_analytics.pages.deprivation.inputs import LATEST, IdaciInputs
from solihull_analytics.pages.deprivation.maps import (
    load_map_boundaries,
    map_blocks,
    sub_area_definition,
)
from solihull_analytics.reference import table1 as report_table1
from solihull_analytics.report.headlines import (
    HeadlineSpec,
    HeadlineValues,
    build_headline,
    load_specs,
)
from solihull_analytics.report.page import Block, Chart, MissingData, TableBlock, Uses

PAGE_ID = "02_idaci_deprivation"
HEADLINE_SPECS = Path(__file__).with_name("headlines.yaml")
#: What the section functions return: Markdown, charts, tables, missing data and provenance.
PageBlock = Block


def page_title() -> str:
    """The page's title, spanning the IoD releases of the registry."""
    years = [r.year for r in registry.releases("iod")]
    return f"Child income deprivation (IDACI), {years[0]} to {years[-1]}"


def __getattr__(name: str) -> Any:
    # PAGE_TITLE names the registry's first and latest IoD years, so it is read when asked for
    # (the registry in use can change between imports, e.g. in the next-release drill).
    if name == "PAGE_TITLE":
        return page_title()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class IdaciContext:
    """What notebook 02 needs to build its page, read once by :func:`prepare`.

    Derived tables are computed on first use and kept.

    Attributes
    ----------
    la : solihull_analytics.geo.las.LocalAuthority
        The local authority.
    processed_dir : Path or None
        Processed tables folder (``None``: the project's ``data/processed``).
    inp : IdaciInputs
        The processed tables read.
    like_for_like_vintage : int
        LSOA vintage every release is mapped onto for the like-for-like view
        (:func:`.inputs.like_for_like_default` when not given).
    classify_release : str
        Release (on the growth comparison's LSOAs, with ranks) used to group LSOAs for growth.
    facts : ReleaseFacts
        The IoD releases (release registry).
    """

    la: LocalAuthority
    processed_dir: Path | None
    inp: IdaciInputs = field(repr=False)
    like_for_like_vintage: int = field(default_factory=inputs.like_for_like_default)
    classify_release: str = LATEST
    facts: ReleaseFacts = field(default_factory=inputs.release_facts, repr=False)

    @property
    def is_report_la(self) -> bool:
        """Whether the LA is the one the commissioner's report is about (Solihull)."""
        return self.la.code == SOLIHULL_LA_CODE

    @cached_property
    def la_iod(self) -> pd.DataFrame:
        """The LA's rows of ``iod_lsoa`` (selected once, not once per release and measure)."""
        return self.inp.iod[self.inp.iod["la_code"] == self.la.code]

    @cached_property
    def counts(self) -> pd.DataFrame:
        """``band_counts`` for the LA."""
        return band_counts(self.inp.iod, self.la.code, self.facts)

    @cached_property
    def deciles(self) -> pd.DataFrame:
        """``decile_counts`` for the LA."""
        return decile_counts(self.la_iod, self.la.code, self.facts)

    @cached_property
    def children(self) -> pd.DataFrame:
        """``children_in_bands`` for the LA."""
        return children_in_bands(self.la_iod, self.inp.population, self.la.code, self.facts)

    @cached_property
    def growth(self) -> tuple[tuple[GrowthPeriod, ...], int | None]:
        """The growth comparisons the registry allows and the LSOA vintage they group."""
        if self.inp.population is None:
            return (), inputs.growth_vintage()
        return inputs.growth_periods(self.inp.population)

    @cached_property
    def views(self) -> dict[str, dict[str, pd.DataFrame]]:
        """Child population growth by deprivation, per period (label -> result)."""
        periods, vintage = self.growth
        if self.inp.iod is None or self.inp.population is None or vintage is None:
            return {}
        release = inputs.resolve_classify_release(self.inp.iod, self.classify_release, vintage)
        classify = la_release(self.la_iod, self.la.code, release)
        if classify.empty or classify["idaci_rank"].isna().any():
            return {}
        return growth_by_period(
            classify,
            self.inp.population,
            periods,
            vintage,
            self.inp.lookups,
            inputs.census_sources().get(vintage),
        )

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids of the IoD files behind the LA's rows."""
        return iod_source_ids(self.inp.iod, self.la.code)

    def official_url(self, release: str) -> str:
        """The official file holding a release's IDACI ranks (catalogue)."""
        return inputs.official_url(inputs.idaci_rank_files().get(release, ()))


def prepare(
    la_code: str,
    processed_dir: str | Path | None = None,
    *,
    like_for_like_vintage: int | None = None,
    classify_release: str = LATEST,
) -> IdaciContext:
    """Read the tables notebook 02 uses, for one LA.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : str or Path, optional
        Processed tables folder; empty or None for the project's ``data/processed``.
    like_for_like_vintage : int, optional
        LSOA vintage every release is mapped onto for the like-for-like view. None (default):
        the LSOA vintage most IoD releases of the registry are published on, the latest on a
        tie (2011 today; see :func:`.inputs.like_for_like_default`).
    classify_release : str, default "latest"
        Release used to group the LA's LSOAs for child population growth; "latest" is the
        latest release with IDACI ranks on the LSOAs of the growth comparison (the earlier
        census's; see :func:`.inputs.resolve_classify_release`).

    Returns
    -------
    IdaciContext
    """
    processed = Path(processed_dir) if processed_dir else None
    inp = inputs.load_inputs(processed)
    return IdaciContext(
        la=la_info(la_code, processed),
        processed_dir=processed,
        inp=inp,
        like_for_like_vintage=(
            inputs.like_for_like_default() if like_for_like_vintage is None
            else int(like_for_like_vintage)
        ),
        classify_release=inputs.resolve_classify_release(
            inp.iod, classify_release, inputs.growth_vintage()
        ),
    )


# --------------------------------------------------------------------------------------------
# Sections, one per heading of the notebook
# --------------------------------------------------------------------------------------------


def _ids(joined: str) -> list[str]:
    """Split a comma-joined ``source_ids`` cell into catalogue ids."""
    return [i for i in joined.split(",") if i]


def input_notes(ctx: IdaciContext) -> list[PageBlock]:
    """Provenance of the IoD files, and notes on tables or raw files that are missing.

    Returns
    -------
    list of PageBlock
        The IoD source ids, then one :class:`MissingData` per unreadable table and per IoD file
        absent from the raw cache.
    """
    out: list[PageBlock] = [Uses(tuple(ctx.source_ids))]
    for problem in ctx.inp.problems:
        out.append(
            MissingData(problem.capitalize() + ".", "rebuild with `solihull-analytics data build`")
        )
    for f in inputs.missing_iod_files().itertuples():
        out.append(MissingData(f"{f.title} is not in the raw cache ({f.id}).", f.url))
    return out


def releases_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "What each release holds": a paragraph, the status table, missing ranks.

    Returns
    -------
    list of PageBlock
    """
    counts = ctx.counts
    status = tables.release_status(ctx.inp.iod, ctx.inp.releases, ctx.facts, ctx.official_url)
    n_ranks = int(counts["idaci_ranks"].sum())
    n_deciles = int((counts["idaci_deciles"] & ~counts["idaci_ranks"]).sum())
    out: list[PageBlock] = [
        text.releases_intro(len(ctx.facts.labels), n_ranks, n_deciles, ctx.la.name),
        TableBlock(
            status, caption="IoD releases: LSOA vintage, what the data used hold, official files"
        ),
    ]
    for r in status.itertuples(index=False):
        vintage, url = r[1], r[3]
        if url:
            out.append(
                MissingData(
                    f"IDACI ranks for {r.Release} ({vintage} LSOAs) are not in the data used.", url
                )
            )
    return out


#: Columns of the report comparison left to the download: with them it is too wide to read.
TABLE1_OFF_PAGE = ("Most deprived 5%", "Most deprived 2%")


def table1_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Table 1": commentary, method, the report comparison (Solihull) and Table 1.

    Returns
    -------
    list of PageBlock
    """
    report = ctx.is_report_la
    published = report_table1.report_table1() if report else None
    out: list[PageBlock] = [text.describe_bands(ctx.counts, ctx.la.name), text.TABLE1_METHOD]
    if published is not None:
        cmp = report_table1.compare_with_report(ctx.counts, published, BANDS)
        out.append(report_table1.describe_report_comparison(cmp, ctx.facts.labels))
    shown = tables.table1(ctx.counts, ctx.official_url, published)
    # The official files go in a list under the table: as a column they made it too wide to
    # read or print.
    urls = shown.pop("Official file for missing cells")
    years = [ctx.facts.year[r] for r in ctx.facts.labels]
    out.append(
        TableBlock(
            shown,
            caption=f"{ctx.la.name}: LSOAs in England's most deprived 20%, 10%, 5% and 2% on "
            "IDACI, by release",
            source=f"MHCLG/DCLG English Indices of Deprivation {years[0]}-{years[-1]}; "
            "ONS LSOA lookups"
            + ("; report column: " + report_table1.TABLE1_CITATION if report else ""),
            page_columns=[c for c in shown if not c.startswith(TABLE1_OFF_PAGE)],
        )
    )
    missing = [(release, url) for release, url in zip(shown["Release"], urls, strict=True) if url]
    if missing:
        out.append(
            "Official files for the cells marked not available: "
            + "; ".join(f"{release}: {url}" for release, url in missing)
            + "."
        )
    return out


def like_for_like_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Like-for-like view": every release on one LSOA vintage.

    Returns
    -------
    list of PageBlock
        A note when the view cannot be built; else a paragraph, provenance and the table.
    """
    target = ctx.like_for_like_vintage
    lfl = like_for_like_counts(
        ctx.inp.iod,
        la_lsoas(ctx.inp.iod, ctx.la.code, target),
        target,
        ctx.inp.lookups,
        ctx.facts,
        inputs.child_weights(ctx.inp.population),
    )
    if lfl.empty:
        return [f"A like-for-like view on {target} LSOAs is {NOT_AVAILABLE}."]
    lookups = registry.geography("lsoa_lookup")
    chain = sorted({int(r.fact("from_vintage", 0)) for r in lookups} | {r.year for r in lookups})
    return [
        text.like_for_like_text(lfl, ctx.la.name, target),
        Uses(tuple(registry.geography_citation(r) for r in reversed(lookups))),  # newest first
        TableBlock(
            tables.like_for_like_display(lfl),
            caption=f"{ctx.la.name}: IDACI bands with every release on {target} LSOAs",
            source="MHCLG/DCLG English Indices of Deprivation; ONS LSOA "
            + "-".join(str(v) for v in chain) + " lookups",
        ),
    ]


def decile_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Neighbourhoods by national IDACI decile": bar charts and the table.

    Returns
    -------
    list of PageBlock
    """
    dec = ctx.deciles
    if dec.empty:
        return [f"IDACI deciles for {ctx.la.name} are {NOT_AVAILABLE}."]
    return [
        Chart(
            charts.plot_decile_bars(dec, text.decile_title(dec, ctx.la.name)),
            alt=text.decile_alt(dec, ctx.la.name),
            source="MHCLG/DCLG English Indices of Deprivation (published IDACI deciles)",
            data=dec,
            name="chart_deciles",
        ),
        TableBlock(
            tables.decile_display(dec),
            caption=f"{ctx.la.name}: LSOAs by national IDACI decile and release",
        ),
    ]


def maps_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Maps of IDACI decile": one map per release with deciles and boundaries.

    Returns
    -------
    list of PageBlock
        Per release a paragraph and a map (or a :class:`MissingData` when its boundaries are
        missing), the boundary provenance, and a note listing releases not mapped.
    """
    boundaries = load_map_boundaries(ctx.processed_dir, la_code=ctx.la.code)
    sub_areas = sub_area_definition(ctx.la.code, ctx.la.name, ctx.processed_dir)  # once a page
    out: list[PageBlock] = []
    mapped = []
    available = set(ctx.deciles["release"])
    for rel in [r for r in ctx.facts.labels if r in available]:
        blocks = map_blocks(ctx.la, ctx.inp, rel, boundaries, ctx.processed_dir, sub_areas)
        out.extend(blocks)
        if isinstance(blocks[-1], Chart):
            mapped.append(rel)
    out.append(Uses(boundaries.source_ids))
    unmapped = [r for r in ctx.facts.labels if r not in mapped]
    if unmapped:
        without = sorted({v for r, v in ctx.facts.lsoa_vintage.items()
                          if r in unmapped and v not in boundaries.lsoa})
        out.append(
            "Not mapped: " + ", ".join(unmapped) + f" (IDACI deciles {NOT_AVAILABLE}"
            + "".join(f"; releases on {v} LSOAs would also need {v} LSOA boundaries"
                      for v in without)
            + ")."
        )
    return out


def children_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Children in England's most deprived neighbourhoods": commentary and table.

    Returns
    -------
    list of PageBlock
    """
    ch = ctx.children
    out: list[PageBlock] = [text.describe_children(ch, ctx.la.name)]
    if ctx.is_report_la:
        out.append(
            report_table1.report_children_text(
                ch, ctx.la.name, report_table1.report_children_share()
            )
        )
    out.extend(Uses(tuple(_ids(ids))) for ids in ch["source_ids"])
    censuses = "/".join(str(y) for y in inputs.census_years())
    out.append(
        TableBlock(
            tables.children_display(ch),
            caption=f"{ctx.la.name}: children aged 0-15 living in England's most deprived 20% "
            "and 10% of LSOAs on IDACI, by release",
            source="MHCLG/DCLG IoD population denominators; ONS Census "
            f"{censuses} where a release's own denominators are not in the data used",
        )
    )
    return out


def growth_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Child population change by deprivation": method, commentary, chart, tables.

    Returns
    -------
    list of PageBlock
    """
    views = ctx.views
    if not views:
        return [f"Child population change by deprivation is {NOT_AVAILABLE}."]
    periods, vintage = ctx.growth
    name = ctx.la.name
    rel = inputs.resolve_classify_release(ctx.inp.iod, ctx.classify_release, vintage)
    out: list[PageBlock] = [text.growth_method(name, vintage, rel, periods)]
    out.extend(text.describe_growth(result["tenths"], label) for label, result in views.items())
    out.append(
        Chart(
            charts.plot_growth(
                {k: v["tenths"] for k, v in views.items()},
                text.growth_title(views, periods[0].span),
            ),
            alt=text.growth_alt(views),
            source=f"ONS {', '.join(p.citation for p in periods)}; MHCLG {rel} IDACI",
            data=pd.concat(
                [v["tenths"].assign(period=label) for label, v in views.items()],
                ignore_index=True,
            ),
            name="chart_growth",
        )
    )
    out.append(Uses(tuple(i for p in periods for i in p.source_ids)))
    for label, result in views.items():
        by_decile, tenths = tables.growth_display(result)
        out.append(TableBlock(tenths, caption=f"{name}: {label}, most vs least deprived tenth"))
        out.append(TableBlock(by_decile, caption=f"{name}: {label}, by national IDACI decile"))
    return out


def method_section(ctx: IdaciContext) -> list[PageBlock]:
    """Section "Method: bands, ties and boundaries": the rules and the national ties table.

    Returns
    -------
    list of PageBlock
    """
    ties = national_ties(ctx.inp.iod, ctx.facts)
    return [
        text.METHOD,
        None
        if ties.empty
        else TableBlock(ties, caption="IDACI rank cut-offs and ties in England, by release"),
    ]


# --------------------------------------------------------------------------------------------
# Headlines and summary
# --------------------------------------------------------------------------------------------


def _band_headlines(ctx: IdaciContext, specs: dict[str, HeadlineSpec]) -> list[dict[str, Any]]:
    out = []
    for r in ctx.counts.itertuples():
        ids = iod_source_ids(ctx.inp.iod, ctx.la.code, r.release)
        for p in BANDS:
            n = getattr(r, f"n_{p}pct")
            if pd.isna(n):
                continue
            fields = {
                "band": p,
                "release": r.release,
                "la_name": ctx.la.name,
                "lsoas_in_la": int(r.lsoas_in_la),
                "lsoas_in_england": int(r.lsoas_in_england),
                "lsoa_vintage": int(r.lsoa_vintage),
                "method": getattr(r, f"method_{p}pct"),
            }
            fields["release_key"] = r.release.lower()
            values = HeadlineValues("lsoas_most_deprived", int(n), ids, fields=fields)
            out.append(build_headline(specs["lsoas_most_deprived"], values))
    return out


def _children_headlines(ctx: IdaciContext, specs: dict[str, HeadlineSpec]
                        ) -> list[dict[str, Any]]:
    ch = ctx.children
    out = []
    for r in ch[ch["share_20pct"].notna()].itertuples():
        fields = {
            "release": r.release,
            "la_name": ctx.la.name,
            "share": float(r.share_20pct),
            "children_20pct": int(r.children_20pct),
            "children_la": int(r.children_la),
            "denominator": r.denominator,
            "release_key": r.release.lower(),
        }
        ids = _ids(r.source_ids) + iod_source_ids(ctx.inp.iod, ctx.la.code, r.release)
        name = "children_share_most_deprived_20pct"
        values = HeadlineValues(name, float(r.share_20pct) * 100, ids, fields=fields)
        out.append(build_headline(specs[name], values))
    return out


def _growth_headlines(ctx: IdaciContext, specs: dict[str, HeadlineSpec]
                      ) -> list[dict[str, Any]]:
    keys = {p.label: p.key for p in ctx.growth[0]}
    out = []
    for label, result in ctx.views.items():
        t = result["tenths"]
        fields = {
            "period": label,
            "sentence": text.describe_growth(t, label),
            "least": float(t["growth_pct"].iloc[1]),
            "period_key": keys[label],
        }
        name = "child_growth_most_deprived_tenth"
        values = HeadlineValues(name, float(t["growth_pct"].iloc[0]), [], fields=fields)
        out.append(build_headline(specs[name], values))
    return out


def headlines(ctx: IdaciContext) -> list[dict[str, Any]]:
    """Headline figures: Table 1 counts, children's shares and child growth.

    Declared in ``headlines.yaml``; each is published once per release or period.

    Returns
    -------
    list of dict
        Keyword arguments for :meth:`solihull_analytics.report.page.Page.headline`, in page order:
        ``lsoas_most_deprived_<p>pct_<release>`` per band and release with a count,
        ``children_share_most_deprived_20pct_<release>`` and
        ``child_growth_most_deprived_tenth_<period>``.
    """
    specs = load_specs(HEADLINE_SPECS)
    return [
        *_band_headlines(ctx, specs),
        *_children_headlines(ctx, specs),
        *_growth_headlines(ctx, specs),
    ]


def summary(ctx: IdaciContext) -> str:
    """One-sentence page summary: the latest release's count in England's most deprived 20%."""
    latest = ctx.counts[ctx.counts["n_20pct"].notna()]
    if not len(latest):
        return f"IDACI data for {ctx.la.name} are {NOT_AVAILABLE}."
    last = latest.iloc[-1]
    return (
        f"{last['release']}: {int(last['n_20pct'])} of {ctx.la.name}'s {int(last['lsoas_in_la'])} "
        f"neighbourhoods were in England's most deprived 20% on child income deprivation."
    )
