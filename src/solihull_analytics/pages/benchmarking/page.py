"""Every English LA: children looked after (CLA) against child deprivation (notebook 05).

The page contract (:mod:`solihull_analytics.report.contract`): :func:`prepare` reads the page's
inputs once (:mod:`.inputs`), computes the national analysis (:func:`.compute.national_benchmark`,
the same for every LA) and the LA's view of it (:func:`.compute.local_benchmark`); the section
functions, one per heading of the notebook, assemble blocks from :mod:`.charts` and
:mod:`.text`; :func:`headlines` fills the page's ``headlines.yaml``; :func:`summary` writes the
pack's one-line summary. The negative binomial model is
:mod:`solihull_analytics.methods.count_model`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.pages.benchmarking import charts, national_tables, text
from solihull_analytics.pages.benchmarking.compute import (
    WORKFORCE_LABELS,
    LocalBenchmark,
    NationalBenchmark,
    local_benchmark,
    national_benchmark,
)
from solihull_analytics.pages.benchmarking.inputs import load_inputs
from solihull_analytics.pages.benchmarking.measures import RATE_LABELS, SERIES, BenchmarkInputs
from solihull_analytics.pages.benchmarking.national_tables import NationalSources
from solihull_analytics.report.headlines import HeadlineValues, build_headlines, load_specs
from solihull_analytics.report.page import Block, Chart, TableBlock
from solihull_analytics.report.tables import rows_around
from solihull_analytics.report.wording import ordinal

PAGE_ID = "05_benchmarking"
PAGE_TITLE = "Benchmarking against every English local authority"
#: The page's headline specifications (name, label, unit, period and sentence templates).
HEADLINE_SPECS = load_specs(Path(__file__).with_name("headlines.yaml"))


def format_floats(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Return a copy of ``df`` with its float values written out with ``float_format``.

    :class:`~solihull_analytics.report.page.TableBlock` tables are shown with one decimal place;
    this gives a table another number of decimals while leaving missing values, integers,
    booleans and text for the page to format as usual.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    float_format : str
        A format such as ``"{:,.2f}"``.

    Returns
    -------
    pandas.DataFrame
        The table with non-missing floats replaced by strings.
    """
    out = df.copy()
    for col in out.columns:
        out[col] = pd.Series(
            [
                float_format.format(v) if isinstance(v, float) and v == v else v
                for v in out[col].tolist()
            ],
            index=out.index,
            dtype=object,
        )
    return out


@dataclass
class BenchmarkContext:
    """What notebook 05 needs to build its page, computed once by :func:`prepare`.

    Attributes
    ----------
    la : solihull_analytics.geo.las.LocalAuthority
        The local authority.
    inputs : BenchmarkInputs or NationalSources
        The catalogue ids behind the figures, the census weights' label and the workforce.
    national : NationalBenchmark
        The analysis that does not depend on the LA (rates, model, funnels, change).
    local : LocalBenchmark
        The LA's view of it (model row, positions, change, workforce panel, sensitivity).
    neighbour_set : solihull_analytics.geo.neighbours.NeighbourSet
        The LA's statistical neighbours (DfE's current model) and where they come from.
    cla_ids : list of str
        Catalogue ids behind the CLA, CIN and population figures of the two years used.
    """

    la: Any
    inputs: BenchmarkInputs | NationalSources = field(repr=False)
    national: NationalBenchmark = field(repr=False)
    local: LocalBenchmark = field(repr=False)
    neighbour_set: Any = field(repr=False)
    cla_ids: list[str]

    @property
    def year(self) -> int:
        """Year at 31 March shown."""
        return self.national.year

    @property
    def series_label(self) -> str:
        """Plain-English label of the CLA series."""
        return SERIES[self.national.cla_series][1]

    @property
    def me(self) -> pd.Series | None:
        """The LA's row of the model (None when it is not modelled)."""
        return self.local.me

    @property
    def neighbour_codes(self) -> list[str]:
        """Codes of the statistical neighbours, nearest first."""
        return self.local.neighbour_codes

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids of every source the page uses, in the order the page shows them."""
        ids = [
            *self.cla_ids,
            *self.inputs.source_ids["iod"],
            *self.inputs.source_ids["workforce"],
            *self.neighbour_set.source_ids,
        ]
        return list(dict.fromkeys(ids))


def national_result(
    processed: Path | None, *, year: int, cla_series: str, iod_release: str, change_years: int
) -> tuple[BenchmarkInputs | NationalSources, NationalBenchmark]:
    """The page's sources and its national result, read once per kernel for each data build.

    The national part (every LA's rates, the model fit, the funnels, the change) does not
    depend on the LA: for the notebook's default options the data build computed it once
    (:mod:`.national_tables`), and it is read from those analysis tables; for other options it
    is computed here. Either way a kernel kept across LAs does so once.
    The cache is keyed on the processed tables' checksums and the release registry, so a
    rebuilt table or a new release is never served from it; nothing downstream modifies the
    result (``tests/test_benchmarking.py`` renders one LA before and after another).
    """
    from solihull_analytics import paths
    from solihull_analytics import processed as processed_tables

    folder = processed or paths.processed_dir()
    manifest = processed_tables.read_manifest(folder)
    tables_key = hashlib.sha256(json.dumps(
        {name: v.get("sha256") for name, v in manifest.items()}, sort_keys=True
    ).encode()).hexdigest()
    registry_key = registry.fingerprint("iod") + registry.fingerprint("population")
    return _national_cached(str(folder), tables_key + registry_key, year, cla_series,
                            iod_release, change_years)


@lru_cache(maxsize=2)
def _national_cached(
    folder: str, key: str, year: int, cla_series: str, iod_release: str, change_years: int
) -> tuple[BenchmarkInputs | NationalSources, NationalBenchmark]:
    options = {"year": year, "cla_series": cla_series, "iod_release": iod_release,
               "change_years": change_years}
    # The data build computed the result for the notebook's default options (analysis tables);
    # other options are computed here.
    stored = national_tables.read_national(Path(folder), options)
    if stored is not None:
        return stored
    inp = load_inputs(Path(folder))
    return inp, national_benchmark(inp, **options)


def prepare(
    la_code: str,
    processed_dir: str | Path | None = None,
    *,
    year: int = 0,
    cla_series: str = "non_uasc",
    iod_release: str = registry.LATEST,
    change_years: int = 5,
    n_neighbours: int = 10,
) -> BenchmarkContext:
    """Load the data and fit the model for notebook 05.

    Parameters
    ----------
    la_code : str
        The LA.
    processed_dir : str or Path, optional
        Processed tables folder; empty or None for the project's ``data/processed``.
    year : int, default 0
        Year at 31 March; 0 means the latest year with published counts of the series.
    cla_series : {"non_uasc", "all"}
        CLA series modelled.
    iod_release : str, default "latest"
        Deprivation release of the model: an IoD release label, or "latest" (the latest
        release in the registry with IDACI ranks in the data).
    change_years : int, default 5
        Window of the change chart.
    n_neighbours : int, default 10
        Statistical neighbours shown (DfE's current model lists ten).

    Returns
    -------
    BenchmarkContext
        Everything the page's sections and headlines use.
    """
    from solihull_analytics.geo import neighbours as nbrs
    from solihull_analytics.geo.las import la_info

    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    inp, national = national_result(processed, year=year, cla_series=cla_series,
                                    iod_release=iod_release, change_years=change_years)
    neighbour_set = nbrs.neighbour_set(la.code, la.name, "current", processed, n_neighbours)
    local = local_benchmark(national, la.code, list(neighbour_set.table["la_code"]),
                            inp.workforce)
    return BenchmarkContext(la=la, inputs=inp, national=national, local=local,
                            neighbour_set=neighbour_set,
                            cla_ids=national.cla_ids)


def rates_section(ctx: BenchmarkContext) -> list[Block]:
    """Rates for the LA, its neighbours and England, and the LA's rates in every year."""
    la, nat = ctx.la, ctx.national
    cols = ["la_code", "la_name", *RATE_LABELS]
    latest = nat.rates[nat.rates["year"] == nat.year]
    shown_codes = [la.code, *ctx.neighbour_codes, ENGLAND_CODE]
    tab = latest.set_index("la_code").reindex(shown_codes).reset_index()[cols]
    tab["Child deprivation (%)"] = tab["la_code"].map(nat.dep_now)
    tab = tab.rename(columns={**RATE_LABELS, "la_name": "Area", "la_code": "Code"})
    dep_sentence = build_headlines(HEADLINE_SPECS, [_deprivation_values(ctx)])[0]["statement"]
    own = nat.rates[nat.rates["la_code"] == la.code][["year", *RATE_LABELS]]
    own = own.rename(columns=RATE_LABELS)
    own["year"] = own["year"].astype(str)
    return [
        dep_sentence + " " + text.rates_note(nat.year),
        TableBlock(
            tab,
            caption=f"Rates per 10,000 children, {nat.year}: {la.name}, its statistical "
            f"neighbours ({ctx.neighbour_set.label}) and England",
            source=text.SOURCE_RATES,
        ),
        TableBlock(
            own,
            caption=f"{la.name}: rates per 10,000 children in every year held",
            source=text.SOURCE_OWN_RATES,
        ),
    ]


def model_section(ctx: BenchmarkContext) -> list[Block]:
    """The deprivation scatter chart, what the model says, and how it is built."""
    la, nat, me = ctx.la, ctx.national, ctx.me
    fig = charts.plot_deprivation(
        nat.model, la.code, ctx.neighbour_codes,
        text.model_title(la.name, me, ctx.series_label), text.dep_label(nat.iod_release),
    )
    return [
        Chart(
            fig,
            text.model_alt(nat, la.name, me),
            source="DfE children looked after statistics; ONS mid-year estimates; "
            f"MHCLG English Indices of Deprivation ({nat.iod_release}); "
            f"{ctx.inputs.census_label} weights",
            data=charts.chart_data(nat.model.data, charts.MODEL_CHART_COLUMNS),
            name="chart_model",
        ),
        text.describe_model(nat.model, la.code, la.name),
        text.model_method(nat),
    ]


def _outside_table(funnel: pd.DataFrame) -> pd.DataFrame:
    """Authorities outside the 99.8% limits of the crude-rate funnel, highest rate first."""
    outside = funnel[funnel["funnel_position"].isin(["above 99.8%", "below 99.8%"])]
    outside = outside.sort_values("rate", ascending=False)[
        ["la_name", "observed", "population_0_17", "rate", "funnel_position", "oe", "oe_rank"]
    ]
    return outside.rename(
        columns={
            "la_name": "Authority",
            "observed": "Children",
            "population_0_17": "Children aged 0-17",
            "rate": "Rate",
            "funnel_position": "Crude-rate funnel",
            "oe": "O/E",
            "oe_rank": "O/E rank",
        }
    )


def funnel_section(ctx: BenchmarkContext) -> list[Block]:
    """Funnel plots of crude rates and of O/E ratios, and the authorities outside the limits."""
    la, nat, loc = ctx.la, ctx.national, ctx.local
    fig = charts.plot_funnel(
        nat.funnel, nat.england_rate, "rate", "population_0_17", la.code, ctx.neighbour_codes,
        text.funnel_title(la.name, loc.funnel_position, nat.england_rate),
        "Children aged 0-17 (log scale)",
        "Rate per 10,000 children" + chr(10) + f"({ctx.series_label})",
    )
    crude = Chart(
        fig,
        text.funnel_alt(nat, la.name, loc.funnel_position),
        source=text.SOURCE_FUNNEL,
        data=charts.chart_data(nat.funnel, charts.FUNNEL_CHART_COLUMNS),
        name="chart_funnel_rates",
    )
    fig = charts.plot_funnel(
        nat.oe_funnel, 1.0, "oe", "expected", la.code, ctx.neighbour_codes,
        text.oe_funnel_title(la.name, loc.oe_funnel_position),
        "Expected number (model, log scale)", "Observed / expected",
    )
    oe_chart = Chart(
        fig,
        text.oe_funnel_alt(nat.oe_funnel, la.name, ctx.me),
        source=text.SOURCE_OE,
        data=charts.chart_data(nat.oe_funnel, charts.OE_FUNNEL_CHART_COLUMNS),
        name="chart_funnel_oe",
    )
    return [
        crude,
        text.describe_funnel(nat.funnel, la.code, la.name,
                             f"England's rate ({nat.england_rate:.1f})"),
        oe_chart,
        text.describe_funnel(nat.oe_funnel, la.code, la.name, "the expected (ratio 1)"),
        text.FUNNEL_METHOD_TEXT,
        TableBlock(
            format_floats(_outside_table(nat.funnel), "{:,.2f}"),
            caption=f"Authorities outside the 99.8% limits around England's rate, {nat.year}",
        ),
    ]


def change_section(ctx: BenchmarkContext) -> list[Block]:
    """The change in rates over the window against child deprivation."""
    la, nat, row = ctx.la, ctx.national, ctx.local.change_row
    fig = charts.plot_change(
        nat.change, la.code, ctx.neighbour_codes, nat.england_change,
        text.change_title(la.name, row, nat.start, nat.year), text.dep_label(nat.iod_release),
        f"Change in rate per 10,000, {nat.start} to {nat.year}",
    )
    return [
        Chart(fig, text.change_alt(nat, la.name, row), source=text.SOURCE_CHANGE,
              data=nat.change, name="chart_change"),
        text.describe_change(nat.change, la.code, la.name, nat.start, nat.year,
                             nat.england_change),
        text.change_coverage(len(nat.change), nat.start),
    ]


def workforce_section(ctx: BenchmarkContext) -> list[Block]:
    """The social work workforce of the LA, its neighbours and England."""
    la, loc = ctx.la, ctx.local
    panel, wf_year = loc.workforce, loc.workforce_year
    fig = charts.plot_workforce(panel, la.code,
                                text.workforce_title(la.name, loc.workforce_row, wf_year))
    words = text.describe_workforce(panel, la.code, la.name)
    show = panel.rename(
        columns={**WORKFORCE_LABELS, "la_name": "Area", "la_code": "Code", "note": "Note"}
    ).drop(columns="year")
    return [
        Chart(fig, text.workforce_alt(la.name, wf_year, ctx.neighbour_set.label, words),
              source="DfE Children's social work workforce", data=panel,
              name="chart_workforce"),
        words,
        TableBlock(show, caption=f"Social work workforce at 30 September {wf_year}",
                   source="DfE Children's social work workforce (EES)"),
    ]


def neighbours_section(ctx: BenchmarkContext) -> list[Block]:
    """Whose statistical neighbours these are (DfE's model, named), and the table of them."""
    nset = ctx.neighbour_set
    return [
        nset.statement()
        + " The same neighbours are marked in every chart and table of this page.",
        TableBlock(
            format_floats(nset.display(), "{:,.2f}"),
            caption=f"The {len(nset.codes)} statistical neighbours of {ctx.la.name} "
            f"({nset.label})",
        ),
    ]


#: Coefficient table columns shown in the appendix.
PARAM_COLUMNS = ["term", "coef", "se", "lower", "upper", "p", "rate_ratio", "rate_ratio_lower",
                 "rate_ratio_upper"]


def appendix_model_section(ctx: BenchmarkContext) -> list[Block]:
    """Model coefficients, diagnostics, residual plots and the sensitivity analysis."""
    model, la, sens = ctx.national.model, ctx.la, ctx.local.sensitivity
    excluded = model.diagnostics["excluded"]
    sens_shown = sens.rename(
        columns={"deprivation_rr": "RR per 10 units", "total_ratio": "fitted/observed total"}
    )
    return [
        TableBlock(
            format_floats(model.params[PARAM_COLUMNS], "{:,.4f}"),
            caption="Negative binomial model: coefficients (log scale) and rate ratios "
            "(deprivation: per 10 percentage points; size: per doubling)",
        ),
        text.diagnostics_text(model),
        Chart(
            charts.plot_diagnostics(model),
            text.residuals_alt(model),
            source=text.SOURCE_RESIDUALS,
            data=charts.chart_data(model.data, charts.RESIDUAL_CHART_COLUMNS),
            name="chart_residuals",
        ),
        text.sensitivity_text(sens, la.name),
        TableBlock(
            format_floats(sens_shown, "{:,.3f}"),
            caption=f"Sensitivity of the model and of {la.name}'s O/E",
        ),
        TableBlock(pd.DataFrame(excluded), caption="Authorities left out of the model")
        if excluded
        else None,
    ]


#: Columns of the appendix's table of every modelled authority, and their headings.
ALL_LAS_COLUMNS = {
    "oe_rank": "O/E rank",
    "la_name": "Authority",
    "region_name": "Region",
    "observed": "Children",
    "population_0_17": "Children aged 0-17",
    "rate": "Rate",
    "deprivation": "Child deprivation (%)",
    "expected_rate": "Expected rate",
    "oe": "O/E",
    "oe_lower": "O/E lower",
    "oe_upper": "O/E upper",
}


def appendix_all_section(ctx: BenchmarkContext) -> TableBlock:
    """Every modelled authority ranked by observed/expected."""
    data = ctx.national.model.data
    allt = data.sort_values("oe_rank")[list(ALL_LAS_COLUMNS)].rename(columns=ALL_LAS_COLUMNS)
    return TableBlock(
        format_floats(allt, "{:,.2f}"),
        caption=f"Every modelled authority, {ctx.year}: {ctx.series_label}, "
        "ranked by observed/expected",
        page_rows=rows_around(allt["Authority"] == ctx.la.name),
    )


# -- headlines --------------------------------------------------------------------------------


def _deprivation_values(ctx: BenchmarkContext) -> HeadlineValues:
    """The LA's child deprivation share and rank (value None when it has none)."""
    rank, release = ctx.local.deprivation, ctx.national.iod_release
    fields: dict[str, Any] = {"release": release}
    if rank is not None:
        fields.update(england=rank.england_share, rank=ordinal(rank.rank), n_las=rank.n_las)
    return HeadlineValues("idaci_top20_share", None if rank is None else rank.share,
                          ctx.inputs.source_ids["iod"], area=ctx.la.name, fields=fields)


def _model_values(ctx: BenchmarkContext) -> list[HeadlineValues]:
    """The LA's rate, expected rate, O/E, rank and funnel position (none if not modelled)."""
    me, name, nat = ctx.me, ctx.la.name, ctx.national
    if me is None:
        return []
    cla_ids, src = ctx.cla_ids, ctx.cla_ids + ctx.inputs.source_ids["iod"]
    common = {"year": nat.year, "series": ctx.series_label, "n_las": nat.model.diagnostics["n_las"]}
    position = ctx.local.funnel_position
    return [
        HeadlineValues("cla_rate_latest", float(me["rate"]), cla_ids, area=name, fields=common),
        HeadlineValues("cla_expected_rate", float(me["expected_rate"]), src, area=name,
                       fields=common),
        HeadlineValues("cla_oe_ratio", float(me["oe"]), src, lower=float(me["oe_lower"]),
                       upper=float(me["oe_upper"]), area=name,
                       fields={**common, "verdict": text.judge_oe(me["oe_lower"], me["oe_upper"])}),
        HeadlineValues("cla_oe_rank", int(me["oe_rank"]), src, area=name, fields=common),
        HeadlineValues("funnel_position", position, cla_ids, area=name,
                       fields={**common, "england_rate": nat.england_rate,
                               "phrase": text.POSITION_PHRASE.get(position, "not shown")}),
    ]


def headlines(ctx: BenchmarkContext) -> list[dict[str, Any]]:
    """Headline figures of the page (``headlines.yaml``; figures the LA lacks are left out)."""
    nat, loc, name = ctx.national, ctx.local, ctx.la.name
    slope = nat.model.params.iloc[1]
    values = _model_values(ctx)
    values.append(HeadlineValues(
        "deprivation_rate_ratio", float(slope["rate_ratio"]),
        ctx.cla_ids + ctx.inputs.source_ids["iod"], lower=float(slope["rate_ratio_lower"]),
        upper=float(slope["rate_ratio_upper"]),
        fields={"year": nat.year, "pct": (slope["rate_ratio"] - 1) * 100},
    ))
    if loc.deprivation is not None:
        values.append(_deprivation_values(ctx))
    if len(loc.change_row):
        values.append(HeadlineValues(
            "cla_rate_change_5y", float(loc.change_row["change"].iloc[0]), ctx.cla_ids,
            area=name, fields={"start": nat.start, "year": nat.year},
        ))
    me_wf = loc.workforce_row
    if pd.notna(me_wf["agency_rate_pct"]):
        values.append(HeadlineValues(
            "agency_rate", float(me_wf["agency_rate_pct"]), ctx.inputs.source_ids["workforce"],
            area=name, fields={"wf_year": loc.workforce_year},
        ))
    return build_headlines(HEADLINE_SPECS, values)


def summary(ctx: BenchmarkContext) -> str:
    """One-sentence summary of the page for the pack's index."""
    return text.summary_text(ctx.national.model, ctx.la.code, ctx.la.name, ctx.me, ctx.year)
