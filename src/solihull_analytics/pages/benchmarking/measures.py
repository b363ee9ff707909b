"""Page 05's national measures: every LA's rates and child deprivation (pure; reads nothing).

- :func:`child_population` and :func:`la_year_rates` give, for every children's-services LA and
  England and every year held, the CLA rate (all children and excluding unaccompanied
  asylum-seeking children, UASC), and the children in need (CIN), child protection plan (CPP)
  and referral rates, all per 10,000 children aged 0-17 on one denominator;
- :func:`deprivation_by_la` summarises child income deprivation from LSOA data (IDACI) for
  every IoD release with IDACI ranks: the share of children aged 0-15 living in England's 20%
  most deprived LSOAs, and the children-weighted mean national percentile of their LSOAs.

:class:`BenchmarkInputs` holds the national tables they work on, plus the facts from the release
registry they need (the order of IoD releases and of population vintages);
:func:`solihull_analytics.pages.benchmarking.inputs.load_inputs` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates
from solihull_analytics.methods.idaci_bands import band_cutoff
from solihull_analytics.releases import LATEST

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


def split_ids(values: Any) -> list[str]:
    """Split ``source_id`` values such as ``"a+b"`` or ``"a,b"`` into unique catalogue ids."""
    ids: list[str] = []
    for value in pd.Series(values).dropna().astype(str).unique():
        for part in re.split(r"[,+]", value):
            part = part.strip()
            if part and part != "nan" and part not in ids:
                ids.append(part)
    return ids


#: How a census weight is named when no release label is given (tests, small fixtures).
CENSUS_LABEL = "the latest census"

@dataclass
class BenchmarkInputs:
    """The national tables notebook 05 uses, and the registry facts that order them.

    ``iod`` holds only releases with IDACI ranks, ``population_lsoa`` the latest census's
    children aged 0-15 by LSOA, ``cin`` only the :data:`CIN_MEASURES`. ``iod_order`` lists IoD
    release labels oldest first and ``population_order`` ranks population vintages (higher =
    more recent), both from the release registry. ``source_ids`` are the catalogue ids behind
    each kind of figure (``cla``, ``population``, ``cin``, ``workforce``, ``iod``).
    """

    cla: pd.DataFrame
    population: pd.DataFrame
    cin: pd.DataFrame
    workforce: pd.DataFrame
    iod: pd.DataFrame
    population_lsoa: pd.DataFrame
    las: pd.DataFrame
    source_ids: dict[str, list[str]] = field(default_factory=dict)
    iod_order: list[str] = field(default_factory=list)
    population_order: dict[str, int] = field(default_factory=dict)
    census_label: str = CENSUS_LABEL

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


def in_release_order(labels: Iterable[str], order: Sequence[str]) -> list[str]:
    """``labels`` in the registry's ``order``; labels it does not know come last, sorted."""
    held = set(labels)
    return [r for r in order if r in held] + sorted(held - set(order))


def resolve_release(deprivation: pd.DataFrame, release: str, order: Sequence[str]) -> str:
    """Resolve an IoD release label or "latest" (the last release of ``order`` held).

    Raises
    ------
    ValueError
        If ``release`` is a label with no rows in ``deprivation``.
    """
    held = in_release_order(deprivation["release"].unique(), order)
    if release == LATEST:
        if not held:
            raise ValueError("no IoD release with IDACI ranks in the data used.")
        return held[-1]
    if release not in held:
        raise ValueError(
            f"IoD release {release!r} has no IDACI ranks in the data used; "
            f"choose one of {', '.join(held)} or 'latest'."
        )
    return release


def child_population(population: pd.DataFrame, vintage_order: Mapping[str, int]) -> pd.DataFrame:
    """ONS estimates of children aged 0-17: one row per area and mid-year, latest vintage.

    Parameters
    ----------
    population : pandas.DataFrame
        ``population_la_year`` (``la_code``, ``mid_year``, ``age_band``, ``population``,
        ``vintage``).
    vintage_order : mapping of str to int
        Rank of each vintage, higher = more recent (unknown vintages rank 0).

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``mid_year``, ``population_0_17``, ``vintage``.
    """
    p = population[population["age_band"].astype(str) == "0-17"].copy()
    p["rank"] = p["vintage"].astype(str).map(vintage_order).fillna(0)
    p = p.sort_values(["la_code", "mid_year", "rank"], kind="mergesort")
    p = p.drop_duplicates(["la_code", "mid_year"], keep="last")
    return p.rename(columns={"population": "population_0_17"})[
        ["la_code", "mid_year", "population_0_17", "vintage"]
    ].reset_index(drop=True)


def _areas(las: pd.DataFrame) -> pd.DataFrame:
    """The LAs' codes, names, regions and types, with England appended."""
    england = pd.DataFrame(
        {"la_code": [ENGLAND_CODE], "la_name": ["England"], "region_name": [None],
         "la_type": ["England"]}
    )
    return pd.concat([las[["la_code", "la_name", "region_name", "la_type"]].copy(), england],
                     ignore_index=True)


def _counts(inputs: BenchmarkInputs, codes: pd.Series, first_year: int) -> pd.DataFrame:
    """CLA counts and the CIN measures side by side, one row per area and year."""
    cla = inputs.cla[inputs.cla["la_code"].isin(codes)]
    cla = cla[cla["year"] >= first_year]
    keep = ["la_code", "year", "cla_all", "cla_uasc", "cla_non_uasc", "dfe_population_0_17"]
    cin = inputs.cin[inputs.cin["la_code"].isin(codes)]
    cin = cin[cin["year"] >= first_year]
    cin_wide = cin.pivot_table(
        index=["la_code", "year"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    cin_wide.columns.name = None
    return cla[keep].copy().merge(cin_wide, on=["la_code", "year"], how="outer")


def la_year_rates(inputs: BenchmarkInputs, first_year: int = 2014) -> pd.DataFrame:
    """CLA, CIN, CPP and referral counts and rates per 10,000 for every LA and England.

    Parameters
    ----------
    inputs : BenchmarkInputs
        Uses ``las``, ``cla``, ``cin``, ``population`` and ``population_order``.
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
    areas = _areas(inputs.las)
    out = _counts(inputs, areas["la_code"], first_year)
    pop = child_population(inputs.population, inputs.population_order)
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
    for col in ["cla_all", "cla_uasc", "cla_non_uasc", *CIN_MEASURES]:
        if col not in out:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("cla_all", "cla_non_uasc", *CIN_MEASURES):
        out[f"rate_{col}"] = rates.rate_per_10k(
            out[col].to_numpy(), out["population_0_17"].fillna(0).to_numpy()
        )
    out = areas.merge(out, on="la_code", how="inner")
    return out.sort_values(["la_code", "year"]).reset_index(drop=True)


def latest_year(rates_table: pd.DataFrame, series: str) -> int:
    """The latest year in which any LA (England aside) has a published count of ``series``."""
    count_col = SERIES[series][0]
    held = rates_table[(rates_table["la_code"] != ENGLAND_CODE) & rates_table[count_col].notna()]
    return int(held["year"].max())


def _release_summary(sel: pd.DataFrame, census: pd.Series, release: str,
                     band_pct: float, census_label: str) -> pd.DataFrame:
    """One release's LA and England rows of :func:`deprivation_by_la`."""
    n = int(sel["lsoas_in_england"].iloc[0])
    if sel["children_0_15"].notna().sum() < 0.9 * len(sel):
        sel["w"] = sel["lsoa_code"].map(census).astype(float)
        weights = f"{census_label} children aged 0-15"
    else:
        sel["w"] = sel["children_0_15"].astype(float)
        weights = f"{release} denominators: children aged 0-15"
    sel = sel.dropna(subset=["w"])
    rank = sel["idaci_rank"].astype(float)
    sel["top"] = np.where(rank <= band_cutoff(n, band_pct), sel["w"], 0.0)
    sel["pct_w"] = 100.0 * rank / n * sel["w"]
    nat = pd.DataFrame(
        {"la_code": [ENGLAND_CODE], "w": [sel["w"].sum()], "top": [sel["top"].sum()],
         "pct_w": [sel["pct_w"].sum()]}
    )
    g = sel.groupby("la_code", as_index=False)[["w", "top", "pct_w"]].sum()
    g = pd.concat([g, nat], ignore_index=True)
    return pd.DataFrame(
        {
            "la_code": g["la_code"].astype(str),
            "release": release,
            "children_0_15": g["w"],
            "weights": weights,
            "idaci_top20_share": 100.0 * g["top"] / g["w"],
            "idaci_mean_percentile": g["pct_w"] / g["w"],
        }
    )


def deprivation_by_la(
    iod: pd.DataFrame,
    population_lsoa: pd.DataFrame,
    releases: Sequence[str] | None = None,
    band_pct: float = 20,
    release_order: Sequence[str] = (),
    census_label: str = CENSUS_LABEL,
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
        The latest census's children aged 0-15 by LSOA (``lsoa_code``, ``population``).
    releases : sequence of str, optional
        IoD releases to summarise (default: every release in ``iod``, in ``release_order``).
    band_pct : float, default 20
        The "most deprived" band in percent.
    release_order : sequence of str, optional
        Release labels oldest first (the registry's); unknown labels come last, sorted.
    census_label : str, optional
        The census's name, for the weights column (the registry's label).

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
        releases = in_release_order(iod["release"].unique(), release_order)
    frames = []
    for release in releases:
        sel = iod[(iod["release"] == release)].dropna(subset=["idaci_rank"]).copy()
        if not sel.empty:
            frames.append(_release_summary(sel, census, release, band_pct, census_label))
    if not frames:
        raise ValueError("no IDACI ranks for the releases asked for")
    return pd.concat(frames, ignore_index=True)
