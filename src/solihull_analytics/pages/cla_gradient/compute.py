"""Page 04's statistics: pure functions, DataFrames and plain values in, results out.

:func:`cohort_groups` splits the cohort's children by where their home postcode puts them,
:func:`decile_inputs` counts the children placed in the authority and the children living there
by national IDACI decile, :func:`decile_statistics` gives the rates per 10,000 with 95% CIs, the
ratio of the most to the least deprived decile and the slope and relative indices of inequality,
and :func:`audit_derived` / :func:`sii_rounding` decide whether (and how rounded) SII and RII can
be published without revealing a suppressed count. Nothing here reads a file or a table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb

import numpy as np
import pandas as pd

from solihull_analytics.methods.inequality import (
    DEFAULT_SII_DEFINITION,
    rate_ratio_ci,
    sii_rii_from_fit,
    slope_index_of_inequality,
)
from solihull_analytics.methods.rates import poisson_rate_ci, rate_per_10k

#: Roundings tried for SII (decimals) and RII (decimals), finest first.
ROUNDINGS = ((1, 2), (0, 1), (-1, 0))
#: The cohort's groups, in the order the page lists them (labels in :mod:`.published`).
GROUP_KEYS = ("uasc", "no_postcode", "not_found", "outside", "in_area")


def cohort_groups(
    children: pd.DataFrame, lsoa_of_postcode: pd.Series, la_lsoas: set[str] | pd.Index
) -> tuple[pd.Series, pd.Series]:
    """Split the cohort's children by where their home postcode puts them.

    Parameters
    ----------
    children : pandas.DataFrame
        :attr:`solihull_analytics.ssda903.Cohort.children` (``postcode``, ``uasc``).
    lsoa_of_postcode : pandas.Series
        LSOA code by normalised postcode (postcodes not found are absent).
    la_lsoas : set or Index
        The authority's LSOA codes.

    Returns
    -------
    groups : pandas.Series
        Children by group, indexed by :data:`GROUP_KEYS`: UASC (whatever their postcode), then
        the others with no postcode, a postcode not found, a home outside the authority, a home
        in it.
    in_area_lsoa : pandas.Series
        The LSOA of each child placed in the authority.
    """
    non_uasc = children[~children["uasc"]]
    lsoa = non_uasc["postcode"].map(lsoa_of_postcode)
    has_pc = non_uasc["postcode"] != ""
    in_area = lsoa.isin(set(la_lsoas))
    groups = pd.Series(
        {
            "uasc": int(children["uasc"].sum()),
            "no_postcode": int((~has_pc).sum()),
            "not_found": int((has_pc & lsoa.isna()).sum()),
            "outside": int((lsoa.notna() & ~in_area).sum()),
            "in_area": int(in_area.sum()),
        }
    )
    return groups, lsoa[in_area]


def decile_inputs(
    in_area_lsoa: pd.Series, decile_of_lsoa: pd.Series, population: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Children placed in the authority, children living there and LSOAs, by IDACI decile.

    Parameters
    ----------
    in_area_lsoa : pandas.Series
        The LSOA of each child placed in the authority.
    decile_of_lsoa : pandas.Series
        National IDACI decile of each of the authority's LSOAs (indexed by LSOA code).
    population : pandas.Series
        Children per LSOA (the denominators), indexed by LSOA code.

    Returns
    -------
    counts, populations, lsoas : pandas.Series
        Indexed by decile (only deciles with children / LSOAs; populations summed with
        ``min_count=1``, so a decile whose LSOAs all lack a population is missing, not zero).
    """
    counts = in_area_lsoa.map(decile_of_lsoa).value_counts()
    populations = (
        pd.DataFrame({"decile": decile_of_lsoa, "pop": population.reindex(decile_of_lsoa.index)})
        .groupby("decile")["pop"]
        .sum(min_count=1)
    )
    return counts, populations, decile_of_lsoa.value_counts()


@dataclass
class DecileStatistics:
    """Unsuppressed statistics by decile (internal; publish via :class:`GradientResult`)."""

    table: pd.DataFrame  # decile, lsoas, population, count, rate, lower, upper
    most: int
    least: int
    ratio: float
    ratio_lower: float
    ratio_upper: float
    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    overall_rate: float
    sii_method: str
    fitted: pd.Series = field(repr=False)  # fitted rate by decile
    sii_definition: str = DEFAULT_SII_DEFINITION

    @property
    def rises_with_deprivation(self) -> bool:
        """Whether the fitted rate is higher at the most deprived end."""
        return (self.sii < 0) if self.sii_definition == "phe" else (self.sii > 0)


def _no_gradient(table: pd.DataFrame, most: int, least: int, overall: float) -> DecileStatistics:
    """Statistics when the authority's neighbourhoods all fall in one national decile.

    A very small LA (e.g. the Isles of Scilly) can sit in a single national decile: there is no
    gradient to estimate, which the page says instead of failing.
    """
    nan = float("nan")
    return DecileStatistics(
        table=table,
        most=most,
        least=least,
        ratio=nan,
        ratio_lower=nan,
        ratio_upper=nan,
        sii=nan,
        sii_lower=nan,
        sii_upper=nan,
        rii=nan,
        rii_lower=nan,
        rii_upper=nan,
        overall_rate=overall,
        sii_method=(
            "not computed: the authority's neighbourhoods all fall in one national IDACI "
            "decile, so there is no gradient to estimate"
        ),
        fitted=pd.Series(dtype=float),
    )


def decile_statistics(
    counts: pd.Series,
    populations: pd.Series,
    lsoas: pd.Series | None = None,
    *,
    n_sims: int = 1000,
    seed: int = 20240331,
    sii_definition: str = DEFAULT_SII_DEFINITION,
) -> DecileStatistics:
    """Rates by decile, the most/least deprived ratio and SII/RII.

    Parameters
    ----------
    counts, populations : pandas.Series
        Indexed by decile 1..10; deciles with no population are reported but left out of the
        ratio and SII.
    lsoas : pandas.Series, optional
        Number of LSOAs in each decile, for the table.
    n_sims : int, default 1000
        Monte Carlo simulations for the SII/RII limits.
    seed : int
        Seed for those simulations.
    sii_definition : {"phe", "gap"}, default "phe"
        SII/RII definition (see :mod:`solihull_analytics.methods.inequality`).

    Returns
    -------
    DecileStatistics
        The ratio compares the most and the least deprived deciles that have children living
        in the area (normally deciles 1 and 10).
    """
    idx = pd.Index(range(1, 11), name="idaci_decile")
    counts = counts.reindex(idx, fill_value=0).astype(float)
    populations = populations.reindex(idx, fill_value=0).astype(float)
    ci = poisson_rate_ci(counts, populations)
    table = pd.DataFrame(
        {
            "lsoas": (lsoas.reindex(idx, fill_value=0) if lsoas is not None else np.nan),
            "population": populations,
            "count": counts,
            "rate": rate_per_10k(counts, populations),
            "lower": ci.lower,
            "upper": ci.upper,
        },
        index=idx,
    )
    present = table[table["population"] > 0]
    most, least = int(present.index.min()), int(present.index.max())
    rr = rate_ratio_ci(counts[most], populations[most], counts[least], populations[least])
    overall = counts.sum() / populations.sum() * 10_000
    if len(present) < 2:
        return _no_gradient(table, most, least, float(overall))
    sii = slope_index_of_inequality(
        present["count"],
        present["population"],
        order=present.index,
        n_sims=n_sims,
        seed=seed,
        definition=sii_definition,
    )
    fitted = pd.Series(sii.groups["fitted_rate"].to_numpy(), index=sii.groups["order"].to_numpy())
    return DecileStatistics(
        table=table,
        most=most,
        least=least,
        ratio=float(rr.ratio),
        ratio_lower=float(rr.lower),
        ratio_upper=float(rr.upper),
        sii=float(sii.sii),
        sii_lower=sii.sii_lower,
        sii_upper=sii.sii_upper,
        rii=sii.rii,
        rii_lower=sii.rii_lower,
        rii_upper=sii.rii_upper,
        overall_rate=float(overall),
        sii_method=sii.method,
        fitted=fitted,
        sii_definition=sii_definition,
    )


def _sii_rii_many(
    counts: np.ndarray, populations: np.ndarray, definition: str = DEFAULT_SII_DEFINITION
) -> tuple[np.ndarray, np.ndarray]:
    """SII and RII for many count vectors at once (rows), same fit as the inequality module."""
    shares = populations / populations.sum()
    mid = np.cumsum(shares) - shares / 2
    design = np.column_stack([np.ones_like(mid), mid])
    wd = design * populations[:, None]
    proj = np.linalg.solve(design.T @ wd, wd.T)
    rates = counts / populations * 10_000
    overall = counts.sum(axis=1) / populations.sum() * 10_000
    return sii_rii_from_fit(rates @ proj[0], rates @ proj[1], overall, definition)


def _compositions(total: int, parts: int, limit: int) -> np.ndarray | None:
    """All ways to write ``total`` as ``parts`` non-negative integers (None if too many)."""
    if comb(total + parts - 1, parts - 1) > limit:
        return None
    rows = []
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(parts)])
    return np.array(rows, dtype=float).reshape(-1, parts)


def audit_derived(
    counts: pd.Series,
    populations: pd.Series,
    hidden: pd.Series,
    primary: pd.Series,
    sii_decimals: int,
    rii_decimals: int,
    limit: int = 300_000,
    definition: str = DEFAULT_SII_DEFINITION,
) -> bool:
    """Whether publishing rounded SII and RII leaves every hidden count undetermined.

    A reader knows the shown counts, the total, the populations and the rounded SII and RII.
    Every way of filling the hidden cells with non-negative counts that add up to the total is
    tried; the values are safe when each primary-suppressed cell can still take at least two
    values consistent with everything published.

    Parameters
    ----------
    counts, populations : pandas.Series
        By group (deciles with population only), most deprived first.
    hidden, primary : pandas.Series of bool
        Suppression masks (all suppressed; primary only).
    sii_decimals, rii_decimals : int
        Rounding of the published values (as for :func:`round`).
    limit : int, default 300_000
        Most completions to enumerate; above it the hidden cells are taken as safe (many hidden
        cells with a large hidden total cannot all be pinned by two numbers).
    definition : {"phe", "gap"}
        SII/RII definition of the published values.

    Returns
    -------
    bool
    """
    hidden_pos = np.flatnonzero(hidden.to_numpy(dtype=bool))
    if hidden_pos.size == 0:
        return True
    values = counts.to_numpy(dtype=float)
    pops = populations.to_numpy(dtype=float)
    total_hidden = int(values[hidden_pos].sum())
    comps = _compositions(total_hidden, hidden_pos.size, limit)
    if comps is None:
        return True
    cand = np.repeat(values[None, :], len(comps), axis=0)
    cand[:, hidden_pos] = comps
    sii, rii = _sii_rii_many(cand, pops, definition)
    sii_true, rii_true = _sii_rii_many(values[None, :], pops, definition)
    with np.errstate(invalid="ignore"):
        ok = (np.round(sii, sii_decimals) == np.round(sii_true[0], sii_decimals)) & (
            (np.round(rii, rii_decimals) == np.round(rii_true[0], rii_decimals))
            | (np.isnan(rii) & np.isnan(rii_true[0]))
        )
    feasible = cand[ok]
    prim = primary.to_numpy(dtype=bool)
    return all(np.unique(feasible[:, j]).size >= 2 for j in hidden_pos if prim[j])




def sii_rounding(
    table: pd.DataFrame,
    hidden: pd.Series,
    primary: pd.Series,
    definition: str = DEFAULT_SII_DEFINITION,
) -> tuple[int, int] | None:
    """The finest rounding of :data:`ROUNDINGS` at which SII and RII reveal no hidden count.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`DecileStatistics.table` (``population``, ``count``), indexed by decile.
    hidden, primary : pandas.Series of bool
        By decile: the count is suppressed; it is suppressed as a small count itself.
    definition : {"phe", "gap"}
        SII/RII definition.

    Returns
    -------
    tuple of int or None
        Decimals for SII and RII, or None when no rounding passes :func:`audit_derived`.
    """
    present = table["population"] > 0
    for sii_decimals, rii_decimals in ROUNDINGS:
        if audit_derived(
            table.loc[present, "count"],
            table.loc[present, "population"],
            hidden[present],
            primary[present],
            sii_decimals,
            rii_decimals,
            definition=definition,
        ):
            return sii_decimals, rii_decimals
    return None
