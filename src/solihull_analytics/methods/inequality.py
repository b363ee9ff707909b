"""Measures of inequality between areas or deprivation groups.

- :func:`rate_ratio_ci`: the ratio of two crude rates with a confidence interval.
- :func:`slope_index_of_inequality`: the slope and relative indices of inequality (SII, RII)
  across groups ordered by deprivation (e.g. IDACI deciles), following the PHE method.

Two definitions of SII and RII are offered (:data:`SII_DEFINITIONS`):

- ``"phe"`` (default), as OHID's PHEindicatormethods ``phe_sii`` and Fingertips define them:
  ``SII = fitted(1) - fitted(0)``, the fitted rate at the least deprived end minus the fitted
  rate at the most deprived end (negative when rates are higher in more deprived groups), and
  ``RII = fitted(1) / fitted(0)``. The RII can be negative, or undefined, when the fitted
  line crosses zero before the least deprived end (steep gradients, small counts).
- ``"gap"``: ``SII = fitted(0) - fitted(1)`` (positive when more deprived groups have higher
  rates) and ``RII = SII / overall rate``, which stays finite on steep gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.regression.linear_model import WLS
from statsmodels.tools.tools import add_constant

from solihull_analytics.methods.rates import PER_10K

ArrayLike = Any  # scalar, sequence, numpy array or pandas Series
#: SII/RII definitions: "phe" (PHEindicatormethods / Fingertips) and "gap" (see module docstring).
SII_DEFINITIONS = ("phe", "gap")
DEFAULT_SII_DEFINITION = "phe"


@dataclass(frozen=True)
class RateRatio:
    """A rate ratio and its confidence limits, shaped like the inputs.

    Attributes
    ----------
    ratio, lower, upper : float or numpy.ndarray
        The ratio of rate A to rate B and its limits.
    level : float
        Confidence level of the limits.
    """

    ratio: Any
    lower: Any
    upper: Any
    level: float


def _scalar_or_array(values: np.ndarray) -> Any:
    return float(values) if values.ndim == 0 else values


def rate_ratio_ci(
    count_a: ArrayLike,
    pop_a: ArrayLike,
    count_b: ArrayLike,
    pop_b: ArrayLike,
    level: float = 0.95,
) -> RateRatio:
    """Ratio of the rate in group A to the rate in group B, with a log-method interval.

    The interval is ``exp(log(RR) -/+ z * SE)`` with ``SE = sqrt(1/a + 1/b)``, where ``a`` and
    ``b`` are the two counts and ``z = norm.ppf(1 - alpha/2)``.

    Parameters
    ----------
    count_a, pop_a : scalar or array-like
        Count and population of group A (the numerator rate).
    count_b, pop_b : scalar or array-like
        Count and population of group B (the comparator rate).
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    RateRatio
        Ratio and limits. Where either count is 0 the standard error is infinite, so both
        limits are ``nan`` (the log method cannot give an interval); the ratio itself is 0 when
        only ``count_a`` is 0 and ``nan`` when ``count_b`` is 0. A population of zero or less
        also gives ``nan``.

    Raises
    ------
    ValueError
        If a count is negative or ``level`` is outside (0, 1).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    counts_a = np.asarray(count_a, dtype=float)
    counts_b = np.asarray(count_b, dtype=float)
    pops_a = np.asarray(pop_a, dtype=float)
    pops_b = np.asarray(pop_b, dtype=float)
    if np.any(counts_a < 0) or np.any(counts_b < 0):
        raise ValueError("counts must not be negative")
    z = norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = (pops_a > 0) & (pops_b > 0) & (counts_b > 0)
        ratio = np.where(valid, (counts_a / pops_a) / (counts_b / pops_b), np.nan)
        has_interval = valid & (counts_a > 0)
        log_se = np.sqrt(1 / counts_a + 1 / counts_b)
        lower = np.where(has_interval, ratio * np.exp(-z * log_se), np.nan)
        upper = np.where(has_interval, ratio * np.exp(z * log_se), np.nan)
    return RateRatio(
        _scalar_or_array(ratio), _scalar_or_array(lower), _scalar_or_array(upper), level
    )


@dataclass(frozen=True)
class SlopeIndexResult:
    """Slope and relative index of inequality with Monte Carlo confidence limits.

    Attributes
    ----------
    sii, sii_lower, sii_upper : float
        Slope index of inequality (rate per ``per``) and its limits. With the ``"phe"``
        definition negative means higher rates in more deprived groups; with ``"gap"``,
        positive does.
    rii, rii_lower, rii_upper : float
        Relative index of inequality and its limits (``fitted(1) / fitted(0)`` for ``"phe"``,
        ``sii / overall rate`` for ``"gap"``). The limits are ``nan`` if the ratio is undefined
        in any simulation (a fitted rate of 0 at the most deprived end, or no children at all).
    level : float
        Confidence level of the limits.
    n_sims : int
        Number of Monte Carlo simulations behind the limits.
    method : str
        Plain-English description of the method, for footnotes.
    groups : pandas.DataFrame
        One row per group, most deprived first: ``order``, ``count``, ``population``,
        ``population_share``, ``midpoint_rank``, ``rate`` and ``fitted_rate``.
    """

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    level: float
    n_sims: int
    method: str
    groups: pd.DataFrame = field(repr=False)
    definition: str = DEFAULT_SII_DEFINITION


#: One sentence per definition, for methods notes.
DEFINITION_TEXT = {
    "phe": "SII = fitted rate at the least deprived end minus fitted rate at the most deprived "
    "end, and RII = the ratio of those two fitted rates (least / most deprived), as in OHID's "
    "PHEindicatormethods and Fingertips.",
    "gap": "SII = fitted rate at the most deprived end minus fitted rate at the least deprived "
    "end; RII = SII / overall rate.",
}


def sii_rii_from_fit(
    intercept: np.ndarray, slope: np.ndarray, overall_rate: np.ndarray, definition: str
) -> tuple[np.ndarray, np.ndarray]:
    """SII and RII from fitted lines ``rate = intercept + slope * rank`` (arrays, elementwise).

    Parameters
    ----------
    intercept, slope : numpy.ndarray
        Fitted rate at rank 0 (most deprived end) and slope per unit rank.
    overall_rate : numpy.ndarray
        Total count over total population (used by ``"gap"`` only).
    definition : {"phe", "gap"}
        See the module docstring.

    Returns
    -------
    tuple of numpy.ndarray
        SII and RII; the RII is ``nan`` where it is undefined (division by zero).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if definition == "phe":
            rii = np.where(intercept != 0, (intercept + slope) / intercept, np.nan)
            return slope, rii
        sii = -slope
        return sii, np.where(overall_rate > 0, sii / overall_rate, np.nan)


def slope_index_of_inequality(
    counts: ArrayLike,
    populations: ArrayLike,
    order: ArrayLike | None = None,
    *,
    per: float = PER_10K,
    level: float = 0.95,
    n_sims: int = 1000,
    seed: int | np.random.Generator | None = 20240331,
    definition: str = DEFAULT_SII_DEFINITION,
) -> SlopeIndexResult:
    """Slope index (SII) and relative index (RII) of inequality across deprivation groups.

    Method (after PHE's SII guidance):

    1. Groups are sorted by ``order``, most deprived first (e.g. IDACI decile 1..10).
    2. Each group's share of the total population is computed, and its midpoint rank is the
       cumulative share up to the group minus half its own share, so ranks lie in 0..1 with
       0 the most deprived end.
    3. Each group's crude rate per ``per`` is regressed on its midpoint rank by weighted least
       squares (statsmodels ``WLS``) with **population weights**. Population weights are used
       rather than inverse-variance weights because they stay defined when a group has a
       count of zero, which is common for small authorities.
    4. ``definition="phe"`` (default, as PHEindicatormethods and Fingertips):
       ``SII = fitted(1) - fitted(0)`` = the slope, and ``RII = fitted(1) / fitted(0)``. A
       negative SII (RII below 1) means higher rates in more deprived groups. The RII is
       unstable, or negative, when the fitted rate at the least deprived end nears zero.
    5. ``definition="gap"``: ``SII = fitted(0) - fitted(1)`` = minus the slope (positive
       means higher rates in more deprived groups) and ``RII = SII / overall rate``, where
       the overall rate is total count over total population (the fitted rate at the
       population-weighted mean rank), which stays finite on steep gradients.
    6. Confidence limits come from Monte Carlo simulation: each group's count is redrawn
       ``n_sims`` times from a Poisson distribution with mean equal to its observed count
       (populations held fixed), SII and RII are recomputed for each draw, and the limits are
       the ``alpha/2`` and ``1 - alpha/2`` percentiles of the simulated values.

    Parameters
    ----------
    counts : array-like or pandas.Series
        Number of children in each group (non-negative).
    populations : array-like or pandas.Series
        Population of each group (positive).
    order : array-like, optional
        Deprivation order of each group, smaller = more deprived (e.g. IDACI decile with 1
        the most deprived). Values must be distinct. If omitted, the groups are taken as
        already ordered from most to least deprived.
    per : float, default 10_000
        Multiplier the rates are expressed per.
    level : float, default 0.95
        Confidence level of the Monte Carlo limits.
    n_sims : int, default 1000
        Number of simulations.
    seed : int, numpy.random.Generator or None, default 20240331
        Seed (or generator) for the simulations; a fixed default makes results reproducible.
    definition : {"phe", "gap"}, default "phe"
        Which SII/RII definition to use (see steps 4 and 5).

    Returns
    -------
    SlopeIndexResult

    Raises
    ------
    ValueError
        If there are fewer than two groups, lengths differ, a population is not positive, a
        count is negative or missing, ``order`` has repeated values, or ``n_sims < 2``.
    """
    count_values, population_values, order_values = _checked_groups(
        counts, populations, order, level=level, n_sims=n_sims, definition=definition
    )

    shares = population_values / population_values.sum()
    midpoints = np.cumsum(shares) - shares / 2
    rates = count_values / population_values * per
    overall_rate = count_values.sum() / population_values.sum() * per

    design = add_constant(midpoints, has_constant="add")
    fit = WLS(rates, design, weights=population_values).fit()
    intercept, slope = (float(value) for value in fit.params)
    sii, rii = sii_rii_from_fit(
        np.array([intercept]), np.array([slope]), np.array([overall_rate]), definition
    )

    sii_lower, sii_upper, rii_lower, rii_upper = _simulated_limits(
        design, count_values, population_values, per=per, level=level, n_sims=n_sims,
        seed=seed, definition=definition,
    )

    groups = pd.DataFrame(
        {
            "order": order_values,
            "count": count_values,
            "population": population_values,
            "population_share": shares,
            "midpoint_rank": midpoints,
            "rate": rates,
            "fitted_rate": intercept + slope * midpoints,
        }
    )
    return SlopeIndexResult(
        sii=float(sii[0]),
        sii_lower=float(sii_lower),
        sii_upper=float(sii_upper),
        rii=float(rii[0]),
        rii_lower=float(rii_lower),
        rii_upper=float(rii_upper),
        level=level,
        n_sims=n_sims,
        method=_method_text(per, definition, level, n_sims),
        groups=groups,
        definition=definition,
    )


def _method_text(per: float, definition: str, level: float, n_sims: int) -> str:
    """The sentence describing the SII method, for :attr:`SlopeIndexResult.method`."""
    return (
        f"Slope index of inequality: population-weighted least-squares regression of the rate "
        f"per {per:,.0f} on the midpoint of each group's cumulative population rank (0 = most "
        f"deprived, 1 = least deprived); {DEFINITION_TEXT[definition]} "
        f"{level:.1%} confidence limits from {n_sims} Monte Carlo simulations of Poisson "
        f"counts per group."
    )


def _checked_groups(
    counts: ArrayLike,
    populations: ArrayLike,
    order: ArrayLike | None,
    *,
    level: float,
    n_sims: int,
    definition: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arguments of :func:`slope_index_of_inequality` checked (``ValueError`` as it
    documents), and counts, populations and order as arrays sorted most deprived first."""
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    if n_sims < 2:
        raise ValueError("n_sims must be at least 2")
    if definition not in SII_DEFINITIONS:
        raise ValueError(f"definition must be one of {SII_DEFINITIONS}, got {definition!r}")
    count_values = np.asarray(counts, dtype=float).reshape(-1)
    population_values = np.asarray(populations, dtype=float).reshape(-1)
    n_groups = count_values.size
    order_values = np.arange(1, n_groups + 1) if order is None else np.asarray(order).reshape(-1)
    if not n_groups == population_values.size == order_values.size:
        raise ValueError("counts, populations and order must have the same length")
    if n_groups < 2:
        raise ValueError("at least two groups are needed to fit a slope")
    if np.any(np.isnan(count_values)) or np.any(count_values < 0):
        raise ValueError("counts must be non-negative and not missing")
    if not np.all(population_values > 0):
        raise ValueError("populations must be positive")
    if pd.Series(order_values).duplicated().any():
        raise ValueError("order must not contain repeated values")

    sort = np.argsort(order_values, kind="stable")
    count_values = count_values[sort]
    population_values = population_values[sort]
    order_values = order_values[sort]
    return count_values, population_values, order_values


def _simulated_limits(
    design: np.ndarray,
    count_values: np.ndarray,
    population_values: np.ndarray,
    *,
    per: float,
    level: float,
    n_sims: int,
    seed: int | np.random.Generator | None,
    definition: str,
) -> tuple[float, float, float, float]:
    """Monte Carlo confidence limits (SII lower, upper, RII lower, upper) from Poisson redraws
    of each group's count, populations held fixed (step 6 of
    :func:`slope_index_of_inequality`)."""
    # WLS estimates are linear in the rates, (X'WX)^-1 X'W y, so the simulations reuse this
    # projection instead of refitting the model 1000 times.
    weighted_design = design * population_values[:, None]
    projection = np.linalg.solve(design.T @ weighted_design, weighted_design.T)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    simulated_counts = rng.poisson(count_values, size=(n_sims, count_values.size))
    simulated_rates = simulated_counts / population_values * per
    simulated_sii, simulated_rii = sii_rii_from_fit(
        simulated_rates @ projection[0],
        simulated_rates @ projection[1],
        simulated_counts.sum(axis=1) / population_values.sum() * per,
        definition,
    )

    tail = (1 - level) / 2 * 100
    sii_lower, sii_upper = np.percentile(simulated_sii, [tail, 100 - tail])
    if not np.isfinite(simulated_rii).all():
        rii_lower = rii_upper = np.nan
    else:
        rii_lower, rii_upper = np.percentile(simulated_rii, [tail, 100 - tail])
    return sii_lower, sii_upper, rii_lower, rii_upper
