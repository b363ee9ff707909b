"""Page 05's analysis: pure functions over the processed tables (they read nothing).

The page's analysis falls in two parts:

- **national** (:func:`national_benchmark`): what does not depend on the LA, computed from the
  national tables alone: every LA's rates (:func:`la_year_rates`), child deprivation
  (:func:`deprivation_by_la`), the negative binomial model
  (:mod:`solihull_analytics.methods.count_model`) and its sensitivity refits, the funnel tables
  and the change over the window;
- **local** (:func:`local_benchmark`): the national result read for one LA and its statistical
  neighbours (its model row, funnel position, change, workforce panel, sensitivity rows).

Conventions: "year" is the position at 31 March (CIN and referrals: the year ending 31 March).
The denominator for year ``Y`` is the ONS mid-``(Y-1)`` estimate of children aged 0-17 (DfE's
convention), latest vintage held; DfE's own published denominator is used where the population
table has no estimate for that mid-year. "Non-UASC" is all CLA minus UASC; where DfE suppressed
the UASC count the non-UASC count (and rate) is missing. Facts from the release registry
(the order of IoD releases and population vintages) come in through :class:`BenchmarkInputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates
from solihull_analytics.methods.count_model import DeprivationModel, fit_deprivation_model
from solihull_analytics.pages.benchmarking.measures import (
    SERIES,
    BenchmarkInputs,
    deprivation_by_la,
    in_release_order,
    la_year_rates,
    latest_year,
    resolve_release,
)

#: Workforce indicators shown in the context panel, with labels.
WORKFORCE_LABELS: dict[str, str] = {
    "agency_rate_pct": "Agency worker rate (%)",
    "turnover_rate_pct": "Turnover rate (%)",
    "vacancy_rate_pct": "Vacancy rate (%)",
    "caseload_average": "Caseload (cases per FTE)",
}
#: Funnel positions, highest first (OHID's five significance classes; see rates.funnel_position).
POSITION_ORDER = rates.FUNNEL_POSITIONS
#: Release placeholders in :func:`sensitivity_fits` alternatives: the main release, the one before.
MAIN, PREVIOUS = "main", "previous"
#: Model specifications compared in the appendix: label -> (size term, squared term).
SPECIFICATIONS: dict[str, tuple[bool, bool]] = {
    "deprivation only": (False, False),
    "deprivation + squared": (False, True),
    "deprivation + size (main)": (True, False),
    "deprivation + squared + size": (True, True),
}
#: Other data the main specification is refitted on: (series, release, measure).
ALTERNATIVES: tuple[tuple[str, str, str], ...] = (
    ("non_uasc", PREVIOUS, "idaci_top20_share"),
    ("non_uasc", MAIN, "idaci_mean_percentile"),
    ("all", MAIN, "idaci_top20_share"),
)


# --------------------------------------------------------------------------------------------
# The model's data and its sensitivity
# --------------------------------------------------------------------------------------------


def model_frame(
    rates_table: pd.DataFrame,
    deprivation: pd.DataFrame,
    year: int,
    series: str,
    release: str,
    covariate: str = "idaci_top20_share",
    min_population: float = 5_000,
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """The LAs entering the model for one year, and the LAs left out with the reason.

    LAs are left out when the count is not published (suppressed UASC makes the non-UASC count
    missing), when no 0-17 population or deprivation value is held, or when fewer than
    ``min_population`` children live there (City of London and the Isles of Scilly, whose
    rates rest on a handful of children).

    ``rates_table`` is :func:`la_year_rates`, ``deprivation`` :func:`deprivation_by_la`;
    ``series`` is a key of :data:`SERIES`, ``release`` a resolved IoD release label
    (:func:`resolve_release`) and ``covariate`` a deprivation column.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        Columns ``la_code``, ``la_name``, ``region_name``, ``la_type``, ``observed``,
        ``population_0_17``, ``deprivation``; and ``[{"la_code", "la_name", "reason"}]``.
    """
    count_col = SERIES[series][0]
    r = rates_table[(rates_table["year"] == year) & (rates_table["la_code"] != ENGLAND_CODE)]
    d = deprivation[deprivation["release"] == release].set_index("la_code")[covariate]
    df = pd.DataFrame(
        {
            "la_code": r["la_code"].to_numpy(),
            "la_name": r["la_name"].to_numpy(),
            "region_name": r["region_name"].to_numpy(),
            "la_type": r["la_type"].to_numpy(),
            "observed": r[count_col].astype(float).to_numpy(),
            "population_0_17": r["population_0_17"].astype(float).to_numpy(),
        }
    )
    df["deprivation"] = df["la_code"].map(d).astype(float)
    excluded = []
    reasons = [
        (df["observed"].isna(), "count not published (suppressed) for this year"),
        (df["population_0_17"].isna(), "no 0-17 population estimate"),
        (df["deprivation"].isna(), f"no {release} deprivation value"),
        (df["population_0_17"] < min_population, f"fewer than {min_population:,.0f} children"),
    ]
    drop = pd.Series(False, index=df.index)
    for mask, reason in reasons:
        new = mask.fillna(False) & ~drop
        for _, row in df[new].iterrows():
            excluded.append(
                {"la_code": row["la_code"], "la_name": row["la_name"], "reason": reason}
            )
        drop |= mask.fillna(False)
    return df[~drop].reset_index(drop=True), excluded


@dataclass
class SensitivityFit:
    """One refit of the model for the sensitivity table."""

    label: str
    series: str
    release: str
    measure: str
    model: DeprivationModel


def sensitivity_fits(
    rates_table: pd.DataFrame,
    deprivation: pd.DataFrame,
    year: int,
    release_order: Sequence[str],
    series: str = "non_uasc",
    release: str = "",
    covariate: str = "idaci_top20_share",
    alternatives: Sequence[tuple[str, str, str]] = ALTERNATIVES,
    min_population: float = 5_000,
) -> list[SensitivityFit]:
    """Refit the model: each specification of :data:`SPECIFICATIONS` on the main data, then
    the main specification with other series, releases and deprivation measures.

    ``release`` is the main IoD release (resolved); :data:`PREVIOUS` in ``alternatives`` is
    the release held before it in ``release_order`` (that alternative is skipped when there is
    none). Needs only national data: one list serves every LA (:func:`sensitivity_table`).
    """
    held = in_release_order(deprivation["release"].unique(), release_order)
    before = held[: held.index(release)] if release in held else []
    named = {MAIN: release, PREVIOUS: before[-1] if before else None}
    fits = [(label, series, release, covariate, sz, q) for label, (sz, q) in SPECIFICATIONS.items()]
    main = SPECIFICATIONS["deprivation + size (main)"]
    fits += [
        ("deprivation + size", s_, named.get(r_, r_), c_, *main)
        for s_, r_, c_ in alternatives
        if named.get(r_, r_) is not None
    ]
    out = []
    frames: dict[tuple[str, str, str], tuple[pd.DataFrame, list]] = {}
    for label, s_, r_, c_, sz, q in fits:
        if (s_, r_, c_) not in frames:
            frames[(s_, r_, c_)] = model_frame(
                rates_table, deprivation, year, s_, r_, c_, min_population
            )
        frame, excl = frames[(s_, r_, c_)]
        m = fit_deprivation_model(frame, s_, c_, r_, year, excl, size=sz, quadratic=q)
        out.append(SensitivityFit(label, s_, r_, c_, m))
    return out


def sensitivity_table(fits: Sequence[SensitivityFit], la_code: str) -> pd.DataFrame:
    """One row per refit of :func:`sensitivity_fits`, with one LA's O/E.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``series``, ``release``, ``measure``, ``n_las``, ``deprivation_rr`` (rate
        ratio per 10 units of the measure, linear term), ``aic``, ``alpha``, ``total_ratio``
        (fitted / observed total), the LA's ``oe`` with limits and ``oe_rank``.
    """
    rows = []
    for fit in fits:
        m = fit.model
        r = m.row(la_code)
        rows.append(
            {
                "model": fit.label,
                "series": SERIES[fit.series][1],
                "release": fit.release,
                "measure": fit.measure,
                "n_las": m.diagnostics["n_las"],
                "deprivation_rr": m.params["rate_ratio"].iloc[1],
                "aic": m.diagnostics["aic_nb"],
                "alpha": m.alpha,
                "total_ratio": m.diagnostics["total_ratio"],
                "oe": np.nan if r is None else r["oe"],
                "oe_lower": np.nan if r is None else r["oe_lower"],
                "oe_upper": np.nan if r is None else r["oe_upper"],
                "oe_rank": np.nan if r is None else int(r["oe_rank"]),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Funnel plots
# --------------------------------------------------------------------------------------------


def funnel_table(
    frame: pd.DataFrame,
    england_rate: float,
    count_col: str = "observed",
    population_col: str = "population_0_17",
) -> pd.DataFrame:
    """Each LA's crude rate against 95% and 99.8% funnel limits around England's rate.

    Limits come from :func:`rates.funnel_limits` at each LA's own population, and positions
    from :func:`rates.funnel_position` with the count expected at England's rate: both OHID's
    Fingertips method.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with ``rate``, ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8`` and
        ``funnel_position`` (one of :data:`POSITION_ORDER`).
    """
    out = frame.copy()
    pop = out[population_col].astype(float)
    out["rate"] = rates.rate_per_10k(out[count_col].astype(float), pop)
    lim = rates.funnel_limits(england_rate, pop)
    for col in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        out[col] = lim[col].to_numpy()
    expected = (england_rate * pop / rates.PER_10K).where(pop > 0)
    out["funnel_position"] = rates.funnel_position(out[count_col].astype(float), expected)
    return out


def oe_funnel_table(model: DeprivationModel) -> pd.DataFrame:
    """O/E ratios against funnel limits around 1, by expected count.

    The limits for an LA with expected count ``E`` are OHID's funnel limits for a count with
    mean ``E`` divided by ``E`` (:func:`rates.funnel_limits` with target 1 per 1), and the
    position compares the observed count with ``E`` (:func:`rates.funnel_position`), as OHID's
    funnel significance does for ratios.

    Returns
    -------
    pandas.DataFrame
        ``model.data`` with the limit columns and ``funnel_position``.
    """
    out = model.data.copy()
    lim = rates.funnel_limits(1.0, out["expected"].astype(float), per=1.0)
    for col in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        out[col] = lim[col].to_numpy()
    out["funnel_position"] = rates.funnel_position(
        out["observed"].astype(float), out["expected"].astype(float)
    )
    return out


def position_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of LAs in each funnel position (every position present, zero if none)."""
    counts = table["funnel_position"].value_counts()
    return {p: int(counts.get(p, 0)) for p in POSITION_ORDER}


def position_of(table: pd.DataFrame, la_code: str) -> Any:
    """An LA's ``funnel_position`` in ``table`` (``"not shown"`` when it has no row)."""
    pos = table.loc[table["la_code"] == la_code, "funnel_position"]
    return pos.iloc[0] if len(pos) else "not shown"


# --------------------------------------------------------------------------------------------
# Change and workforce
# --------------------------------------------------------------------------------------------


def rate_change(rates_table: pd.DataFrame, column: str, start: int, end: int) -> pd.DataFrame:
    """Change in a rate between two years for every area holding both.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``rate_start``, ``rate_end``, ``change`` (per 10,000) and
        ``pct_change``; areas missing either year are dropped.
    """
    a = rates_table[rates_table["year"] == start].set_index("la_code")[column]
    b = rates_table[rates_table["year"] == end].set_index("la_code")[column]
    names = rates_table.drop_duplicates("la_code").set_index("la_code")["la_name"]
    out = pd.DataFrame({"rate_start": a, "rate_end": b}).dropna()
    out["change"] = out["rate_end"] - out["rate_start"]
    out["pct_change"] = rates.percent_change(out["rate_start"], out["rate_end"])
    out.insert(0, "la_name", names.reindex(out.index))
    return out.rename_axis("la_code").reset_index()


def change_against_deprivation(
    change: pd.DataFrame, deprivation_share: pd.Series
) -> tuple[pd.DataFrame, float]:
    """Split :func:`rate_change` into the LAs with a deprivation share, and England's change.

    Returns
    -------
    (pandas.DataFrame, float)
        The LAs' rows (England left out) with a ``deprivation`` column, dropping LAs without
        one; and England's change (NaN when England lacks either year).
    """
    eng = change.loc[change["la_code"] == ENGLAND_CODE, "change"]
    england_change = float(eng.iloc[0]) if len(eng) else float("nan")
    out = change[change["la_code"] != ENGLAND_CODE].copy()
    out["deprivation"] = out["la_code"].map(deprivation_share)
    return out.dropna(subset=["deprivation"]), england_change


def _workforce_row(w: pd.DataFrame, code: str) -> dict[str, Any]:
    own = w[w["la_code"] == code]
    note = ""
    if own.empty:
        own = w[
            w["la_code"].astype(str).str.contains(code, regex=False)
            & w["la_code"].astype(str).str.contains("/", regex=False)
        ]
        if not own.empty:
            note = f"joint service: {own.iloc[0]['la_name']}"
    rec: dict[str, Any] = {"la_code": code, "note": note}
    if own.empty:
        rec["note"] = "not published for this year"
        rec.update({col: np.nan for col in WORKFORCE_LABELS})
        rec["la_name"] = None
    else:
        r = own.iloc[0]
        rec["la_name"] = r["la_name"] if not note else str(r["la_name"])
        rec.update({col: float(r[col]) if pd.notna(r[col]) else np.nan for col in WORKFORCE_LABELS})
    return rec


def workforce_panel(
    workforce: pd.DataFrame, la_codes: Sequence[str], year: int | None = None
) -> pd.DataFrame:
    """Workforce indicators for some LAs and England in one year (default: latest held).

    Joint services published under joined codes (e.g. ``"E09000021 / E09000027"``) stand in
    for each member LA that has no row of its own that year; ``note`` then says so.

    Returns
    -------
    pandas.DataFrame
        One row per requested code in order (England appended if not asked for): ``la_code``,
        ``la_name``, ``year``, the :data:`WORKFORCE_LABELS` columns and ``note``.
    """
    year = int(workforce["year"].max()) if year is None else int(year)
    w = workforce[workforce["year"] == year]
    codes = list(dict.fromkeys([*la_codes, ENGLAND_CODE]))
    rows = [{**_workforce_row(w, code), "year": year} for code in codes]
    cols = ["la_code", "la_name", "year", *WORKFORCE_LABELS, "note"]
    return pd.DataFrame(rows)[cols]


# --------------------------------------------------------------------------------------------
# National and local parts of the page
# --------------------------------------------------------------------------------------------


@dataclass
class NationalBenchmark:
    """Everything page 05 shows that does not depend on the LA (one result serves every LA).

    Attributes
    ----------
    year, cla_series, iod_release, change_years
        The resolved options.
    rates, dep : pandas.DataFrame
        :func:`la_year_rates` and :func:`deprivation_by_la`.
    model : DeprivationModel
        The main model; ``sensitivity`` its refits (:func:`sensitivity_fits`).
    funnel, oe_funnel : pandas.DataFrame
        :func:`funnel_table` around England's rate; :func:`oe_funnel_table`.
    change : pandas.DataFrame
        :func:`rate_change` for LAs with a deprivation share, with ``deprivation``.
    england_rate, england_change : float
        England's rate in ``year`` and its change over the window.
    """

    year: int
    cla_series: str
    iod_release: str
    change_years: int
    rates: pd.DataFrame = field(repr=False)
    dep: pd.DataFrame = field(repr=False)
    model: DeprivationModel = field(repr=False)
    sensitivity: list[SensitivityFit] = field(repr=False)
    funnel: pd.DataFrame = field(repr=False)
    oe_funnel: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    england_rate: float
    england_change: float
    #: Catalogue ids behind the CLA, CIN and population figures of ``start`` and ``year``.
    cla_ids: list[str] = field(default_factory=list)

    @property
    def start(self) -> int:
        """First year of the change window."""
        return self.year - self.change_years

    @property
    def rate_col(self) -> str:
        """Rate column of :attr:`rates` for the CLA series."""
        return f"rate_{SERIES[self.cla_series][0]}"

    @property
    def dep_now(self) -> pd.Series:
        """Child deprivation share by LA code for :attr:`iod_release`."""
        d = self.dep[self.dep["release"] == self.iod_release]
        return d.set_index("la_code")["idaci_top20_share"]


def national_benchmark(
    inputs: BenchmarkInputs,
    *,
    year: int = 0,
    cla_series: str = "non_uasc",
    iod_release: str = "latest",
    change_years: int = 5,
) -> NationalBenchmark:
    """The page's national analysis from the national tables alone (options as ``prepare``)."""
    rates_all = la_year_rates(inputs)
    if not year:
        year = latest_year(rates_all, cla_series)
    dep = deprivation_by_la(inputs.iod, inputs.population_lsoa, release_order=inputs.iod_order,
                            census_label=inputs.census_label)
    iod_release = resolve_release(dep, iod_release, inputs.iod_order)
    frame, excluded = model_frame(rates_all, dep, year, cla_series, iod_release)
    model = fit_deprivation_model(
        frame, cla_series, "idaci_top20_share", iod_release, year, excluded
    )
    rate_col = f"rate_{SERIES[cla_series][0]}"
    eng = rates_all[(rates_all["la_code"] == ENGLAND_CODE) & (rates_all["year"] == year)]
    england_rate = float(eng.iloc[0][rate_col])
    dep_now = dep[dep["release"] == iod_release].set_index("la_code")["idaci_top20_share"]
    change, england_change = change_against_deprivation(
        rate_change(rates_all, rate_col, year - change_years, year), dep_now
    )
    sensitivity = sensitivity_fits(
        rates_all, dep, year, inputs.iod_order, cla_series, iod_release
    )
    return NationalBenchmark(
        year=year, cla_series=cla_series, iod_release=iod_release, change_years=change_years,
        rates=rates_all, dep=dep, model=model, sensitivity=sensitivity,
        funnel=funnel_table(model.data, england_rate), oe_funnel=oe_funnel_table(model),
        change=change, england_rate=england_rate, england_change=england_change,
        cla_ids=inputs.ids_for_years([year, year - change_years]),
    )


@dataclass
class DeprivationRank:
    """Where an LA sits on child deprivation among all LAs in one release."""

    share: float
    england_share: float
    rank: int
    n_las: int


def deprivation_rank(dep: pd.DataFrame, la_code: str, release: str) -> DeprivationRank | None:
    """The LA's share of children in the most deprived 20%, England's, and the LA's rank
    (1 = highest share) among LAs; None when the LA has no value for ``release``."""
    d = dep[(dep["release"] == release) & (dep["la_code"] != ENGLAND_CODE)]
    row = d[d["la_code"] == la_code]
    if row.empty:
        return None
    eng = dep[(dep["release"] == release) & (dep["la_code"] == ENGLAND_CODE)]
    share = float(row.iloc[0]["idaci_top20_share"])
    england = float(eng.iloc[0]["idaci_top20_share"]) if len(eng) else np.nan
    return DeprivationRank(share, england, int((d["idaci_top20_share"] > share).sum()) + 1, len(d))


@dataclass
class LocalBenchmark:
    """The national result read for one LA and its statistical neighbours."""

    la_code: str
    neighbour_codes: list[str]
    me: pd.Series | None = field(repr=False)
    funnel_position: Any
    oe_funnel_position: Any
    change_row: pd.DataFrame = field(repr=False)
    deprivation: DeprivationRank | None
    workforce: pd.DataFrame = field(repr=False)
    sensitivity: pd.DataFrame = field(repr=False)

    @property
    def workforce_row(self) -> pd.Series:
        """The LA's row of :attr:`workforce`."""
        return self.workforce[self.workforce["la_code"] == self.la_code].iloc[0]

    @property
    def workforce_year(self) -> int:
        """Year (at 30 September) of the workforce figures."""
        return int(self.workforce["year"].iloc[0])


def local_benchmark(
    national: NationalBenchmark,
    la_code: str,
    neighbour_codes: Sequence[str],
    workforce: pd.DataFrame,
) -> LocalBenchmark:
    """One LA's view of the national analysis: its rows, positions and workforce panel.

    Parameters
    ----------
    national : NationalBenchmark
        From :func:`national_benchmark`.
    la_code : str
        The LA.
    neighbour_codes : sequence of str
        Its statistical neighbours, nearest first.
    workforce : pandas.DataFrame
        ``workforce_la_year`` (national; :func:`workforce_panel` picks the LAs).
    """
    panel = workforce_panel(workforce, [la_code, *neighbour_codes])
    panel["la_name"] = panel["la_name"].fillna(panel["la_code"])
    return LocalBenchmark(
        la_code=la_code,
        neighbour_codes=list(neighbour_codes),
        me=national.model.row(la_code),
        funnel_position=position_of(national.funnel, la_code),
        oe_funnel_position=position_of(national.oe_funnel, la_code),
        change_row=national.change[national.change["la_code"] == la_code],
        deprivation=deprivation_rank(national.dep, la_code, national.iod_release),
        workforce=panel,
        sensitivity=sensitivity_table(national.sensitivity, la_code),
    )

