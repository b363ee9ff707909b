"""Page 03 (notebook ``03_sub_area_profile``): a profile of any LA's sub-areas against the rest.

For Solihull the sub-areas are North Solihull and the rest of the borough; any LA can define its
own (``geo/area_definitions/<LA code>.yaml``), and an LA without a definition is profiled as a
whole against England. The measures: residents and children at the latest census and their
change since the previous one, ethnic group, households, children in low-income families and
the national IDACI deciles of the LA's neighbourhoods.

The page contract (:mod:`solihull_analytics.report.contract`): :func:`prepare` reads the inputs
once (:mod:`.inputs`) and computes every measure (:mod:`.compute`, :mod:`.maps`) into a
:class:`SubAreaProfile`; the ``*_section`` functions return the blocks the notebook shows
(charts from :mod:`.charts`, words from :mod:`.text`); :func:`headlines` fills in the
specification table ``headlines.yaml``; :func:`summary` is the front page's line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.geo.lsoa import lsoa_code_column
from solihull_analytics.geo.sub_areas import AreaDefinition, lsoa11_membership
from solihull_analytics.pages.sub_area_profile import compute, text
from solihull_analytics.pages.sub_area_profile.charts import bar_chart, idaci_chart, maps_figure
from solihull_analytics.pages.sub_area_profile.inputs import (
    LOW_INCOME_SOURCES,
    Inputs,
    read_boundaries,
    read_inputs,
)
from solihull_analytics.pages.sub_area_profile.maps import MapInputs, MapLayers, map_layers
from solihull_analytics.pages.sub_area_profile.text import Censuses, values_list
from solihull_analytics.report.headlines import HeadlineValues, build_headlines, load_specs
from solihull_analytics.report.page import Block, Chart, TableBlock

PAGE_ID = "03_sub_area_profile"
PAGE_TITLE = "Sub-areas compared: children, ethnicity and deprivation"
HEADLINE_SPECS = Path(__file__).with_name("headlines.yaml")

#: IoD file roles (release registry) behind the IDACI measures of this page.
IDACI_ROLES = ("idaci", "idaci_deciles", "denominators", "denominators_extract")
#: Default IoD releases of the page: the two latest with IDACI deciles in the data.
DEFAULT_IDACI_RELEASES = "latest:2"


def idaci_source_ids(releases: tuple[str, ...] | list[str]) -> list[str]:
    """Catalogue ids of the IoD files (deciles, denominators) of ``releases`` (registry)."""
    out = []
    for label in releases:
        rel = registry.get("iod", label)
        out += [f.id for f in rel.files if f.role in IDACI_ROLES and not f.optional]
    return out


def resolve_idaci_releases(value: str | tuple[str, ...], iod: pd.DataFrame) -> tuple[str, ...]:
    """Resolve ``"latest:N"``, ``"latest"`` or a comma-separated list of IoD release labels.

    "latest" counts only releases whose IDACI deciles are in ``iod`` (``iod_lsoa``).
    """
    if not isinstance(value, str):
        return tuple(value)
    available = list(iod.loc[iod["idaci_decile"].notna(), "release"].unique())
    return tuple(registry.resolve_many("iod", value, available))


@dataclass
class SubAreaProfile:
    """Everything notebook 03 shows, computed once by :func:`prepare`.

    ``pop, growth, eth, eth19, households, li, comp, idaci`` are the results of
    :mod:`.compute`; ``fye`` the DWP financial year ending used for low income; ``layers`` the
    map polygons (None when no boundaries cover the LA); ``source_ids`` the catalogue ids behind
    the page; ``missing`` section name -> ``(what, where)`` pairs for ``Page.missing_data``.
    """

    areas: AreaDefinition
    processed_dir: Path | None
    censuses: Censuses
    sources: dict[str, list[str]]
    pop: pd.DataFrame
    growth: pd.DataFrame
    eth: pd.DataFrame
    eth19: pd.DataFrame
    households: pd.DataFrame
    li: pd.DataFrame
    fye: int
    estimate_year: int
    have_lsoa_low_income: bool
    comp: pd.DataFrame
    idaci: pd.DataFrame
    iod_years: list[int]
    layers: MapLayers | None
    lone_parent_entry: tuple[str, str, str, str]
    source_ids: list[str]
    missing: dict[str, list[tuple[str, str]]]

    @property
    def la_code(self) -> str:
        """The LA's code."""
        return self.areas.la_code

    @property
    def la_name(self) -> str:
        """The LA's name (from the data)."""
        return self.areas.la_name

    @property
    def year(self) -> str:
        """The DWP financial year as ``2020/21``."""
        return text.financial_year(self.fye)


def _measures(areas: AreaDefinition, inp: Inputs, fye: int | None) -> dict[str, Any]:
    """Compute every measure of the page from the inputs read once."""
    m11 = lsoa11_membership(areas, inp.lookup)
    topics, la = inp.topics_lsoa, inp.census_la
    fye = compute.low_income_year(inp.low_income_la, list(inp.estimates), fye)
    li_la = inp.low_income_la[inp.low_income_la["financial_year_ending"] == fye]
    li_lsoa = inp.low_income_lsoa[inp.low_income_lsoa["financial_year_ending"] == fye]
    den = compute.estimates_0_15(areas, inp.estimates[fye - 1], m11)
    return dict(
        pop=compute.census_population(areas, inp.census_lsoa, la[la["topic"] == "age"]),
        growth=compute.child_growth(areas, inp.previous_lsoa, inp.census_lsoa, m11),
        eth=compute.ethnicity_by_area(areas, inp.ethnicity_lsoa),
        eth19=compute.ethnicity_19_la(areas, la[la["topic"] == "ethnic_group_19"]),
        households=compute.lone_parents(areas,
                                        topics[topics["topic"] == "household_composition"],
                                        la[la["topic"] == "households"]),
        li=compute.low_income(areas, li_la, li_lsoa, den, m11),
        fye=fye, estimate_year=fye - 1, have_lsoa_low_income=not li_lsoa.empty,
        m11=m11,
    )


def _source_ids(sources: dict[str, list[str]], have_lone: bool, layers: MapLayers | None,
                latest_vintage: int, idaci_releases: tuple[str, ...]) -> list[str]:
    ids = sources["areas"] + sources["population"] + sources["growth"]
    ids += sources["ethnicity"] + sources["ethnicity19"] + sources["households"]
    ids += sources["lone_parents"] if have_lone else []
    ids += LOW_INCOME_SOURCES["la"] + sources["low_income_denominator"]
    if layers is not None:
        latest = layers.lsoa_vintage == latest_vintage
        ids += sources["maps_latest" if latest else "maps_previous"]
    return list(dict.fromkeys(ids + idaci_source_ids(idaci_releases)))


def prepare(
    la_code: str,
    processed_dir: Path | str | None = None,
    areas_config: Path | str | None = "",
    low_income_fye: int | None = 0,
    idaci_releases: str | tuple[str, ...] = DEFAULT_IDACI_RELEASES,
) -> SubAreaProfile:
    """Resolve the LA's sub-areas and compute every measure of the page.

    Parameters
    ----------
    la_code : str
        A current English children's-services LA code.
    processed_dir : Path or str, optional
        Processed-tables folder; empty or None for the project's ``data/processed``.
    areas_config : Path or str, optional
        Sub-area file; empty for the package file ``areas/<la_code>.yaml`` if any.
    low_income_fye : int, optional
        DWP financial year ending; 0 for the latest with a population denominator.
    idaci_releases : str or tuple of str
        IoD releases, as a tuple or a comma-separated string of labels, or ``"latest:N"`` (the
        N latest releases with IDACI deciles in the data; default the two latest).
    """
    from solihull_analytics.geo.las import la_info
    from solihull_analytics.geo.sub_areas import resolve_areas

    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    areas = resolve_areas(la.code, la.name, processed, areas_config or None)
    inp = read_inputs(processed)
    c = inp.censuses
    releases = resolve_idaci_releases(idaci_releases, inp.iod)
    m = _measures(areas, inp, low_income_fye or None)
    census_children = inp.census_lsoa.set_index("lsoa_code")["0-15"]
    comp = compute.idaci_composition(areas, inp.iod, releases, census_children,
                                     (c.latest, c.latest_vintage), m["m11"])
    layers = map_layers(areas, MapInputs(
        inp.census_lsoa, c.latest, c.latest_vintage, c.previous_vintage, inp.iod, inp.iod_order,
        read_boundaries(c.latest_vintage, areas.la_lsoa21, processed),
        read_boundaries(c.previous_vintage, m["m11"][lsoa_code_column(c.previous_vintage)],
                        processed),
        inp.lookup, m["m11"]))
    have_lone = bool(m["households"]["pct_lone_parent_dependent"].notna().any())
    missing = {
        "ethnicity": [text.ethnicity_previous_missing(c, inp.previous_ethnicity_source)],
        "households": [] if have_lone else [text.lone_parent_missing(c, *inp.lone_parent_entry)],
        "low_income": [text.LOW_INCOME_LSOA_MISSING]
        if areas.configured and not m["have_lsoa_low_income"] else [],
    }
    return SubAreaProfile(
        areas=areas, processed_dir=processed, censuses=c, sources=inp.sources,
        pop=m["pop"], growth=m["growth"], eth=m["eth"], eth19=m["eth19"],
        households=m["households"], li=m["li"], fye=m["fye"], estimate_year=m["estimate_year"],
        have_lsoa_low_income=m["have_lsoa_low_income"], comp=comp,
        idaci=compute.idaci_summary(comp),
        iod_years=[registry.get("iod", r).year for r in comp["release"].unique()],
        layers=layers, lone_parent_entry=inp.lone_parent_entry,
        source_ids=_source_ids(inp.sources, have_lone, layers, c.latest_vintage, releases),
        missing=missing,
    )


# -- sections ------------------------------------------------------------------------------------


def definition_section(ctx: SubAreaProfile) -> list[Block]:
    """Blocks for 'How the sub-areas are defined': a paragraph, then the table or a starter file."""
    from solihull_analytics.geo.sub_areas import definition_section as _definition

    return _definition(ctx.areas, ctx.processed_dir)


def population_section(ctx: SubAreaProfile) -> list[Block]:
    """Commentary, bar chart and table of residents and children aged 0-15/0-17."""
    pop, c = ctx.pop, ctx.censuses
    top = pop[pop["residents"].notna()].sort_values("pct_0_15", ascending=False).iloc[0]
    chart = Chart(
        bar_chart(pop, "pct_0_15", f"{top['area']} has the highest share of children aged 0-15",
                  f"Residents aged 0-15 (% of usual residents, {c.latest})"),
        alt=f"Bar chart of the share of usual residents aged 0-15 in {c.latest_year}: "
        + values_list(pop, "pct_0_15") + ".",
        source=f"ONS {c.latest}, usual residents by age (6 categories), LSOA; summed to each "
        "area.",
        data=pop,
    )
    shown = pop.rename(columns={"lsoas": "LSOAs", "residents": "usual residents",
                                "children_0_15": "aged 0-15", "pct_0_15": "% aged 0-15",
                                "children_0_17": "aged 0-17", "pct_0_17": "% aged 0-17"})
    table = TableBlock(
        shown, caption=f"Usual residents and children, {c.latest}",
        source=f"ONS {c.latest} (age 6 categories at LSOA; TS007 single year of age for 0-17, "
        "LA and England only)",
    )
    return [text.say_population(pop, c), chart, table]


def growth_section(ctx: SubAreaProfile) -> list[Block]:
    """Commentary, bar chart and table of the change in children aged 0-15 between censuses."""
    growth, c = ctx.growth, ctx.censuses
    fastest = growth.sort_values("pct_change", ascending=False).iloc[0]
    chart = Chart(
        bar_chart(growth, "pct_change",
                  f"Children aged 0-15 grew fastest in {fastest['area']}, {c.previous_year} to "
                  f"{c.latest_year}",
                  f"Change in children aged 0-15, {c.previous} to {c.latest} (%)", fmt="{:+.1f}%"),
        alt="Bar chart of the percentage change in children aged 0-15 between the "
        f"{c.previous_year} and {c.latest_year} Censuses: "
        + values_list(growth, "pct_change", "{:+.1f}%") + ".",
        source=f"ONS {c.previous} KS102EW and {c.latest} age (6 categories), LSOA.",
        data=growth,
    )
    cols = ["area", "level", "children_previous", "children_latest", "change", "pct_change"]
    table = TableBlock(
        growth[cols].rename(columns={"children_previous": f"aged 0-15, {c.previous_year}",
                                     "children_latest": f"aged 0-15, {c.latest_year}",
                                     "pct_change": "% change"}),
        caption=f"Children aged 0-15, {c.previous} and {c.latest}",
        source=f"ONS {c.previous} KS102EW ({c.previous_vintage} LSOAs, matched to "
        f"{c.latest_vintage} LSOAs with the ONS lookup); {c.latest} age (6 categories)",
    )
    return [text.say_growth(growth, c), chart, table]


def ethnicity_section(ctx: SubAreaProfile) -> list[Block]:
    """Commentary, bar chart and tables of ethnic group (5 groups by area; 19 for the LA)."""
    eth, eth19, c = ctx.eth, ctx.eth19, ctx.censuses
    lowest = eth.sort_values("pct_non_white").iloc[0]["area"]
    chart = Chart(
        bar_chart(eth, "pct_non_white",
                  f"{lowest} has the lowest share of residents from non-White groups",
                  f"Residents from ethnic groups other than White (%, {c.latest})"),
        alt="Bar chart of the share of residents from non-White ethnic groups in "
        f"{c.latest_year}: " + values_list(eth, "pct_non_white") + ".",
        source=f"ONS {c.latest} TS021 ethnic group (5 groups), LSOA.",
        data=eth,
    )
    blocks: list[Block] = [
        text.say_ethnicity(eth, eth19, c),
        chart,
        TableBlock(
            eth.rename(columns={"pct_non_white": "% non-White", "white": "White",
                                "non_white": "non-White"}),
            caption=f"Residents by high-level ethnic group, {c.latest}",
            source=f"ONS {c.latest} TS021 (5 groups) at LSOA",
        ),
    ]
    if len(eth19):
        shown = eth19.rename(columns={"pct_non_white_british": "% not White British",
                                      "white_british": "White British",
                                      "non_white": "non-White", "pct_non_white": "% non-White"})
        blocks.append(TableBlock(
            shown,
            caption=f"Residents who are not White British (19 ethnic groups), {c.latest}",
            source=f"ONS, Ethnic group, England and Wales: {c.latest} (LA level)",
        ))
    return blocks


def households_section(ctx: SubAreaProfile) -> list[Block]:
    """Lone-parent households with dependent children (or the LA's households when unavailable).

    When the household-composition LSOA file is missing, ``ctx.missing["households"]`` says
    where to get it.
    """
    hh, c = ctx.households, ctx.censuses
    sentence = text.say_households(hh, ctx.la_name, c)
    if not hh["pct_lone_parent_dependent"].notna().any():
        return [sentence]
    table = TableBlock(
        hh.drop(columns="households_source"),
        caption=f"Households and lone-parent households with dependent children, {c.latest_year}",
        source=f"ONS {c.latest} TS003 household composition, LSOA",
    )
    return [sentence, table]


def low_income_section(ctx: SubAreaProfile) -> list[Block]:
    """Commentary and table of children aged 0-15 in relative low-income families (DWP)."""
    table = TableBlock(
        ctx.li.rename(columns={"children_low_income": "in relative low income",
                               "children_0_15": "children aged 0-15 (mid-year estimate)",
                               "pct_low_income": "%"}),
        caption=f"Children aged 0-15 in relative low-income families, {ctx.year}",
        source="DWP/HMRC Children in low income families (before housing costs); ONS mid-"
        f"{ctx.estimate_year} small area population estimates",
    )
    return [text.say_low_income(ctx.li, ctx.fye), table]


def idaci_section(ctx: SubAreaProfile) -> list[Block]:
    """Commentary, one decile chart per IoD release, and tables of LSOAs and children."""
    comp, idaci = ctx.comp, ctx.idaci
    blocks: list[Block] = [text.say_idaci(idaci)]
    for rel in comp["release"].unique():
        s = idaci[idaci["release"] == rel].sort_values("pct_children_most_deprived_10pct")
        title = f"{s.iloc[-1]['area']}: most children in the most deprived deciles ({rel})"
        children = comp.loc[comp["release"] == rel, "children_source"].iloc[0]
        blocks.append(Chart(
            idaci_chart(comp, rel, title), alt=text.idaci_alt(idaci, rel),
            source=f"MHCLG English Indices of Deprivation ({rel}), IDACI deciles; children: "
            f"{children}.",
            data=comp[comp["release"] == rel],
        ))
    wide = comp.pivot_table(index=["release", "decile"], columns="area", values="lsoas",
                            aggfunc="sum").reset_index()
    wide.columns.name = None
    blocks.append(TableBlock(
        wide, caption="LSOAs by national IDACI decile (1 = most deprived 10% in England)",
        source=f"MHCLG English Indices of Deprivation {text.iod_years(ctx.iod_years)}",
    ))
    shown = idaci.rename(columns={
        "lsoas": "LSOAs", "children": "children aged 0-15",
        "lsoas_most_deprived_10pct": "LSOAs in most deprived 10%",
        "pct_children_most_deprived_10pct": "% children in most deprived 10%",
        "pct_children_most_deprived_20pct": "% children in most deprived 20%",
    })
    blocks.append(TableBlock(
        shown, caption="Children aged 0-15 in England's most deprived IDACI deciles",
        source="MHCLG English Indices of Deprivation; children from the IoD denominators or "
        f"{ctx.censuses.latest}",
    ))
    return blocks


def maps_section(ctx: SubAreaProfile) -> list[Block]:
    """A note and two maps (child share; IDACI decile) of the LA's LSOAs with sub-area outlines."""
    layers, name, c = ctx.layers, ctx.la_name, ctx.censuses
    if layers is None:
        return [f"No LSOA boundaries for {name} are in the data used, so no maps are shown."]
    outline = ("Thick black lines outline the sub-areas, labelled by name. "
               if len(layers.outlines) > 1 else "")
    data = pd.DataFrame(layers.lsoas.drop(columns="geometry", errors="ignore"))
    hi = layers.lsoas["pct_0_15"]
    kids = Chart(
        maps_figure(layers, "pct_0_15", f"Share of residents aged 0-15 by LSOA, {c.latest_year}"),
        alt=f"Map of {name}'s LSOAs shaded by the share of residents aged 0-15 in "
        f"{c.latest_year}, from {hi.min():.1f}% to {hi.max():.1f}%. " + outline
        + "Per sub-area: " + values_list(ctx.pop, "pct_0_15") + ".",
        source=f"ONS {c.latest}; ONS LSOA boundaries (Open Geography Portal).",
        data=data,
    )
    dec = layers.lsoas.groupby("area")["idaci_decile"].apply(lambda s: int((s == 1).sum()))
    rel = layers.idaci_release
    deciles = Chart(
        maps_figure(layers, "idaci_decile", f"National IDACI decile by LSOA ({rel})", True),
        alt=f"Map of {name}'s LSOAs shaded by national IDACI decile ({rel}), "
        "from red (decile 1, most deprived) to blue (decile 10). " + outline
        + "LSOAs in decile 1: " + "; ".join(f"{a} {n}" for a, n in dec.items()) + ".",
        source=f"MHCLG English Indices of Deprivation ({rel}); ONS LSOA boundaries.",
        data=data,
    )
    note = layers.note + " " + outline + "The tables above give the figures behind the maps."
    return [note, kids, deciles]


def about_section(ctx: SubAreaProfile) -> list[Block]:
    """The 'About the data' paragraph and table of each measure's source and geography."""
    return [text.ABOUT, TableBlock(text.measure_notes(ctx.censuses),
                                   caption="Sources and geography of each measure")]


# -- headlines and summary -----------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _ok(value: Any) -> Any:
    return None if _is_missing(value) else value


def headline_rows(
    defn: AreaDefinition,
    pop: pd.DataFrame,
    growth: pd.DataFrame,
    eth: pd.DataFrame,
    eth19: pd.DataFrame,
    households: pd.DataFrame,
    li: pd.DataFrame,
    fye: int,
    idaci: pd.DataFrame,
    *,
    censuses: Censuses,
    sources: dict[str, list[str]],
    lone_parent_entry: tuple[str, str, str, str],
) -> list[dict[str, Any]]:
    """Headline figures (keyword arguments of ``Page.headline``), one per measure per area.

    The wording, units, periods and rounding are the specification table ``headlines.yaml``;
    this function supplies the values, one ``add`` per headline and area in page order (people
    first, then income and deprivation). A measure whose data are missing for an area has
    ``value=None`` (null in the headline JSON) and a ``note`` naming the official file needed.
    """
    file_id, url = lone_parent_entry[0], lone_parent_entry[1]
    lone = {"file_id": file_id, "file_name": url.rsplit("/", 1)[-1]}
    values = _HeadlineList(census_fields(censuses))
    add = values.add
    for r in pop.itertuples():
        add("lsoas", r.lsoas, sources["areas"], r.area)
        for name, value in (("residents", r.residents), ("children_0_15", r.children_0_15),
                            ("children_0_15_pct", r.pct_0_15)):
            add(name, value, sources["population"], r.area)
        if pd.notna(r.pct_0_17):
            add("children_0_17_pct", r.pct_0_17, sources["population"], r.area)
    for r in growth.itertuples():
        add("children_0_15_growth", r.pct_change, sources["growth"], r.area,
            before=r.children_previous, after=r.children_latest)
    for r in eth.itertuples():
        add("non_white_pct", r.pct_non_white, sources["ethnicity"], r.area)
    for r in eth19.itertuples():
        add("non_white_british_pct", r.pct_non_white_british, sources["ethnicity19"], r.area)
    for r in households.itertuples():
        if pd.notna(r.households):
            add("households", int(r.households), sources["households"], r.area)
        add("lone_parent_dependent_pct", _ok(r.pct_lone_parent_dependent),
            sources["lone_parents"], r.area, **lone)
    _add_income_and_deprivation(values, li, fye, idaci, sources)
    return _filled(values.values)


class _HeadlineList:
    """Headline values in page order, each with the census fields."""

    def __init__(self, census: dict[str, Any]) -> None:
        self.census = census
        self.values: list[HeadlineValues] = []

    def add(self, name: str, value: Any, ids: list[str], area: str, **fields: Any) -> None:
        self.values.append(
            HeadlineValues(name, value, ids, area=area, fields={**self.census, **fields}))


def _add_income_and_deprivation(
    values: _HeadlineList,
    li: pd.DataFrame,
    fye: int,
    idaci: pd.DataFrame,
    sources: dict[str, list[str]],
) -> None:
    """The low-income and IDACI headlines of :func:`headline_rows`, per area in page order."""
    add = values.add
    li_src = {True: LOW_INCOME_SOURCES["lsoa"], False: LOW_INCOME_SOURCES["la"]}
    year = text.financial_year(fye)
    for r in li.itertuples():
        ok = pd.notna(r.children_low_income)
        ids = li_src[r.level == "sub-area"]
        add("low_income_children_0_15", int(r.children_low_income) if ok else None, ids, r.area,
            year=year)
        add("low_income_children_0_15_pct", r.pct_low_income if ok else None,
            ids + sources["low_income_denominator"], r.area, year=year)
    for r in idaci.itertuples():
        key = r.release.lower().replace("iod", "iod_")
        ids = idaci_source_ids([r.release])
        add("idaci_children_most_deprived_10pct_pct", _ok(r.pct_children_most_deprived_10pct),
            ids, r.area, release=r.release, release_key=key)
        add("idaci_lsoas_most_deprived_10pct", r.lsoas_most_deprived_10pct, ids, r.area,
            release=r.release, release_key=key, lsoas=r.lsoas)


def census_fields(c: Censuses) -> dict[str, Any]:
    """Template fields naming the censuses (``census``, ``census_year``, ``lsoa_year`` ...)."""
    return {"census": c.latest, "census_year": c.latest_year, "lsoa_year": c.latest_vintage,
            "previous": c.previous, "previous_year": c.previous_year}


def _filled(values: list[HeadlineValues]) -> list[dict[str, Any]]:
    """Fill in the specification table; a missing value is published as null."""
    built = build_headlines(load_specs(HEADLINE_SPECS), values)
    for h in built:
        if _is_missing(h["value"]):
            h["value"] = None
    return built


def headlines(ctx: SubAreaProfile) -> list[dict[str, Any]]:
    """Headline figures of the page (keyword arguments of ``Page.headline``)."""
    return headline_rows(
        ctx.areas, ctx.pop, ctx.growth, ctx.eth, ctx.eth19, ctx.households, ctx.li, ctx.fye,
        ctx.idaci, censuses=ctx.censuses, sources=ctx.sources,
        lone_parent_entry=ctx.lone_parent_entry,
    )


def summary(ctx: SubAreaProfile) -> str:
    """One-line summary for the pack's front page."""
    return text.summary(ctx.pop, ctx.la_name, ctx.areas.configured, ctx.censuses)
