"""Every English LA: children looked after (CLA) against child deprivation (notebook 05).

The building blocks of the benchmarking page:

- :func:`child_population` and :func:`la_year_rates` give, for every children's-services LA and
  England and every year held, the CLA rate (all children and excluding unaccompanied
  asylum-seeking children, UASC), and the children in need (CIN), child protection plan (CPP)
  and referral rates, all per 10,000 children aged 0-17 on one denominator;
- :func:`deprivation_by_la` summarises child income deprivation from LSOA data (IDACI) for
  every IoD release with IDACI ranks: the share of children aged 0-15 living in England's 20%
  most deprived LSOAs, and the children-weighted mean national percentile of their LSOAs;
- :func:`fit_deprivation_model` fits a negative binomial regression of the CLA count on that
  share with the 0-17 population as exposure, and gives each LA's expected count and rate,
  its observed/expected (O/E) ratio with a 95% interval, and its rank;
- :func:`funnel_table` and :func:`oe_funnel_table` place LAs against 95% and 99.8% funnel
  limits (crude rates around England's rate; O/E around 1);
- :func:`rate_change` and :func:`workforce_panel` give the five-year change and the social
  work workforce context;
- ``plot_*`` draw the charts and ``describe_*`` write the commentary from the numbers.

Conventions: "year" is the position at 31 March (CIN and referrals: the year ending 31 March).
The denominator for year ``Y`` is the ONS mid-``(Y-1)`` estimate of children aged 0-17 (DfE's
convention), latest vintage held; DfE's own published denominator is used where the population
table has no estimate for that mid-year. "Non-UASC" is all CLA minus UASC; where DfE suppressed
the UASC count the non-UASC count (and rate) is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solihull_analytics import releases as registry
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates
from solihull_analytics.methods.idaci_bands import band_cutoff
from solihull_analytics.report.page import Block, Chart, TableBlock
from solihull_analytics.report.tables import rows_around
from solihull_analytics.report.wording import ordinal

#: CLA series: count column and a plain-English label.
SERIES: dict[str, tuple[str, str]] = {
    "non_uasc": ("cla_non_uasc", "children looked after excluding UASC"),
    "all": ("cla_all", "all children looked after"),
}
#: CIN measures used (``cin_la_year.measure``) and their labels.
CIN_MEASURES: dict[str, str] = {
    "cin_31_march": "children in need at 31 March",
    "cpp_31_march": "children on a child protection plan at 31 March",
    "referrals": "referrals in the year",
}
#: Rate columns of :func:`la_year_rates` with labels for tables.
RATE_LABELS: dict[str, str] = {
    "rate_cla_all": "CLA rate (all)",
    "rate_cla_non_uasc": "CLA rate (excl. UASC)",
    "rate_cin_31_march": "CIN rate",
    "rate_cpp_31_march": "CPP rate",
    "rate_referrals": "Referral rate",
}
#: Deprivation measures of :func:`deprivation_by_la`.
DEPRIVATION_LABELS: dict[str, str] = {
    "idaci_top20_share": "% of children aged 0-15 living in England's 20% most income-deprived "
    "LSOAs for children (IDACI)",
    "idaci_mean_percentile": "children-weighted mean national IDACI percentile of the LSOAs "
    "children live in (0 = most deprived)",
}
#: Workforce indicators shown in the context panel, with labels.
WORKFORCE_LABELS: dict[str, str] = {
    "agency_rate_pct": "Agency worker rate (%)",
    "turnover_rate_pct": "Turnover rate (%)",
    "vacancy_rate_pct": "Vacancy rate (%)",
    "caseload_average": "Caseload (cases per FTE)",
}
#: Covariate scaling in the model: coefficients are per 10 percentage points of the share.
COVARIATE_SCALE = 10.0
#: Funnel positions, highest first (OHID's five significance classes; see rates.funnel_position).
POSITION_ORDER = rates.FUNNEL_POSITIONS
#: Funnel positions as phrases ("Solihull is ... ").
POSITION_PHRASE: dict[str, str] = {
    "above 99.8%": "above the upper 99.8% limit",
    "above 95%": "above the upper 95% limit (within 99.8%)",
    "within 95%": "within the 95% limits",
    "below 95%": "below the lower 95% limit (within 99.8%)",
    "below 99.8%": "below the lower 99.8% limit",
}


def split_ids(values: Any) -> list[str]:
    """Split ``source_id`` values such as ``"a+b"`` or ``"a,b"`` into unique catalogue ids."""
    ids: list[str] = []
    for value in pd.Series(values).dropna().astype(str).unique():
        for part in re.split(r"[,+]", value):
            part = part.strip()
            if part and part != "nan" and part not in ids:
                ids.append(part)
    return ids


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass
class BenchmarkInputs:
    """The processed tables notebook 05 reads."""

    cla: pd.DataFrame
    population: pd.DataFrame
    cin: pd.DataFrame
    workforce: pd.DataFrame
    iod: pd.DataFrame
    population_lsoa: pd.DataFrame
    las: pd.DataFrame
    source_ids: dict[str, list[str]] = field(default_factory=dict)

    def ids_for_years(self, years: Sequence[int]) -> list[str]:
        """Catalogue ids behind the CLA, CIN and population figures of the given years."""
        ys = [int(y) for y in years]
        cla = self.cla[self.cla["year"].isin(ys)]
        pop = self.population[self.population["mid_year"].isin([y - 1 for y in ys])]
        pop = pop[pop["age_band"].astype(str) == "0-17"]
        cin = self.cin[self.cin["year"].isin(ys)]
        return split_ids(
            pd.concat([cla["source_id"], cla["uasc_source_id"], pop["source_id"], cin["source_id"]])
        )


def load_inputs(processed_dir: Path | str | None = None) -> BenchmarkInputs:
    """Read the processed tables used by the benchmarking page.

    Parameters
    ----------
    processed_dir : Path or str, optional
        Processed tables folder (default ``data/processed``).

    Returns
    -------
    BenchmarkInputs
        Tables plus ``source_ids``: catalogue ids behind each kind of figure (``cla``,
        ``population``, ``cin``, ``workforce``, ``iod``).
    """
    from solihull_analytics import paths
    from solihull_analytics.build import read_table

    pdir = Path(processed_dir) if processed_dir else paths.processed_dir()
    cla = read_table("cla_la_year", pdir)
    population = read_table("population_la_year", pdir)
    cin = read_table("cin_la_year", pdir)
    cin = cin[cin["measure"].isin(list(CIN_MEASURES))].copy()
    workforce = read_table("workforce_la_year", pdir)
    iod = read_table("iod_lsoa", pdir)
    # Releases with IDACI ranks; Census weights from the latest census (release registry).
    ranked = iod.loc[iod["idaci_rank"].notna(), "release"].unique()
    iod = iod[iod["release"].isin(ranked)].copy()
    census = registry.get("census", registry.LATEST)
    pop_lsoa = read_table("population_lsoa", pdir)
    pop_lsoa = pop_lsoa[
        (pop_lsoa["source"] == census.fact("lsoa_source")) & (pop_lsoa["age_band"] == "0-15")
    ].copy()
    las = read_table("children_services_la", pdir)
    ids = {
        "cla": split_ids(pd.concat([cla["source_id"], cla["uasc_source_id"]])),
        "population": split_ids(population["source_id"]),
        "cin": split_ids(cin["source_id"]),
        "workforce": split_ids(workforce["source_id"]),
        "iod": split_ids(pd.concat([iod["source_id"], pop_lsoa["source_id"]])),
    }
    return BenchmarkInputs(cla, population, cin, workforce, iod, pop_lsoa, las, ids)


# --------------------------------------------------------------------------------------------
# Rates for every LA and year
# --------------------------------------------------------------------------------------------


#: Release placeholders in :func:`sensitivity_table` alternatives: the main release, the one before.
MAIN, PREVIOUS = "main", "previous"


def _in_registry_order(labels: Iterable[str]) -> list[str]:
    held = set(labels)
    order = registry.labels("iod")
    return [r for r in order if r in held] + sorted(held - set(order))


def resolve_release(deprivation: pd.DataFrame, release: str) -> str:
    """Resolve an IoD release label or "latest" (latest registry release held in ``deprivation``).

    Raises
    ------
    ValueError
        If ``release`` is a label with no rows in ``deprivation``.
    """
    held = _in_registry_order(deprivation["release"].unique())
    if release == registry.LATEST:
        if not held:
            raise ValueError("no IoD release with IDACI ranks in the data used.")
        return held[-1]
    if release not in held:
        raise ValueError(
            f"IoD release {release!r} has no IDACI ranks in the data used; "
            f"choose one of {', '.join(held)} or 'latest'."
        )
    return release


def child_population(population: pd.DataFrame) -> pd.DataFrame:
    """ONS estimates of children aged 0-17: one row per area and mid-year, latest vintage.

    Parameters
    ----------
    population : pandas.DataFrame
        ``population_la_year`` (``la_code``, ``mid_year``, ``age_band``, ``population``,
        ``vintage``).

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``mid_year``, ``population_0_17``, ``vintage``.
    """
    p = population[population["age_band"].astype(str) == "0-17"].copy()
    p["rank"] = p["vintage"].astype(str).map(registry.order_of("population")).fillna(0)
    p = p.sort_values(["la_code", "mid_year", "rank"], kind="mergesort")
    p = p.drop_duplicates(["la_code", "mid_year"], keep="last")
    return p.rename(columns={"population": "population_0_17"})[
        ["la_code", "mid_year", "population_0_17", "vintage"]
    ].reset_index(drop=True)


def la_year_rates(inputs: BenchmarkInputs, first_year: int = 2014) -> pd.DataFrame:
    """CLA, CIN, CPP and referral counts and rates per 10,000 for every LA and England.

    Parameters
    ----------
    inputs : BenchmarkInputs
        From :func:`load_inputs`.
    first_year : int, default 2014
        First year at 31 March kept.

    Returns
    -------
    pandas.DataFrame
        One row per area (the current children's-services LAs and England, ``la_code``
        ``E92000001``) and year: ``la_code``, ``la_name``, ``region_name``, ``la_type``,
        ``year``, ``population_0_17`` (ONS mid-(year-1), latest vintage, else DfE's published
        denominator), ``denominator_mid_year``, counts ``cla_all``, ``cla_uasc``,
        ``cla_non_uasc``, ``cin_31_march``, ``cpp_31_march``, ``referrals`` and a ``rate_<count>``
        column per count.
    """
    las = inputs.las[["la_code", "la_name", "region_name", "la_type"]].copy()
    england = pd.DataFrame(
        {
            "la_code": [ENGLAND_CODE],
            "la_name": ["England"],
            "region_name": [None],
            "la_type": ["England"],
        }
    )
    areas = pd.concat([las, england], ignore_index=True)
    cla = inputs.cla[inputs.cla["la_code"].isin(areas["la_code"])]
    cla = cla[cla["year"] >= first_year]
    keep = ["la_code", "year", "cla_all", "cla_uasc", "cla_non_uasc", "dfe_population_0_17"]
    out = cla[keep].copy()
    cin = inputs.cin[inputs.cin["la_code"].isin(areas["la_code"])]
    cin = cin[cin["year"] >= first_year]
    cin_wide = cin.pivot_table(
        index=["la_code", "year"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    cin_wide.columns.name = None
    out = out.merge(cin_wide, on=["la_code", "year"], how="outer")
    pop = child_population(inputs.population)
    out["denominator_mid_year"] = out["year"] - 1
    out = out.merge(
        pop.rename(columns={"mid_year": "denominator_mid_year"})[
            ["la_code", "denominator_mid_year", "population_0_17"]
        ],
        on=["la_code", "denominator_mid_year"],
        how="left",
    )
    out["population_0_17"] = (
        out["population_0_17"].astype(float).fillna(out["dfe_population_0_17"].astype(float))
    )
    out = out.drop(columns="dfe_population_0_17")
    count_cols = ["cla_all", "cla_uasc", "cla_non_uasc", *CIN_MEASURES]
    for col in count_cols:
        if col not in out:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("cla_all", "cla_non_uasc", *CIN_MEASURES):
        out[f"rate_{col}"] = rates.rate_per_10k(
            out[col].to_numpy(), out["population_0_17"].fillna(0).to_numpy()
        )
    out = areas.merge(out, on="la_code", how="inner")
    return out.sort_values(["la_code", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Child income deprivation by LA
# --------------------------------------------------------------------------------------------


def deprivation_by_la(
    iod: pd.DataFrame,
    population_lsoa: pd.DataFrame,
    releases: Sequence[str] | None = None,
    band_pct: float = 20,
) -> pd.DataFrame:
    """Child income deprivation of each LA (and England) from LSOA IDACI ranks.

    A release is weighted by its own denominators (children aged 0-15 published with the
    release) when they cover at least 90% of its LSOAs; otherwise (e.g. a release whose File 6
    is not in the data used) by Census children aged 0-15 on its LSOAs (``population_lsoa``).

    Parameters
    ----------
    iod : pandas.DataFrame
        ``iod_lsoa`` rows (``release``, ``lsoa_code``, ``la_code``, ``idaci_rank``,
        ``children_0_15``, ``lsoas_in_england``).
    population_lsoa : pandas.DataFrame
        Census 2021 children aged 0-15 by 2021 LSOA (``lsoa_code``, ``population``).
    releases : sequence of str, optional
        IoD releases to summarise (default: every release in ``iod``, in registry order).
    band_pct : float, default 20
        The "most deprived" band in percent.

    Returns
    -------
    pandas.DataFrame
        One row per area and release: ``la_code``, ``release``, ``children_0_15``,
        ``weights`` (what the children counts are), ``idaci_top20_share`` (percent of children
        in England's most deprived ``band_pct``% of LSOAs) and ``idaci_mean_percentile``
        (children-weighted mean of ``100 x rank / N``; lower = more deprived).
    """
    census = population_lsoa.drop_duplicates("lsoa_code").set_index("lsoa_code")["population"]
    if releases is None:
        releases = _in_registry_order(iod["release"].unique())
    frames = []
    for release in releases:
        sel = iod[(iod["release"] == release)].dropna(subset=["idaci_rank"]).copy()
        if sel.empty:
            continue
        n = int(sel["lsoas_in_england"].iloc[0])
        if sel["children_0_15"].notna().sum() < 0.9 * len(sel):
            sel["w"] = sel["lsoa_code"].map(census).astype(float)
            weights = "Census 2021 children aged 0-15"
        else:
            sel["w"] = sel["children_0_15"].astype(float)
            weights = f"{release} denominators: children aged 0-15"
        sel = sel.dropna(subset=["w"])
        rank = sel["idaci_rank"].astype(float)
        sel["top"] = np.where(rank <= band_cutoff(n, band_pct), sel["w"], 0.0)
        sel["pct_w"] = 100.0 * rank / n * sel["w"]
        nat = pd.DataFrame(
            {
                "la_code": [ENGLAND_CODE],
                "w": [sel["w"].sum()],
                "top": [sel["top"].sum()],
                "pct_w": [sel["pct_w"].sum()],
            }
        )
        g = sel.groupby("la_code", as_index=False)[["w", "top", "pct_w"]].sum()
        g = pd.concat([g, nat], ignore_index=True)
        frames.append(
            pd.DataFrame(
                {
                    "la_code": g["la_code"].astype(str),
                    "release": release,
                    "children_0_15": g["w"],
                    "weights": weights,
                    "idaci_top20_share": 100.0 * g["top"] / g["w"],
                    "idaci_mean_percentile": g["pct_w"] / g["w"],
                }
            )
        )
    if not frames:
        raise ValueError("no IDACI ranks for the releases asked for")
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@dataclass
class DeprivationModel:
    """A fitted negative binomial model of CLA counts on child deprivation.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per modelled LA: ``la_code``, ``la_name``, ``observed``, ``population_0_17``,
        ``deprivation``, ``expected``, ``rate``, ``expected_rate``, ``oe``, ``oe_lower``,
        ``oe_upper``, ``oe_rank`` (1 = furthest above expected), ``rate_rank`` (1 = highest
        crude rate), ``pearson_resid``, ``deviance_resid``, ``nb_lower``/``nb_upper`` (95% range
        of counts the model expects for an LA with that deprivation and population).
    series, covariate, release : str
        What was modelled.
    year : int
    size : bool
        Whether log child population is a covariate (centred at ``size_centre``).
    quadratic : bool
        Whether a squared deprivation term is included.
    params : pandas.DataFrame
        ``term``, ``coef``, ``se``, ``lower``, ``upper``, ``p``, and ``rate_ratio`` with limits
        (per 10 percentage points of deprivation; per doubling of the child population).
    alpha : float
        NB2 dispersion (variance = mu + alpha mu^2), with ``alpha_lower``/``alpha_upper``.
    diagnostics : dict
        ``poisson_dispersion`` (Pearson chi2 / df of a Poisson fit), ``nb_dispersion`` (same for
        the NB fit), ``lr_stat``/``lr_p`` (NB against Poisson), AICs, ``observed_total``,
        ``fitted_total``, ``total_ratio``, residual correlations, ``curvature_p``, ``n_las``
        and ``excluded``.
    """

    data: pd.DataFrame
    series: str
    covariate: str
    release: str
    year: int
    size: bool
    quadratic: bool
    size_centre: float
    params: pd.DataFrame
    alpha: float
    alpha_lower: float
    alpha_upper: float
    diagnostics: dict[str, Any]
    #: Covariance of the regression coefficients (``params["coef"]``), for the curve's interval.
    coef_cov: np.ndarray | None = None

    def row(self, la_code: str) -> pd.Series | None:
        """The modelled row of one LA (None when it was not in the model)."""
        sel = self.data[self.data["la_code"] == la_code]
        return None if sel.empty else sel.iloc[0]

    def expected_rate_at(self, share: Any, population: float | None = None) -> np.ndarray:
        """Expected rate per 10,000 at given deprivation values (the fitted curve).

        ``population`` (children aged 0-17) matters only when size is in the model; it
        defaults to the median of the modelled LAs.
        """
        x = np.asarray(share, dtype=float)
        if population is None:
            population = float(self.data["population_0_17"].median())
        log_size = np.full_like(x, np.log(population) - self.size_centre) if self.size else None
        return (
            np.exp(_design(x, log_size, self.quadratic) @ self.params["coef"].to_numpy()) * 10_000
        )

    def expected_rate_interval(
        self, share: Any, population: float | None = None, level: float = 0.95
    ) -> tuple[np.ndarray, np.ndarray]:
        """Confidence interval of :meth:`expected_rate_at` (per 10,000).

        The interval of the fitted curve itself (where the expected rate lies), not the range of
        rates single authorities show: exp(x'b -/+ z se(x'b)), with se from the coefficients'
        covariance (delta method on the log scale, so the limits stay positive).
        """
        if self.coef_cov is None:
            raise ValueError("this model was built without its coefficient covariance.")
        x = np.asarray(share, dtype=float)
        if population is None:
            population = float(self.data["population_0_17"].median())
        log_size = np.full_like(x, np.log(population) - self.size_centre) if self.size else None
        design = _design(x, log_size, self.quadratic)
        eta = design @ self.params["coef"].to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", design, self.coef_cov, design))
        z = stats.norm.ppf(0.5 + level / 2)
        return np.exp(eta - z * se) * 10_000, np.exp(eta + z * se) * 10_000


def model_frame(
    rates_table: pd.DataFrame,
    deprivation: pd.DataFrame,
    year: int,
    series: str = "non_uasc",
    release: str = registry.LATEST,
    covariate: str = "idaci_top20_share",
    min_population: float = 5_000,
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """The LAs entering the model for one year, and the LAs left out with the reason.

    LAs are left out when the count is not published (suppressed UASC makes the non-UASC count
    missing), when no 0-17 population or deprivation value is held, or when fewer than
    ``min_population`` children live there (City of London and the Isles of Scilly, whose
    rates rest on a handful of children).

    Returns
    -------
    (pandas.DataFrame, list of dict)
        Columns ``la_code``, ``la_name``, ``region_name``, ``la_type``, ``observed``,
        ``population_0_17``, ``deprivation``; and ``[{"la_code", "la_name", "reason"}]``.
    """
    count_col = SERIES[series][0]
    release = resolve_release(deprivation, release)
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


def _design(
    x: np.ndarray, log_size: np.ndarray | None = None, quadratic: bool = False
) -> np.ndarray:
    cols = [np.ones_like(x), x / COVARIATE_SCALE]
    if quadratic:
        cols.append((x / COVARIATE_SCALE) ** 2)
    if log_size is not None:
        cols.append(log_size)
    return np.column_stack(cols)


def oe_interval(
    observed: Any, expected: Any, se_log_expected: Any = 0.0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for an observed/expected ratio.

    The observed count's limits are Byar's (exact Poisson below 10, via
    :func:`rates.poisson_count_ci`); the uncertainty of the expected count from the model's
    coefficients (``se_log_expected``, standard error of log E) is added in quadrature on the
    log scale to each half-width.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits of O/E.
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    ci = rates.poisson_count_ci(o, level)
    z = stats.norm.ppf(0.5 + level / 2)
    se_e = np.asarray(se_log_expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_half = np.log(o) - np.log(np.asarray(ci.lower, dtype=float))
        hi_half = np.log(np.asarray(ci.upper, dtype=float)) - np.log(o)
        lo = np.exp(np.log(o / e) - np.sqrt(lo_half**2 + (z * se_e) ** 2))
        hi = np.exp(np.log(o / e) + np.sqrt(hi_half**2 + (z * se_e) ** 2))
    return np.where(o > 0, lo, 0.0), hi


def fit_deprivation_model(
    frame: pd.DataFrame,
    series: str = "non_uasc",
    covariate: str = "idaci_top20_share",
    release: str = "",
    year: int = 0,
    excluded: list[dict[str, str]] | None = None,
    size: bool = True,
    quadratic: bool = False,
    level: float = 0.95,
) -> DeprivationModel:
    """Negative binomial (NB2) regression of CLA counts on child deprivation across LAs.

    ``log E[count] = log(children 0-17) + b0 + b1 x deprivation / 10 [+ b2 (deprivation/10)^2]
    [+ b3 x (log children 0-17 - mean)]``, with ``Var = mu + alpha mu^2``.

    Why this model: the outcome is a count of children, so a log-linear count model with the
    population as exposure models the rate directly. Rates vary between LAs far more than
    Poisson chance allows (``poisson_dispersion``, typically about 60); the negative binomial
    adds between-LA variation in the underlying rate with a constant coefficient of
    variation, so every LA informs the fit and the largest ones do not dominate as they
    would under Poisson or quasi-Poisson weighting. The size term is there because, at the same
    deprivation, larger authorities have lower rates; without it the NB2 fit over-predicts them
    and its fitted England total is several per cent above the observed total.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`model_frame`.
    series, covariate, release : str
        Labels of what is modelled (kept on the result).
    year : int
        Year at 31 March (kept on the result).
    excluded : list of dict, optional
        LAs left out (kept in ``diagnostics``).
    size : bool, default True
        Include the centred log child population.
    quadratic : bool, default False
        Include a squared deprivation term.
    level : float, default 0.95
        Level of the O/E intervals.

    Returns
    -------
    DeprivationModel
    """
    # direct imports: statsmodels.api also loads time-series and graphics modules (~2 s)
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    y = frame["observed"].to_numpy(dtype=float)
    x = frame["deprivation"].to_numpy(dtype=float)
    offset = np.log(frame["population_0_17"].to_numpy(dtype=float))
    centre = float(offset.mean())
    log_size = offset - centre if size else None
    design = _design(x, log_size, quadratic)
    poisson = GLM(y, design, family=families.Poisson(), offset=offset).fit()
    nb = NegativeBinomial(y, design, offset=offset, loglike_method="nb2").fit(
        start_params=np.append(poisson.params, 0.1), disp=0, maxiter=300
    )
    k = design.shape[1]
    alpha = float(nb.params[-1])
    alpha_ci = np.asarray(nb.conf_int())[-1]
    glm = GLM(y, design, family=families.NegativeBinomial(alpha=alpha), offset=offset).fit()
    beta = np.asarray(nb.params[:k])
    cov = np.asarray(nb.cov_params())[:k, :k]
    mu = np.exp(design @ beta + offset)
    se_log_mu = np.sqrt(np.einsum("ij,jk,ik->i", design, cov, design))
    lower, upper = oe_interval(y, mu, se_log_mu, level)
    n_param = 1.0 / alpha
    p_param = n_param / (n_param + mu)
    data = frame.copy()
    data["expected"] = mu
    data["rate"] = y / frame["population_0_17"].to_numpy(dtype=float) * 10_000
    data["expected_rate"] = mu / frame["population_0_17"].to_numpy(dtype=float) * 10_000
    data["oe"] = y / mu
    data["oe_lower"] = lower
    data["oe_upper"] = upper
    data["nb_lower"] = stats.nbinom.ppf(0.025, n_param, p_param)
    data["nb_upper"] = stats.nbinom.ppf(0.975, n_param, p_param)
    data["oe_rank"] = data["oe"].rank(ascending=False, method="min").astype(int)
    data["rate_rank"] = data["rate"].rank(ascending=False, method="min").astype(int)
    data["pearson_resid"] = (y - mu) / np.sqrt(mu + alpha * mu**2)
    data["deviance_resid"] = np.asarray(glm.resid_deviance)
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.5 + level / 2)
    terms = [
        "intercept (log rate per child)",
        f"deprivation (per {COVARIATE_SCALE:g} percentage points)",
    ]
    if quadratic:
        terms.append("deprivation squared")
    if size:
        terms.append("log children aged 0-17 (centred)")
    params = pd.DataFrame(
        {
            "term": terms,
            "coef": beta,
            "se": se,
            "lower": beta - z * se,
            "upper": beta + z * se,
            "p": 2 * stats.norm.sf(np.abs(beta / se)),
        }
    )
    # rate ratios: per 10 points of deprivation; per doubling of the child population
    scale = np.ones(k)
    if size:
        scale[-1] = np.log(2)
    for col, src in (
        ("rate_ratio", "coef"),
        ("rate_ratio_lower", "lower"),
        ("rate_ratio_upper", "upper"),
    ):
        params[col] = np.exp(params[src] * scale)
    params.loc[0, ["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]] = np.nan
    if quadratic:
        params.loc[2, ["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]] = np.nan
    df_resid = len(y) - k
    lr = 2 * (nb.llf - poisson.llf)
    curvature_p = np.nan
    if not quadratic:
        nb_sq = NegativeBinomial(
            y, _design(x, log_size, True), offset=offset, loglike_method="nb2"
        ).fit(disp=0, maxiter=300)
        curvature_p = float(stats.chi2.sf(2 * (nb_sq.llf - nb.llf), 1))
    diagnostics = {
        "n_las": int(len(y)),
        "poisson_dispersion": float(poisson.pearson_chi2 / df_resid),
        "nb_dispersion": float(np.sum(data["pearson_resid"] ** 2) / df_resid),
        "lr_stat": float(lr),
        # alpha = 0 lies on the boundary: the LR statistic is a 50:50 mixture of chi2(0), chi2(1)
        "lr_p": float(0.5 * stats.chi2.sf(lr, 1)),
        "aic_poisson": float(poisson.aic),
        "aic_nb": float(nb.aic),
        "observed_total": float(y.sum()),
        "fitted_total": float(mu.sum()),
        "total_ratio": float(mu.sum() / y.sum()),
        "resid_deprivation_spearman": float(stats.spearmanr(x, data["pearson_resid"]).statistic),
        "resid_size_spearman": float(stats.spearmanr(offset, data["pearson_resid"]).statistic),
        "large_residuals": int((np.abs(data["pearson_resid"]) > 2).sum()),
        # likelihood-ratio p-value for adding a squared deprivation term (NaN if already in)
        "curvature_p": curvature_p,
        "excluded": list(excluded or []),
        "converged": bool(nb.mle_retvals.get("converged", True)),
    }
    return DeprivationModel(
        data=data,
        series=series,
        covariate=covariate,
        release=release,
        year=int(year),
        size=size,
        quadratic=quadratic,
        size_centre=centre,
        params=params,
        alpha=alpha,
        alpha_lower=float(alpha_ci[0]),
        alpha_upper=float(alpha_ci[1]),
        diagnostics=diagnostics,
        coef_cov=cov,
    )


#: Model specifications compared in the appendix: label -> (size term, squared term).
SPECIFICATIONS: dict[str, tuple[bool, bool]] = {
    "deprivation only": (False, False),
    "deprivation + squared": (False, True),
    "deprivation + size (main)": (True, False),
    "deprivation + squared + size": (True, True),
}


def sensitivity_table(
    rates_table: pd.DataFrame,
    deprivation: pd.DataFrame,
    year: int,
    la_code: str,
    series: str = "non_uasc",
    release: str = registry.LATEST,
    covariate: str = "idaci_top20_share",
    alternatives: Sequence[tuple[str, str, str]] = (
        ("non_uasc", PREVIOUS, "idaci_top20_share"),
        ("non_uasc", MAIN, "idaci_mean_percentile"),
        ("all", MAIN, "idaci_top20_share"),
    ),
    min_population: float = 5_000,
) -> pd.DataFrame:
    """Refit the model: each specification of :data:`SPECIFICATIONS` on the main data, then
    the main specification with other series, releases and deprivation measures.

    Returns
    -------
    pandas.DataFrame
        One row per fit: ``model``, ``series``, ``release``, ``measure``, ``n_las``,
        ``deprivation_rr`` (rate ratio per 10 units of the measure, linear term), ``aic``,
        ``alpha``, ``total_ratio`` (fitted / observed total), the LA's ``oe`` with limits and
        ``oe_rank``.
    """
    release = resolve_release(deprivation, release)
    held = _in_registry_order(deprivation["release"].unique())
    before = held[: held.index(release)] if release in held else []
    named = {MAIN: release, PREVIOUS: before[-1] if before else None}
    fits = [(label, series, release, covariate, sz, q) for label, (sz, q) in SPECIFICATIONS.items()]
    main = SPECIFICATIONS["deprivation + size (main)"]
    fits += [
        ("deprivation + size", s_, named.get(r_, r_), c_, *main)
        for s_, r_, c_ in alternatives
        if named.get(r_, r_) is not None
    ]
    rows = []
    frames: dict[tuple[str, str, str], tuple[pd.DataFrame, list]] = {}
    for label, s_, r_, c_, sz, q in fits:
        if (s_, r_, c_) not in frames:
            frames[(s_, r_, c_)] = model_frame(
                rates_table, deprivation, year, s_, r_, c_, min_population
            )
        frame, excl = frames[(s_, r_, c_)]
        m = fit_deprivation_model(frame, s_, c_, r_, year, excl, size=sz, quadratic=q)
        r = m.row(la_code)
        rows.append(
            {
                "model": label,
                "series": SERIES[s_][1],
                "release": r_,
                "measure": c_,
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
    w = workforce.copy()
    year = int(w["year"].max()) if year is None else int(year)
    w = w[w["year"] == year]
    codes = list(dict.fromkeys([*la_codes, ENGLAND_CODE]))
    rows = []
    for code in codes:
        own = w[w["la_code"] == code]
        note = ""
        if own.empty:
            own = w[
                w["la_code"].astype(str).str.contains(code, regex=False)
                & w["la_code"].astype(str).str.contains("/", regex=False)
            ]
            if not own.empty:
                note = f"joint service: {own.iloc[0]['la_name']}"
        rec: dict[str, Any] = {"la_code": code, "year": year, "note": note}
        if own.empty:
            rec["note"] = "not published for this year"
            for col in WORKFORCE_LABELS:
                rec[col] = np.nan
            rec["la_name"] = None
        else:
            r = own.iloc[0]
            rec["la_name"] = r["la_name"] if not note else str(r["la_name"])
            for col in WORKFORCE_LABELS:
                rec[col] = float(r[col]) if pd.notna(r[col]) else np.nan
        rows.append(rec)
    cols = ["la_code", "la_name", "year", *WORKFORCE_LABELS, "note"]
    return pd.DataFrame(rows)[cols]


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


#: What each chart plots, offered as its download (columns of the model or funnel tables).
MODEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "population_0_17",
    "deprivation",
    "rate",
    "expected_rate",
)
FUNNEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "population_0_17",
    "rate",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "funnel_position",
)
OE_FUNNEL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "observed",
    "expected",
    "oe",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "funnel_position",
)
RESIDUAL_CHART_COLUMNS = (
    "la_code",
    "la_name",
    "expected",
    "deprivation",
    "population_0_17",
    "pearson_resid",
    "deviance_resid",
)


def chart_data(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns of ``table`` a chart plots (those present), for its CSV download."""
    return table[[c for c in columns if c in table.columns]]


def _spread_labels(ax: Any, points: list[tuple[float, float, str]], min_gap: float = 0.05) -> None:
    """Label points in one column of text, pushed apart vertically, with leader lines.

    The column sits just right of the right-most labelled point, or just left of the
    left-most one when there is no room on the right; labels keep the points' vertical order so
    leader lines do not cross.
    """
    if not points:
        return
    to_axes = ax.transAxes.inverted()
    frac = [to_axes.transform(ax.transData.transform((x, y))) for x, y, _ in points]
    xs = [f[0] for f in frac]
    if max(xs) + 0.05 <= 0.72:
        tx, ha = max(xs) + 0.05, "left"
    else:
        tx, ha = max(min(xs) - 0.05, 0.02), "right"
    order = sorted(range(len(points)), key=lambda i: frac[i][1])
    ys = [min(max(frac[i][1], 0.03), 0.97) for i in order]
    for k in range(1, len(ys)):
        ys[k] = max(ys[k], ys[k - 1] + min_gap)
    overflow = ys[-1] - 0.97
    if overflow > 0:
        ys = [y - overflow for y in ys]
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = min(ys[k], ys[k + 1] - min_gap)
    for k, i in enumerate(order):
        x, y, text = points[i]
        ax.annotate(
            text,
            xy=(x, y),
            xycoords="data",
            xytext=(tx, ys[k]),
            textcoords="axes fraction",
            fontsize=8.5,
            ha=ha,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "#3D3D3D", "lw": 0.6, "shrinkB": 4},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            zorder=5,
        )


def _scatter_groups(
    ax: Any, df: pd.DataFrame, x: str, y: str, la_code: str, neighbours: Sequence[str]
) -> None:
    from solihull_analytics.report.page import AF_COLOURS

    others = df[~df["la_code"].isin([la_code, *neighbours])]
    nb = df[df["la_code"].isin(neighbours)]
    me = df[df["la_code"] == la_code]
    ax.scatter(
        others[x],
        others[y],
        s=16,
        color="#BFBFBF",
        marker="o",
        label="Other LAs",
        zorder=2,
        edgecolors="none",
    )
    ax.scatter(
        nb[x],
        nb[y],
        s=38,
        color=AF_COLOURS[1],
        marker="s",
        label="Statistical neighbours",
        zorder=3,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.scatter(
        me[x],
        me[y],
        s=90,
        color=AF_COLOURS[2],
        marker="D",
        label="This LA",
        zorder=4,
        edgecolors="white",
        linewidths=0.8,
    )
    ax.set_xlim(*ax.get_xlim())
    ax.set_ylim(*ax.get_ylim())
    pts = [(float(r[x]), float(r[y]), str(r["la_name"])) for _, r in me.iterrows()]
    pts += [(float(r[x]), float(r[y]), str(r["la_name"])) for _, r in nb.iterrows()]
    pts = [p for p in pts if np.isfinite(p[0]) and np.isfinite(p[1])]
    _spread_labels(ax, pts)


def plot_deprivation(
    model: DeprivationModel, la_code: str, neighbours: Sequence[str], title: str, xlabel: str
) -> Any:
    """Scatter of CLA rates against deprivation with the model's expected-rate curve."""
    import matplotlib.pyplot as plt

    df = model.data
    fig, ax = plt.subplots(figsize=(9, 5.6))
    grid = np.linspace(df["deprivation"].min(), df["deprivation"].max(), 100)
    if model.coef_cov is not None:
        lower, upper = model.expected_rate_interval(grid)
        ax.fill_between(grid, lower, upper, color="#12436D", alpha=0.15, lw=0, zorder=0,
                        label="95% confidence interval of the expected rate")
    ax.plot(
        grid,
        model.expected_rate_at(grid),
        color="#12436D",
        lw=2,
        ls="--",
        label="Expected rate (model)",
        zorder=1,
    )
    ax.set_ylim(0, max(df["rate"].max(), float(model.expected_rate_at([grid[-1]])[0])) * 1.08)
    _scatter_groups(ax, df, "deprivation", "rate", la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Rate per 10,000 children aged 0-17")
    ax.set_title(title, loc="left", wrap=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    fig.tight_layout()
    return fig


def plot_funnel(
    table: pd.DataFrame,
    centre: float,
    y: str,
    x: str,
    la_code: str,
    neighbours: Sequence[str],
    title: str,
    xlabel: str,
    ylabel: str,
    per: float = 10_000,
) -> Any:
    """Funnel plot: values against size with 95% and 99.8% limits around ``centre``."""
    import matplotlib.pyplot as plt

    df = table.dropna(subset=[x, y])
    fig, ax = plt.subplots(figsize=(9, 5.6))
    xs = np.geomspace(max(df[x].min() * 0.8, 1e-3), df[x].max() * 1.2, 300)
    if y == "oe":
        lim = rates.funnel_limits(1.0, xs, per=1.0)
    else:
        lim = rates.funnel_limits(centre, xs, per=per)
    ax.axhline(centre, color="#3D3D3D", lw=1.2, label="Centre line")
    ax.plot(xs, lim["upper_95"], color="#12436D", ls="--", lw=1.2, label="95% limits")
    ax.plot(xs, lim["lower_95"], color="#12436D", ls="--", lw=1.2)
    ax.plot(xs, lim["upper_99_8"], color="#F46A25", ls=":", lw=1.6, label="99.8% limits")
    ax.plot(xs, lim["lower_99_8"], color="#F46A25", ls=":", lw=1.6)
    ax.set_xscale("log")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(0, df[y].max() * 1.12)
    _scatter_groups(ax, df, x, y, la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", wrap=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    fig.tight_layout()
    return fig


def plot_change(
    change: pd.DataFrame,
    la_code: str,
    neighbours: Sequence[str],
    england_change: float,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Any:
    """Scatter of each LA's rate change against its deprivation (``deprivation`` column)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.6))
    ax.axhline(0, color="#3D3D3D", lw=0.8)
    if np.isfinite(england_change):
        ax.axhline(
            england_change,
            color="#12436D",
            ls="--",
            lw=1.2,
            label=f"England ({england_change:+.1f})",
        )
    lo, hi = change["change"].min(), change["change"].max()
    pad = 0.08 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(change["deprivation"].min() - 2, change["deprivation"].max() + 2)
    _scatter_groups(ax, change, "deprivation", "change", la_code, neighbours)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", wrap=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9, ncol=4)
    fig.tight_layout()
    return fig


def plot_workforce(panel: pd.DataFrame, la_code: str, title: str) -> Any:
    """Four dot plots (agency, turnover, vacancy, caseload): LA, neighbours and England."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.page import AF_COLOURS

    fig, axes = plt.subplots(1, 4, figsize=(10, 5.4), sharey=True)
    p = panel.reset_index(drop=True)
    names = [str(n) if n else str(c) for n, c in zip(p["la_name"], p["la_code"], strict=True)]
    ypos = np.arange(len(p))[::-1]
    for ax, (col, label) in zip(axes, WORKFORCE_LABELS.items(), strict=True):
        for i, row in p.iterrows():
            v = row[col]
            if pd.isna(v):
                continue
            if row["la_code"] == la_code:
                kw = {"color": AF_COLOURS[2], "marker": "D", "s": 70}
            elif row["la_code"] == ENGLAND_CODE:
                kw = {"color": AF_COLOURS[0], "marker": "o", "s": 60}
            else:
                kw = {"color": AF_COLOURS[1], "marker": "s", "s": 34}
            ax.scatter([v], [ypos[i]], zorder=3, **kw)
            ax.text(v, ypos[i] + 0.3, f"{v:.1f}", fontsize=7.5, ha="center", va="bottom")
        eng = p.loc[p["la_code"] == ENGLAND_CODE, col]
        if len(eng) and pd.notna(eng.iloc[0]):
            ax.axvline(float(eng.iloc[0]), color=AF_COLOURS[0], ls="--", lw=1)
        ax.set_title(label, fontsize=9.5, loc="left", wrap=True)
        ax.set_ylim(-0.8, len(p) - 0.2)
        ax.margins(x=0.2)
    axes[0].set_yticks(ypos)
    axes[0].set_yticklabels(names, fontsize=8.5)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_diagnostics(model: DeprivationModel) -> Any:
    """Four diagnostic panels: residuals against fitted, deprivation and size; normal Q-Q."""
    import matplotlib.pyplot as plt

    d = model.data
    fig, axes = plt.subplots(2, 2, figsize=(9, 7))
    r = d["pearson_resid"]
    panels = [
        (axes[0, 0], np.log10(d["expected"]), "Expected count (log10)"),
        (axes[0, 1], d["deprivation"], "Deprivation measure (%)"),
        (axes[1, 0], np.log10(d["population_0_17"]), "Children aged 0-17 (log10)"),
    ]
    for ax, xv, label in panels:
        ax.scatter(xv, r, s=14, color="#12436D", marker="o", edgecolors="none", label="Authority")
        bins = pd.qcut(pd.Series(np.asarray(xv, dtype=float)), 5, duplicates="drop")
        means = (
            pd.DataFrame({"x": np.asarray(xv, dtype=float), "r": r.to_numpy()})
            .groupby(bins.to_numpy(), observed=True)
            .mean()
        )
        ax.plot(
            means["x"],
            means["r"],
            color="#F46A25",
            marker="D",
            ls="-",
            lw=1.5,
            label="Mean by fifth",
        )
        ax.axhline(0, color="#3D3D3D", lw=0.8)
        for h in (-2, 2):
            ax.axhline(h, color="#3D3D3D", ls=":", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("Pearson residual")
    axes[0, 0].legend(loc="lower right", frameon=False, fontsize=8)
    ax = axes[1, 1]
    dev = np.sort(d["deviance_resid"].to_numpy())
    q = stats.norm.ppf((np.arange(1, len(dev) + 1) - 0.5) / len(dev))
    ax.scatter(q, dev, s=14, color="#28A197", marker="s", edgecolors="none")
    lim = [min(q.min(), dev.min()), max(q.max(), dev.max())]
    ax.plot(lim, lim, color="#3D3D3D", ls="--", lw=1)
    ax.set_xlabel("Normal quantile")
    ax.set_ylabel("Deviance residual (sorted)")
    dgn = model.diagnostics
    curved = np.isfinite(dgn["curvature_p"]) and dgn["curvature_p"] < 0.01
    size_left = abs(dgn["resid_size_spearman"]) >= 0.2
    if curved:
        title = "Residuals: the rate levels off among the most deprived authorities"
    elif size_left:
        title = "Residuals still vary with authority size"
    else:
        title = "Residuals show no strong pattern left by deprivation or size"
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


def judge_oe(lower: float, upper: float) -> str:
    """'higher than expected', 'lower than expected' or 'in line with expectation'."""
    if lower > 1:
        return "higher than expected"
    if upper < 1:
        return "lower than expected"
    return "in line with expectation"


def describe_model(model: DeprivationModel, la_code: str, la_name: str) -> str:
    """Plain-English summary of the model and where the LA sits."""
    slope = model.params.iloc[1]
    pct = (slope["rate_ratio"] - 1) * 100
    n = model.diagnostics["n_las"]
    text = (
        f"Across {n} local authorities in {model.year}, each 10 percentage points more children "
        f"living in England's most income-deprived fifth of neighbourhoods goes with a "
        f"{abs(pct):.0f}% {'higher' if pct >= 0 else 'lower'} rate of "
        f"{SERIES[model.series][1]} (95% CI {(slope['rate_ratio_lower'] - 1) * 100:.0f}% to "
        f"{(slope['rate_ratio_upper'] - 1) * 100:.0f}%). "
    )
    r = model.row(la_code)
    if r is None:
        return text + f"{la_name} is not in the model for this year."
    verdict = judge_oe(r["oe_lower"], r["oe_upper"])
    text += (
        f"Given its child deprivation ({r['deprivation']:.1f}% of children in the most deprived "
        f"fifth), the model expects {la_name} to have about {r['expected']:,.0f} children looked "
        f"after ({r['expected_rate']:.1f} per 10,000); it had {r['observed']:,.0f} "
        f"({r['rate']:.1f} per 10,000). Observed/expected is {r['oe']:.2f} (95% CI "
        f"{r['oe_lower']:.2f} to {r['oe_upper']:.2f}): {verdict}. It ranks "
        f"{ordinal(int(r['oe_rank']))} of {n} on this deprivation-adjusted ratio "
        f"(1st = furthest above expected), against {ordinal(int(r['rate_rank']))} on the crude "
        "rate. "
    )
    in_range = r["nb_lower"] <= r["observed"] <= r["nb_upper"]
    text += (
        f"Authorities with the same deprivation and size vary a lot: 95% of them would have "
        f"between {r['nb_lower']:,.0f} and {r['nb_upper']:,.0f} children looked after, so "
        f"{la_name}'s count is {'within' if in_range else 'outside'} the usual spread."
    )
    return text


#: How the funnel limits and positions are worked out (page 05, after the two funnel plots).
FUNNEL_METHOD_TEXT = (
    "**Method.** The limits and positions follow OHID's funnel method for Fingertips "
    "(PHEindicatormethods, PHStatsMethods) and reproduce OHID's own limits, checked against "
    "its code: an authority is outside a limit when the confidence interval of its count "
    "(exact Poisson below 10 children, Byar's from 10) excludes the number expected, at "
    "England's rate in the first plot and from the model in the second. The limits drawn "
    "before this change sat about one to two children too high; a count of 0 is now within the 95% "
    "limits unless more than 3.69 children were expected, and below the 99.8% limit only when "
    "more than 6.91 were."
)


def describe_funnel(table: pd.DataFrame, la_code: str, la_name: str, centre_label: str) -> str:
    """Plain-English summary of a funnel plot."""
    counts = position_counts(table)
    n = int(table["funnel_position"].notna().sum())
    above = counts["above 99.8%"]
    below = counts["below 99.8%"]
    outside95 = n - counts["within 95%"]
    text = (
        f"{outside95} of {n} authorities lie outside the 95% limits around {centre_label} "
        f"(about {0.05 * n:.0f} would by chance alone if every authority had the same "
        f"underlying rate), and {above + below} outside the 99.8% limits ({above} above, "
        f"{below} below). "
    )
    if outside95 > 0.2 * n:
        text += (
            "So many authorities outside the limits shows that rates genuinely differ between "
            "authorities far beyond chance; the limits flag which differences are not chance, "
            "not which are a problem. "
        )
    row = table[table["la_code"] == la_code]
    if not row.empty and pd.notna(row.iloc[0]["funnel_position"]):
        text += f"{la_name} is {POSITION_PHRASE[row.iloc[0]['funnel_position']]}."
    return text


def describe_change(
    change: pd.DataFrame, la_code: str, la_name: str, start: int, end: int, england_change: float
) -> str:
    """Plain-English summary of the change chart."""
    rho = stats.spearmanr(change["deprivation"], change["change"]).statistic
    rising = int((change["change"] > 0).sum())
    text = (
        f"Between {start} and {end} the rate rose in {rising} of {len(change)} authorities "
        f"(England: {england_change:+.1f} per 10,000). The change is "
        f"{'hardly' if abs(rho) < 0.2 else 'somewhat' if abs(rho) < 0.4 else 'clearly'} "
        f"related to deprivation (Spearman correlation {rho:+.2f}"
        f"{'; more deprived authorities rose more' if rho >= 0.2 else ''}"
        f"{'; more deprived authorities rose less' if rho <= -0.2 else ''}). "
    )
    row = change[change["la_code"] == la_code]
    if row.empty:
        return text + f"{la_name} does not have both years."
    r = row.iloc[0]
    rank = int((change["change"] > r["change"]).sum()) + 1
    text += (
        f"{la_name}'s rate went from {r['rate_start']:.1f} to {r['rate_end']:.1f} per 10,000 "
        f"({r['change']:+.1f}, {r['pct_change']:+.0f}%), the {ordinal(rank)} largest rise of "
        f"{len(change)}."
    )
    return text


def describe_workforce(panel: pd.DataFrame, la_code: str, la_name: str) -> str:
    """Plain-English comparison of the LA's workforce indicators with neighbours and England."""
    me = panel[panel["la_code"] == la_code]
    eng = panel[panel["la_code"] == ENGLAND_CODE]
    nb = panel[~panel["la_code"].isin([la_code, ENGLAND_CODE])]
    if me.empty or me[list(WORKFORCE_LABELS)].isna().all(axis=None):
        return f"Workforce indicators for {la_name} are not published for this year."
    parts = []
    for col, label in WORKFORCE_LABELS.items():
        v = me.iloc[0][col]
        if pd.isna(v):
            continue
        e = eng.iloc[0][col] if len(eng) else np.nan
        med = nb[col].median()
        name = label.split(" (")[0].lower()
        parts.append(f"{name} {v:.1f} (neighbours' median {med:.1f}, England {e:.1f})")
    year = int(panel["year"].iloc[0])
    note = me.iloc[0]["note"]
    joint = f" Figures are for the {note.split(': ', 1)[1]} joint service." if note else ""
    return f"At 30 September {year}, {la_name}: " + "; ".join(parts) + "." + joint


def describe_deprivation(dep: pd.DataFrame, la_code: str, la_name: str, release: str) -> str:
    """Where the LA sits on child deprivation among all LAs."""
    d = dep[(dep["release"] == release) & (dep["la_code"] != ENGLAND_CODE)]
    row = d[d["la_code"] == la_code]
    eng = dep[(dep["release"] == release) & (dep["la_code"] == ENGLAND_CODE)]
    if row.empty:
        return f"No {release} deprivation value for {la_name}."
    v = float(row.iloc[0]["idaci_top20_share"])
    rank = int((d["idaci_top20_share"] > v).sum()) + 1
    e = float(eng.iloc[0]["idaci_top20_share"]) if len(eng) else np.nan
    return (
        f"On {release}, {v:.1f}% of {la_name}'s children aged 0-15 live in England's 20% most "
        f"income-deprived neighbourhoods for children (England {e:.1f}%): the "
        f"{ordinal(rank)} highest share of {len(d)} authorities."
    )


# -- the report page ------------------------------------------------------------------------
PAGE_TITLE = "Benchmarking against every English local authority"
_SOURCE_RATES = (
    "DfE children looked after and children in need statistics; ONS mid-year estimates; "
    "MHCLG English Indices of Deprivation"
)


def format_floats(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Return a copy of ``df`` with its float values written out with ``float_format``.

    :class:`~solihull_analytics.report.page.TableBlock` tables are shown with one decimal place;
    this
    gives a table another number of decimals while leaving missing values, integers, booleans
    and text for the page to format as usual.

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
    year : int
        Year at 31 March shown (resolved from 0 to the latest year with published counts).
    cla_series : str
        ``"non_uasc"`` or ``"all"`` (a key of :data:`SERIES`).
    iod_release : str
        Deprivation release of the model.
    change_years : int
        Window of the change chart.
    n_neighbours : int
        Statistical neighbours shown.
    inputs : BenchmarkInputs
        The processed tables.
    rates : pandas.DataFrame
        :func:`la_year_rates` for every LA, England and year.
    dep : pandas.DataFrame
        :func:`deprivation_by_la`.
    model : DeprivationModel
        The fitted negative binomial model.
    neighbour_set : solihull_analytics.geo.neighbours.NeighbourSet
        The LA's statistical neighbours (DfE's current model) and where they come from.
    neighbours : pandas.DataFrame
        The LA's statistical neighbours (``neighbour_set.table``).
    funnel : pandas.DataFrame
        :func:`funnel_table` of crude rates around England's rate.
    oe_funnel : pandas.DataFrame
        :func:`oe_funnel_table`.
    change : pandas.DataFrame
        :func:`rate_change` for LAs with a deprivation share (England left out).
    england_change : float
        England's change in rate over the window.
    workforce : pandas.DataFrame
        :func:`workforce_panel` for the LA, its neighbours and England.
    cla_ids : list of str
        Catalogue ids behind the CLA, CIN and population figures of the two years used.
    """

    la: Any
    year: int
    cla_series: str
    iod_release: str
    change_years: int
    n_neighbours: int
    inputs: BenchmarkInputs = field(repr=False)
    rates: pd.DataFrame = field(repr=False)
    dep: pd.DataFrame = field(repr=False)
    model: DeprivationModel = field(repr=False)
    neighbour_set: Any = field(repr=False)
    neighbours: pd.DataFrame = field(repr=False)
    funnel: pd.DataFrame = field(repr=False)
    oe_funnel: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    england_change: float
    workforce: pd.DataFrame = field(repr=False)
    cla_ids: list[str]

    @property
    def series_label(self) -> str:
        """Plain-English label of the CLA series."""
        return SERIES[self.cla_series][1]

    @property
    def rate_col(self) -> str:
        """Rate column of :attr:`rates` for the CLA series."""
        return f"rate_{SERIES[self.cla_series][0]}"

    @property
    def start(self) -> int:
        """First year of the change window."""
        return self.year - self.change_years

    @property
    def neighbour_codes(self) -> list[str]:
        """Codes of the statistical neighbours, nearest first."""
        return list(self.neighbours["la_code"])

    @property
    def me(self) -> pd.Series | None:
        """The LA's row of the model (None when it is not modelled)."""
        return self.model.row(self.la.code)

    @property
    def england_rate(self) -> float:
        """England's rate of the CLA series in :attr:`year`."""
        r = self.rates
        eng = r[(r["la_code"] == ENGLAND_CODE) & (r["year"] == self.year)].iloc[0]
        return float(eng[self.rate_col])

    @property
    def dep_now(self) -> pd.Series:
        """Child deprivation share by LA code for :attr:`iod_release`."""
        d = self.dep[self.dep["release"] == self.iod_release]
        return d.set_index("la_code")["idaci_top20_share"]

    @property
    def dep_label(self) -> str:
        """Axis label of the deprivation measure."""
        return (
            f"% of children aged 0-15 in England's most deprived 20% of LSOAs (IDACI, "
            f"{self.iod_release})"
        )

    @property
    def funnel_position(self) -> Any:
        """The LA's position on the crude-rate funnel (``"not shown"`` when absent)."""
        pos = self.funnel.loc[self.funnel["la_code"] == self.la.code, "funnel_position"]
        return pos.iloc[0] if len(pos) else "not shown"

    @property
    def change_row(self) -> pd.DataFrame:
        """The LA's row of :attr:`change` (empty when it has no rate in both years)."""
        return self.change[self.change["la_code"] == self.la.code]

    @property
    def workforce_row(self) -> pd.Series:
        """The LA's row of :attr:`workforce`."""
        return self.workforce[self.workforce["la_code"] == self.la.code].iloc[0]

    @property
    def workforce_year(self) -> int:
        """Year (at 30 September) of the workforce figures."""
        return int(self.workforce["year"].iloc[0])

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
    inp = load_inputs(processed)
    rates_all = la_year_rates(inp)
    count_col = SERIES[cla_series][0]
    if not year:
        held = rates_all[(rates_all["la_code"] != ENGLAND_CODE) & rates_all[count_col].notna()]
        year = int(held["year"].max())
    dep = deprivation_by_la(inp.iod, inp.population_lsoa)
    iod_release = resolve_release(dep, iod_release)
    frame, excluded = model_frame(rates_all, dep, year, cla_series, iod_release)
    model = fit_deprivation_model(
        frame, cla_series, "idaci_top20_share", iod_release, year, excluded
    )
    neighbour_set = nbrs.neighbour_set(la.code, la.name, "current", processed, n_neighbours)
    neigh = neighbour_set.table
    rate_col = f"rate_{count_col}"
    eng = rates_all[(rates_all["la_code"] == ENGLAND_CODE) & (rates_all["year"] == year)]
    england_rate = float(eng.iloc[0][rate_col])
    start = year - change_years
    change = rate_change(rates_all, rate_col, start, year)
    eng_change = change.loc[change["la_code"] == ENGLAND_CODE, "change"]
    eng_change = float(eng_change.iloc[0]) if len(eng_change) else float("nan")
    change = change[change["la_code"] != ENGLAND_CODE].copy()
    dep_now = dep[dep["release"] == iod_release].set_index("la_code")["idaci_top20_share"]
    change["deprivation"] = change["la_code"].map(dep_now)
    change = change.dropna(subset=["deprivation"])
    panel = workforce_panel(inp.workforce, [la.code, *neigh["la_code"]])
    panel["la_name"] = panel["la_name"].fillna(panel["la_code"])
    return BenchmarkContext(
        la=la,
        year=year,
        cla_series=cla_series,
        iod_release=iod_release,
        change_years=change_years,
        n_neighbours=n_neighbours,
        inputs=inp,
        rates=rates_all,
        dep=dep,
        model=model,
        neighbour_set=neighbour_set,
        neighbours=neigh,
        funnel=funnel_table(model.data, england_rate),
        oe_funnel=oe_funnel_table(model),
        change=change,
        england_change=eng_change,
        workforce=panel,
        cla_ids=inp.ids_for_years([year, start]),
    )


def rates_section(ctx: BenchmarkContext) -> list[Block]:
    """Rates for the LA, its neighbours and England, and the LA's rates in every year.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A paragraph and two tables.
    """
    la, year = ctx.la, ctx.year
    cols = ["la_code", "la_name", *RATE_LABELS]
    latest = ctx.rates[ctx.rates["year"] == year]
    shown_codes = [la.code, *ctx.neighbour_codes, ENGLAND_CODE]
    tab = latest.set_index("la_code").reindex(shown_codes).reset_index()[cols]
    tab["Child deprivation (%)"] = tab["la_code"].map(ctx.dep_now)
    tab = tab.rename(columns={**RATE_LABELS, "la_name": "Area", "la_code": "Code"})
    text = (
        describe_deprivation(ctx.dep, la.code, la.name, ctx.iod_release)
        + " "
        + f"All rates below are per 10,000 children aged 0-17 at 31 March {year} (referrals: "
        f"in the year to 31 March {year}), on ONS mid-{year - 1} estimates."
    )
    own = ctx.rates[ctx.rates["la_code"] == la.code][["year", *RATE_LABELS]]
    own = own.rename(columns=RATE_LABELS)
    own["year"] = own["year"].astype(str)
    return [
        text,
        TableBlock(
            tab,
            caption=f"Rates per 10,000 children, {year}: {la.name}, its statistical "
            f"neighbours ({ctx.neighbour_set.label}) and England",
            source=_SOURCE_RATES,
        ),
        TableBlock(
            own,
            caption=f"{la.name}: rates per 10,000 children in every year held",
            source="DfE children looked after and children in need statistics; ONS",
        ),
    ]


def model_section(ctx: BenchmarkContext) -> list[Block]:
    """The deprivation scatter chart, what the model says, and how it is built.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A chart and two paragraphs.
    """
    la, model, me, year = ctx.la, ctx.model, ctx.me, ctx.year
    series_label, dep_label, release = ctx.series_label, ctx.dep_label, ctx.iod_release
    title = (
        f"{la.name}'s rate is {me['oe']:.2f} times the rate expected from its child deprivation"
        if me is not None
        else f"Rates of {series_label} rise with child deprivation"
    )
    fig = plot_deprivation(model, la.code, ctx.neighbour_codes, title, dep_label)
    alt = (
        f"Scatter chart of {model.diagnostics['n_las']} English local authorities: rate of "
        f"{series_label} per 10,000 children in {year} against the {dep_label}. The model's "
        f"expected rate rises from {model.expected_rate_at([0])[0]:.0f} at 0% to "
        f"{model.expected_rate_at([60])[0]:.0f} at 60% for an authority of median size; a "
        "shaded band shows the 95% confidence interval of that expected rate."
    )
    if me is not None:
        alt += (
            f" {la.name} is at {me['deprivation']:.1f}% with a rate of {me['rate']:.1f} "
            f"against an expected {me['expected_rate']:.1f}."
        )
    weights = ctx.dep[ctx.dep["release"] == release]["weights"].iloc[0]
    uasc = (
        "UASC are left out because where unaccompanied children are placed follows national "
        "transfer arrangements and ports of entry, not local deprivation. "
        if ctx.cla_series == "non_uasc"
        else ""
    )
    method = (
        f"**Measure of deprivation.** {DEPRIVATION_LABELS['idaci_top20_share']}: for "
        f"{release}, LSOAs ranked in England's most deprived 20% on the Income Deprivation "
        f"Affecting Children Index, weighted by children aged 0-15 ({weights}). "
        f"**Model.** Negative binomial regression of the number of {series_label} at 31 March "
        f"{year} with the population aged 0-17 as exposure, on this share and the log of the "
        "population aged 0-17. A count model with the population as exposure models the rate "
        "directly; the negative binomial allows for authorities differing far more than chance "
        f"(a Poisson model's dispersion is {model.diagnostics['poisson_dispersion']:.0f} times "
        "too large) while letting every authority inform the fit. Size is in the model because, "
        "at the same deprivation, larger authorities have lower rates; without it the expected "
        f"counts over-predict them. {uasc}"
        "O/E intervals combine Byar's interval for the observed count with the model's "
        "uncertainty in the expected count. Details are in the appendix."
    )
    return [
        Chart(
            fig,
            alt,
            source="DfE children looked after statistics; ONS mid-year estimates; "
            f"MHCLG English Indices of Deprivation ({release}); Census 2021 weights",
            data=chart_data(model.data, MODEL_CHART_COLUMNS),
            name="chart_model",
        ),
        describe_model(model, la.code, la.name),
        method,
    ]


def funnel_section(ctx: BenchmarkContext) -> list[Block]:
    """Funnel plots of crude rates and of O/E ratios, and the authorities outside the limits.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        Two charts with their commentary and a table.
    """
    la, me, funnel, oe_funnel = ctx.la, ctx.me, ctx.funnel, ctx.oe_funnel
    england_rate, series_label = ctx.england_rate, ctx.series_label
    counts = position_counts(funnel)
    pos = funnel.loc[funnel["la_code"] == la.code, "funnel_position"]
    pos_text = ctx.funnel_position
    title = (
        f"{la.name} is {POSITION_PHRASE[pos_text]} around England's rate of {england_rate:.1f}"
        if len(pos) and pd.notna(pos.iloc[0])
        else f"Rates against England's rate of {england_rate:.1f}"
    )
    fig = plot_funnel(
        funnel,
        england_rate,
        "rate",
        "population_0_17",
        la.code,
        ctx.neighbour_codes,
        title,
        "Children aged 0-17 (log scale)",
        "Rate per 10,000 children" + chr(10) + f"({series_label})",
    )
    alt = (
        f"Funnel plot of {len(funnel)} local authorities: rate of {series_label} per 10,000 "
        f"children in {ctx.year} against the number of children aged 0-17, with 95% and "
        f"99.8% limits around England's rate of {england_rate:.1f}. {counts['above 99.8%']} "
        f"authorities are above and {counts['below 99.8%']} below the 99.8% limits. "
        f"{la.name} is {POSITION_PHRASE.get(pos_text, 'not shown')}."
    )
    crude = Chart(
        fig,
        alt,
        source="DfE children looked after statistics; ONS mid-year estimates",
        data=chart_data(funnel, FUNNEL_CHART_COLUMNS),
        name="chart_funnel_rates",
    )
    pos2 = oe_funnel.loc[oe_funnel["la_code"] == la.code, "funnel_position"]
    pos2_text = pos2.iloc[0] if len(pos2) else "not shown"
    c2 = position_counts(oe_funnel)
    fig = plot_funnel(
        oe_funnel,
        1.0,
        "oe",
        "expected",
        la.code,
        ctx.neighbour_codes,
        f"Allowing for deprivation and size, {la.name} is "
        f"{POSITION_PHRASE.get(pos2_text, 'not shown')}",
        "Expected number (model, log scale)",
        "Observed / expected",
    )
    alt = (
        f"Funnel plot of observed/expected ratios for {len(oe_funnel)} authorities against "
        "the expected number from the deprivation model, with 95% and 99.8% limits around 1. "
        f"{c2['above 99.8%']} authorities are above and {c2['below 99.8%']} below the 99.8% "
        "limits."
        + (
            f" {la.name}: {me['oe']:.2f} on an expected {me['expected']:.0f}."
            if me is not None
            else ""
        )
    )
    oe_chart = Chart(
        fig,
        alt,
        source="Model on DfE, ONS and MHCLG data (see appendix)",
        data=chart_data(oe_funnel, OE_FUNNEL_CHART_COLUMNS),
        name="chart_funnel_oe",
    )
    outside = funnel[funnel["funnel_position"].isin(["above 99.8%", "below 99.8%"])]
    outside = outside.sort_values("rate", ascending=False)[
        ["la_name", "observed", "population_0_17", "rate", "funnel_position", "oe", "oe_rank"]
    ]
    outside = outside.rename(
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
    return [
        crude,
        describe_funnel(funnel, la.code, la.name, f"England's rate ({england_rate:.1f})"),
        oe_chart,
        describe_funnel(oe_funnel, la.code, la.name, "the expected (ratio 1)"),
        FUNNEL_METHOD_TEXT,
        TableBlock(
            format_floats(outside, "{:,.2f}"),
            caption=f"Authorities outside the 99.8% limits around England's rate, {ctx.year}",
        ),
    ]


def change_section(ctx: BenchmarkContext) -> list[Block]:
    """The change in rates over the window against child deprivation.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A chart and two paragraphs.
    """
    la, change, row = ctx.la, ctx.change, ctx.change_row
    start, year, eng_change = ctx.start, ctx.year, ctx.england_change
    title = (
        f"{la.name}'s rate changed by {row['change'].iloc[0]:+.1f} per 10,000 from {start} "
        f"to {year}"
        if len(row)
        else f"Change in rates from {start} to {year}"
    )
    fig = plot_change(
        change,
        la.code,
        ctx.neighbour_codes,
        eng_change,
        title,
        ctx.dep_label,
        f"Change in rate per 10,000, {start} to {year}",
    )
    alt = (
        f"Scatter chart of {len(change)} authorities: change in the rate of "
        f"{ctx.series_label} per 10,000 children between {start} and {year} against child "
        f"deprivation. England's rate changed by {eng_change:+.1f}."
        + (
            f" {la.name}: {row['rate_start'].iloc[0]:.1f} to {row['rate_end'].iloc[0]:.1f}."
            if len(row)
            else ""
        )
    )
    return [
        Chart(
            fig,
            alt,
            source="DfE children looked after statistics; ONS mid-year estimates; MHCLG",
            data=change,
            name="chart_change",
        ),
        describe_change(change, la.code, la.name, start, year, eng_change),
        f"{len(change)} authorities hold a rate in both years; the others are authorities "
        f"created since {start} or whose UASC count was suppressed in one of the years.",
    ]


def workforce_section(ctx: BenchmarkContext) -> list[Block]:
    """The social work workforce of the LA, its neighbours and England.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A chart, a paragraph and a table.
    """
    la, panel, me_wf, wf_year = ctx.la, ctx.workforce, ctx.workforce_row, ctx.workforce_year
    title = (
        f"{la.name}: agency rate {me_wf['agency_rate_pct']:.1f}%, caseload "
        f"{me_wf['caseload_average']:.1f} at 30 September {wf_year}"
        if pd.notna(me_wf["agency_rate_pct"])
        else f"Social work workforce, {wf_year}"
    )
    fig = plot_workforce(panel, la.code, title)
    text = describe_workforce(panel, la.code, la.name)
    alt = (
        "Four dot charts of children's social worker agency rate, turnover rate, vacancy "
        f"rate and average caseload at 30 September {wf_year} for {la.name}, its statistical "
        f"neighbours ({ctx.neighbour_set.label}) and England. " + text
    )
    show = panel.rename(
        columns={**WORKFORCE_LABELS, "la_name": "Area", "la_code": "Code", "note": "Note"}
    ).drop(columns="year")
    return [
        Chart(
            fig,
            alt,
            source="DfE Children's social work workforce",
            data=panel,
            name="chart_workforce",
        ),
        text,
        TableBlock(
            show,
            caption=f"Social work workforce at 30 September {wf_year}",
            source="DfE Children's social work workforce (EES)",
        ),
    ]


def neighbours_section(ctx: BenchmarkContext) -> list[Block]:
    """Whose statistical neighbours these are (DfE's model, named), and the table of them.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A paragraph and a table.
    """
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


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def diagnostics_text(model: DeprivationModel) -> str:
    """Describe the model's dispersion, calibration, residuals and curvature test.

    Parameters
    ----------
    model : DeprivationModel
        The fitted model.

    Returns
    -------
    str
        A Markdown paragraph.
    """
    d = model.diagnostics
    curvature = (
        f"Adding a squared deprivation term improves the fit (likelihood-ratio p "
        f"{_p_text(d['curvature_p'])}): rates rise with deprivation and level off among the most "
        "deprived authorities; its effect on the O/E ratios is shown in the sensitivity table "
        "below."
        if d["curvature_p"] < 0.05
        else f"A squared deprivation term does not improve the fit (p = {d['curvature_p']:.2f})."
    )
    return (
        f"**Dispersion.** A Poisson model has Pearson chi-square / df = "
        f"{d['poisson_dispersion']:.1f} (1 expected); the negative binomial's alpha is "
        f"{model.alpha:.3f} (95% CI {model.alpha_lower:.3f} to {model.alpha_upper:.3f}), i.e. "
        "authorities' underlying rates vary with a coefficient of variation of about "
        f"{model.alpha**0.5 * 100:.0f}%, and its Pearson chi-square / df is "
        f"{d['nb_dispersion']:.2f}. The likelihood-ratio test of negative binomial against "
        f"Poisson gives {d['lr_stat']:.0f} (p {_p_text(d['lr_p'])}); "
        f"AIC {d['aic_nb']:.0f} against {d['aic_poisson']:.0f}. "
        f"**Calibration.** The fitted total over the {d['n_las']} authorities is "
        f"{d['fitted_total']:,.0f} against {d['observed_total']:,.0f} observed "
        f"({(d['total_ratio'] - 1) * 100:+.1f}%). "
        f"**Residuals.** {d['large_residuals']} authorities have Pearson residuals beyond ±2 "
        f"(about {0.05 * d['n_las']:.0f} expected); Spearman correlation of residuals with "
        f"deprivation {d['resid_deprivation_spearman']:+.2f} and with size "
        f"{d['resid_size_spearman']:+.2f}. " + curvature
    )


def sensitivity_text(sens: pd.DataFrame, la_name: str) -> str:
    """Summarise :func:`sensitivity_table`: the best specification and the LA's O/E range.

    Parameters
    ----------
    sens : pandas.DataFrame
        From :func:`sensitivity_table`; its first four rows are the specifications fitted on
        the main data.
    la_name : str
        The LA's name.

    Returns
    -------
    str
        A Markdown paragraph.
    """
    best = sens.iloc[sens.iloc[:4]["aic"].idxmin()]
    if pd.isna(best["oe"]):
        la_part = (
            f"{la_name} is not in the model (its counts are suppressed or too small), so no O/E "
            "is given for it."
        )
        range_part = ""
    else:
        la_part = (
            f"there {la_name}'s O/E is {best['oe']:.2f} ({best['oe_lower']:.2f} to "
            f"{best['oe_upper']:.2f})."
        )
        range_part = (
            f" Across all fits below {la_name}'s O/E ranges from {sens['oe'].min():.2f} to "
            f"{sens['oe'].max():.2f}."
        )
    return (
        f"**Other specifications.** The lowest AIC among the four specifications on the main "
        f"data is '{best['model']}' (AIC {best['aic']:.0f}); {la_part} A squared term "
        "lets the rate level off among the most deprived authorities; the main model keeps one "
        "deprivation slope so that its sign is easy to read." + range_part
    )


def appendix_model_section(ctx: BenchmarkContext) -> list[Block]:
    """Model coefficients, diagnostics, residual plots and the sensitivity analysis.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        Tables, paragraphs and a chart (plus the excluded authorities, if any).
    """
    model, la = ctx.model, ctx.la
    d = model.diagnostics
    params = model.params[
        [
            "term",
            "coef",
            "se",
            "lower",
            "upper",
            "p",
            "rate_ratio",
            "rate_ratio_lower",
            "rate_ratio_upper",
        ]
    ]
    sens = sensitivity_table(ctx.rates, ctx.dep, ctx.year, la.code, ctx.cla_series, ctx.iod_release)
    sens_shown = sens.rename(
        columns={"deprivation_rr": "RR per 10 units", "total_ratio": "fitted/observed total"}
    )
    return [
        TableBlock(
            format_floats(params, "{:,.4f}"),
            caption="Negative binomial model: coefficients (log scale) and rate ratios "
            "(deprivation: per 10 percentage points; size: per doubling)",
        ),
        diagnostics_text(model),
        Chart(
            plot_diagnostics(model),
            "Four residual plots of the negative binomial model: Pearson residuals against "
            "expected count, deprivation and child population, and a normal Q-Q plot of "
            f"deviance residuals. {d['large_residuals']} of {d['n_las']} residuals lie beyond "
            "±2.",
            source="Model on DfE, ONS and MHCLG data",
            data=chart_data(model.data, RESIDUAL_CHART_COLUMNS),
            name="chart_residuals",
        ),
        sensitivity_text(sens, la.name),
        TableBlock(
            format_floats(sens_shown, "{:,.3f}"),
            caption=f"Sensitivity of the model and of {la.name}'s O/E",
        ),
        TableBlock(pd.DataFrame(d["excluded"]), caption="Authorities left out of the model")
        if d["excluded"]
        else None,
    ]


def appendix_all_section(ctx: BenchmarkContext) -> TableBlock:
    """Every modelled authority ranked by observed/expected.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    TableBlock
        The table.
    """
    allt = ctx.model.data.sort_values("oe_rank")[
        [
            "oe_rank",
            "la_name",
            "region_name",
            "observed",
            "population_0_17",
            "rate",
            "deprivation",
            "expected_rate",
            "oe",
            "oe_lower",
            "oe_upper",
        ]
    ]
    allt = allt.rename(
        columns={
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
    )
    return TableBlock(
        format_floats(allt, "{:,.2f}"),
        caption=f"Every modelled authority, {ctx.year}: {ctx.series_label}, "
        "ranked by observed/expected",
        page_rows=rows_around(allt["Authority"] == ctx.la.name),
    )


def headlines(ctx: BenchmarkContext) -> list[dict[str, Any]]:
    """Headline figures of the page, as keyword arguments for :meth:`Page.headline`.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    list of dict
        One dict per headline (figures the LA lacks are left out).
    """
    la, me, model, year = ctx.la, ctx.me, ctx.model, ctx.year
    series_label, cla_ids, iod_ids = ctx.series_label, ctx.cla_ids, ctx.inputs.source_ids["iod"]
    src = cla_ids + iod_ids
    period = str(year)
    n_las = model.diagnostics["n_las"]
    out: list[dict[str, Any]] = []
    if me is not None:
        pos_text = ctx.funnel_position
        out += [
            dict(
                name="cla_rate_latest",
                value=round(float(me["rate"]), 1),
                unit="per 10,000 children",
                period=period,
                source_ids=cla_ids,
                statement=f"{la.name}'s rate of {series_label} was {me['rate']:.1f} per 10,000 "
                f"children at 31 March {year}.",
                label=f"Rate ({series_label})",
                area=la.name,
            ),
            dict(
                name="cla_expected_rate",
                value=round(float(me["expected_rate"]), 1),
                unit="per 10,000 children",
                period=period,
                source_ids=src,
                statement="Given its child deprivation and size the model expects "
                f"{me['expected_rate']:.1f} per 10,000.",
                label="Expected rate (model)",
                area=la.name,
            ),
            dict(
                name="cla_oe_ratio",
                value=round(float(me["oe"]), 3),
                unit="ratio",
                period=period,
                source_ids=src,
                statement=f"{la.name}'s rate is {me['oe']:.2f} times the rate expected from its "
                f"child deprivation: {judge_oe(me['oe_lower'], me['oe_upper'])}.",
                label="Observed / expected",
                lower=round(float(me["oe_lower"]), 3),
                upper=round(float(me["oe_upper"]), 3),
                area=la.name,
            ),
            dict(
                name="cla_oe_rank",
                value=int(me["oe_rank"]),
                unit="rank",
                period=period,
                source_ids=src,
                statement=f"{la.name} ranks {int(me['oe_rank'])} of {n_las} authorities on "
                "observed/expected (1 = furthest above expected).",
                label="Rank on observed/expected",
                area=la.name,
                note=f"of {n_las}",
            ),
            dict(
                name="funnel_position",
                value=pos_text,
                unit="funnel position",
                period=period,
                source_ids=cla_ids,
                statement=f"{la.name} is {POSITION_PHRASE.get(pos_text, 'not shown')} of the "
                f"funnel plot around England's rate of {ctx.england_rate:.1f}.",
                label="Funnel plot position",
                area=la.name,
            ),
        ]
    slope = model.params.iloc[1]
    out.append(
        dict(
            name="deprivation_rate_ratio",
            value=round(float(slope["rate_ratio"]), 3),
            unit="rate ratio per 10 percentage points",
            period=period,
            source_ids=src,
            statement="Each 10 points more children in the most deprived fifth goes with a "
            f"{(slope['rate_ratio'] - 1) * 100:.0f}% higher rate across authorities.",
            label="Deprivation rate ratio",
            lower=round(float(slope["rate_ratio_lower"]), 3),
            upper=round(float(slope["rate_ratio_upper"]), 3),
        )
    )
    dep = ctx.dep
    me_dep = dep[(dep["release"] == ctx.iod_release) & (dep["la_code"] == la.code)]
    if len(me_dep):
        out.append(
            dict(
                name="idaci_top20_share",
                value=round(float(me_dep["idaci_top20_share"].iloc[0]), 1),
                unit="%",
                period=ctx.iod_release,
                source_ids=iod_ids,
                statement=describe_deprivation(dep, la.code, la.name, ctx.iod_release),
                label="Children in the most deprived 20%",
                area=la.name,
            )
        )
    row = ctx.change_row
    if len(row):
        out.append(
            dict(
                name="cla_rate_change_5y",
                value=round(float(row["change"].iloc[0]), 1),
                unit="per 10,000 children",
                period=f"{ctx.start}-{year}",
                source_ids=cla_ids,
                statement=f"{la.name}'s rate changed by {row['change'].iloc[0]:+.1f} per 10,000 "
                f"between {ctx.start} and {year}.",
                label="Five-year change in rate",
                area=la.name,
            )
        )
    me_wf, wf_year = ctx.workforce_row, ctx.workforce_year
    if pd.notna(me_wf["agency_rate_pct"]):
        out.append(
            dict(
                name="agency_rate",
                value=float(me_wf["agency_rate_pct"]),
                unit="%",
                period=str(wf_year),
                source_ids=ctx.inputs.source_ids["workforce"],
                statement=f"{me_wf['agency_rate_pct']:.1f}% of {la.name}'s children's social "
                f"workers were agency workers at 30 September {wf_year}.",
                label="Agency worker rate",
                area=la.name,
            )
        )
    return out


def summary(ctx: BenchmarkContext) -> str:
    """One-sentence summary of the page for the pack's index.

    Parameters
    ----------
    ctx : BenchmarkContext
        From :func:`prepare`.

    Returns
    -------
    str
        The summary.
    """
    me = ctx.me
    if me is None:
        return describe_model(ctx.model, ctx.la.code, ctx.la.name).split(". ")[-1]
    return (
        f"{ctx.la.name}: {ctx.series_label} {me['rate']:.1f} per 10,000 in {ctx.year}, "
        f"{me['oe']:.2f} times the rate expected from child deprivation and size."
    )
