"""Rates per 10,000 children, their confidence intervals, changes over time and funnel limits.

Every function here is pure and vectorised: inputs may be scalars, numpy arrays or pandas
Series. A scalar input gives a ``float`` back, an array gives an array, and a Series gives a
Series with the same index. When two Series are passed together their indexes must be equal;
they are never silently re-aligned.

The confidence intervals follow the PHE/OHID Fingertips methods for crude rates: the exact
Poisson interval (written with chi-square quantiles) when the count is below 10 and Byar's
approximation to it when the count is 10 or more. Funnel limits and positions follow OHID's
Fingertips funnel method (:func:`funnel_limits`, :func:`funnel_position`), checked against
OHID's PHStatsMethods in ``tests/test_funnels_reference.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import pdtrik
from scipy.stats import chi2, norm

PER_10K = 10_000
BYAR_MINIMUM_COUNT = 10

ArrayLike = Any  # scalar, sequence, numpy array or pandas Series


def _check_same_index(*values: ArrayLike) -> None:
    indexes = [value.index for value in values if isinstance(value, pd.Series)]
    for index in indexes[1:]:
        if not index.equals(indexes[0]):
            raise ValueError("pandas Series passed together must share the same index")


def _as_float_array(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _like_input(result: np.ndarray, *templates: ArrayLike) -> Any:
    """Return ``result`` shaped like the first Series in ``templates``, else array or float."""
    for template in templates:
        if isinstance(template, pd.Series):
            return pd.Series(result, index=template.index)
    if np.ndim(result) == 0:
        return float(result)
    return result


def _alpha(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return 1.0 - level


def rate_per_10k(count: ArrayLike, population: ArrayLike, per: float = PER_10K) -> Any:
    """Crude rate per 10,000 (or per ``per``) population.

    Parameters
    ----------
    count : scalar, array-like or pandas.Series
        Number of children (the numerator).
    population : scalar, array-like or pandas.Series
        Population at risk (the denominator), e.g. mid-year estimate of children aged 0-17.
    per : float, default 10_000
        Multiplier; the result is ``count / population * per``.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The rate, shaped like the input. A population of zero or less gives ``nan``.
    """
    _check_same_index(count, population)
    counts = _as_float_array(count)
    populations = _as_float_array(population)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(populations > 0, counts / populations * per, np.nan)
    return _like_input(rates, count, population)


@dataclass(frozen=True)
class ConfidenceInterval:
    """Lower and upper confidence limits, shaped like the inputs that produced them.

    Attributes
    ----------
    lower, upper : float, numpy.ndarray or pandas.Series
        The limits. Scalars give floats, arrays give arrays, Series give Series.
    level : float
        Confidence level, e.g. 0.95.
    """

    lower: Any
    upper: Any
    level: float

    def to_frame(self) -> pd.DataFrame:
        """Return the limits as a DataFrame with columns ``lower`` and ``upper``."""
        index = self.lower.index if isinstance(self.lower, pd.Series) else None
        return pd.DataFrame(
            {
                "lower": np.atleast_1d(np.asarray(self.lower, dtype=float)),
                "upper": np.atleast_1d(np.asarray(self.upper, dtype=float)),
            },
            index=index,
        )


def _exact_poisson_count_limits(counts: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    # chi2 with zero degrees of freedom is undefined, so the lower limit at O = 0 is set to 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(counts > 0, chi2.ppf(alpha / 2, 2 * counts) / 2, 0.0)
        upper = chi2.ppf(1 - alpha / 2, 2 * counts + 2) / 2
    return lower, upper


def _byar_count_limits(counts: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = counts * (1 - 1 / (9 * counts) - z / (3 * np.sqrt(counts))) ** 3
        upper = (counts + 1) * (1 - 1 / (9 * (counts + 1)) + z / (3 * np.sqrt(counts + 1))) ** 3
    return lower, upper


def poisson_count_ci(count: ArrayLike, level: float = 0.95) -> ConfidenceInterval:
    """Confidence interval for a Poisson count by the Fingertips method.

    Counts below 10 use the exact interval, ``chi2.ppf(alpha/2, 2*O) / 2`` to
    ``chi2.ppf(1 - alpha/2, 2*O + 2) / 2`` (lower limit 0 when ``O == 0``). Counts of 10 or more
    use Byar's approximation,
    ``O * (1 - 1/(9*O) - z/(3*sqrt(O)))**3`` to
    ``(O + 1) * (1 - 1/(9*(O + 1)) + z/(3*sqrt(O + 1)))**3`` with ``z = norm.ppf(1 - alpha/2)``.

    Parameters
    ----------
    count : scalar, array-like or pandas.Series
        Observed counts; must not be negative. ``nan`` gives ``nan`` limits.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1 (e.g. 0.998 for 99.8% limits).

    Returns
    -------
    ConfidenceInterval
        Limits for the count, shaped like ``count``.

    Raises
    ------
    ValueError
        If any count is negative or ``level`` is outside (0, 1).
    """
    alpha = _alpha(level)
    counts = _as_float_array(count)
    if np.any(counts < 0):
        raise ValueError("counts must not be negative")
    exact_lower, exact_upper = _exact_poisson_count_limits(counts, alpha)
    byar_lower, byar_upper = _byar_count_limits(counts, alpha)
    use_byar = counts >= BYAR_MINIMUM_COUNT
    missing = np.isnan(counts)
    lower = np.where(missing, np.nan, np.where(use_byar, byar_lower, exact_lower))
    upper = np.where(missing, np.nan, np.where(use_byar, byar_upper, exact_upper))
    return ConfidenceInterval(_like_input(lower, count), _like_input(upper, count), level)


def poisson_rate_ci(
    count: ArrayLike,
    population: ArrayLike,
    per: float = PER_10K,
    level: float = 0.95,
) -> ConfidenceInterval:
    """Confidence interval for a crude rate per 10,000, by the Fingertips method.

    The count limits from :func:`poisson_count_ci` (exact Poisson below 10, Byar's
    approximation from 10) are divided by the population and multiplied by ``per``.

    Parameters
    ----------
    count : scalar, array-like or pandas.Series
        Observed counts; must not be negative.
    population : scalar, array-like or pandas.Series
        Populations; a population of zero or less gives ``nan`` limits.
    per : float, default 10_000
        Multiplier the rate is expressed per.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1; 0.998 gives 99.8% limits.

    Returns
    -------
    ConfidenceInterval
        ``lower`` and ``upper`` rate limits shaped like the inputs; call ``.to_frame()`` for a
        DataFrame with columns ``lower`` and ``upper``.
    """
    _check_same_index(count, population)
    count_limits = poisson_count_ci(_as_float_array(count), level)
    populations = _as_float_array(population)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(populations > 0, count_limits.lower / populations * per, np.nan)
        upper = np.where(populations > 0, count_limits.upper / populations * per, np.nan)
    return ConfidenceInterval(
        _like_input(lower, count, population), _like_input(upper, count, population), level
    )


def _per_label(per: float) -> str:
    if per >= 1000 and per % 1000 == 0:
        return f"per_{int(per // 1000)}k"
    return f"per_{per:g}"


def add_rate_columns(
    df: pd.DataFrame,
    count_col: str,
    population_col: str,
    prefix: str,
    per: float = PER_10K,
    level: float = 0.95,
) -> pd.DataFrame:
    """Return a copy of ``df`` with a rate and its confidence limits added.

    Three columns are added (shown for the default ``per=10_000``):

    - ``<prefix>_rate_per_10k``: the crude rate;
    - ``<prefix>_ci_lower`` and ``<prefix>_ci_upper``: its limits at ``level``, by
      :func:`poisson_rate_ci`.

    For other multipliers the rate column says so, e.g. ``per=1000`` gives
    ``<prefix>_rate_per_1k``.

    Parameters
    ----------
    df : pandas.DataFrame
        Input table; it is not modified.
    count_col, population_col : str
        Names of the count and population columns.
    prefix : str
        Prefix for the new column names, e.g. ``"cla"``.
    per : float, default 10_000
        Multiplier the rate is expressed per.
    level : float, default 0.95
        Confidence level for the limits.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the three columns appended.
    """
    result = df.copy()
    counts = result[count_col]
    populations = result[population_col]
    interval = poisson_rate_ci(counts, populations, per=per, level=level)
    result[f"{prefix}_rate_{_per_label(per)}"] = rate_per_10k(counts, populations, per=per)
    result[f"{prefix}_ci_lower"] = interval.lower
    result[f"{prefix}_ci_upper"] = interval.upper
    return result


def percent_change(start: ArrayLike, end: ArrayLike) -> Any:
    """Percentage change from ``start`` to ``end``: ``(end - start) / start * 100``.

    Parameters
    ----------
    start, end : scalar, array-like or pandas.Series
        Values at the start and end of the period (e.g. rates in 2015 and 2025).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The change in percent; ``nan`` where ``start`` is 0 (no finite percentage exists).
    """
    _check_same_index(start, end)
    starts = _as_float_array(start)
    ends = _as_float_array(end)
    with np.errstate(divide="ignore", invalid="ignore"):
        changes = np.where(starts != 0, (ends - starts) / starts * 100, np.nan)
    return _like_input(changes, start, end)


def ratio_of_changes(change_a: ArrayLike, change_b: ArrayLike) -> Any:
    """How many times faster ``a`` grew than ``b``: ``change_a / change_b``.

    Used for statements such as "the local rate rose 2.3 times faster than England's".

    Parameters
    ----------
    change_a, change_b : scalar, array-like or pandas.Series
        Percentage changes, e.g. from :func:`percent_change`.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``change_a / change_b`` where ``change_b > 0``. Where ``change_b`` is 0 or negative the
        result is ``nan``: "x times faster" has no sensible reading when the comparator did not
        grow. A negative ``change_a`` against a positive ``change_b`` gives a negative ratio.
    """
    _check_same_index(change_a, change_b)
    changes_a = _as_float_array(change_a)
    changes_b = _as_float_array(change_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(changes_b > 0, changes_a / changes_b, np.nan)
    return _like_input(ratios, change_a, change_b)


def _level_label(level: float) -> str:
    percent = f"{level * 100:.6g}"
    return percent.replace(".", "_")


#: Funnel-plot positions, from the highest to the lowest. They are OHID's five significance
#: classes ("High (0.001)", "High (0.025)", "Not significant", "Low (0.025)", "Low (0.001)").
FUNNEL_POSITIONS = ("above 99.8%", "above 95%", "within 95%", "below 95%", "below 99.8%")


def _funnel_count_limits(expected: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """OHID's funnel limits for a count with mean ``expected``, as continuous counts."""
    # pdtrik(p, E) is the (continuous) k with P(X <= k | E) = p, i.e. gammaincc(k + 1, E) = p.
    # Lower limit: the count whose exact upper limit is E, so P(X <= k | E) = alpha/2; where
    # exp(-E) >= alpha/2 even a count of 0 has an upper limit above E, and the limit is 0.
    # Upper limit: the count whose exact lower limit is E, so P(X <= k - 1 | E) = 1 - alpha/2.
    with np.errstate(invalid="ignore"):
        lower = np.maximum(pdtrik(alpha / 2, expected), 0.0)
        upper = np.where(expected > 0, pdtrik(1 - alpha / 2, expected) + 1, 0.0)
    missing = ~(expected >= 0)
    return np.where(missing, np.nan, lower), np.where(missing, np.nan, upper)


def funnel_limits(
    target_rate_per_10k: float,
    populations: ArrayLike,
    levels: Iterable[float] = (0.95, 0.998),
    per: float = PER_10K,
) -> pd.DataFrame:
    """Funnel-plot control limits for a crude rate around a target, by OHID's method.

    This is the method of OHID's Fingertips funnel plots (``calculate_funnel_limits`` in
    PHEindicatormethods and PHStatsMethods): a count ``O`` lies on a limit when the exact
    Poisson confidence interval of ``O`` just reaches the expected count
    ``E = target * population / per``. The limits, as counts, solve::

        lower: P(X <= O | E) = alpha/2            (0 where exp(-E) >= alpha/2)
        upper: P(X <= O - 1 | E) = 1 - alpha/2

    with the Poisson distribution function made continuous in ``O`` (the regularised upper
    incomplete gamma function, ``gammaincc(O + 1, E)``), so they are smooth in ``E``. At a
    whole-number ``O`` they are OHID's points exactly. They are divided by the population and
    multiplied by ``per`` to give rate limits. They are not the exact interval of a count of
    ``E`` (this suite's earlier method): that sits about ``1/3 + z**2/6`` counts higher, about one
    count at 95% and two at 99.8%.

    Parameters
    ----------
    target_rate_per_10k : float
        The rate the funnel is centred on, expressed per ``per`` population (per 10,000 with
        the default ``per``).
    populations : array-like or pandas.Series
        Populations to compute the limits at (e.g. each authority's, or a grid for drawing).
    levels : iterable of float, default (0.95, 0.998)
        Control-limit levels; each must be strictly between 0 and 1.
    per : float, default 10_000
        Multiplier the rates are expressed per.

    Returns
    -------
    pandas.DataFrame
        One row per population (index taken from ``populations`` if it is a Series) with
        columns ``population``, ``expected_count``, and ``lower_<L>``/``upper_<L>`` for each
        level, where ``<L>`` is the level in percent with ``_`` for the decimal point
        (``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``). Populations of zero or
        less give ``nan`` limits.

    See Also
    --------
    funnel_position : which of :data:`FUNNEL_POSITIONS` an observed count is in.
    """
    if target_rate_per_10k < 0:
        raise ValueError("target rate must not be negative")
    population_values = _as_float_array(populations).reshape(-1)
    index = populations.index if isinstance(populations, pd.Series) else None
    expected = target_rate_per_10k * population_values / per
    table = pd.DataFrame({"population": population_values, "expected_count": expected}, index=index)
    valid = population_values > 0
    for level in levels:
        lower_count, upper_count = _funnel_count_limits(expected, _alpha(level))
        label = _level_label(level)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"lower_{label}"] = np.where(valid, lower_count / population_values * per, np.nan)
            table[f"upper_{label}"] = np.where(valid, upper_count / population_values * per, np.nan)
    return table


def funnel_position(observed: ArrayLike, expected: ArrayLike) -> Any:
    """Where an observed count lies on a funnel plot, classed as OHID classes it.

    OHID's funnel significance (``assign_funnel_significance`` in PHStatsMethods) compares the
    expected count with the observed count's confidence interval by the Fingertips method
    (:func:`poisson_count_ci`: exact below 10, Byar's from 10): "above 99.8%" when ``E`` is
    below the 99.8% lower limit of ``O``, "above 95%" when below the 95% one, and the same
    downwards. A count of 0 has lower limit 0 and upper limit ``-ln(alpha/2)``, so it is
    "within 95%" while ``E <= 3.69``, "below 95%" up to ``E = 6.91`` and "below 99.8%" beyond.
    Apart from Byar's approximation from 10 (which can move a count lying within a small
    fraction of a count of a limit), this is the same as comparing ``O`` with
    :func:`funnel_limits`.

    Parameters
    ----------
    observed : scalar, array-like or pandas.Series
        Observed counts; must not be negative.
    expected : scalar, array-like or pandas.Series
        Expected counts under the target (``target * population / per`` for a rate funnel,
        the model's expected count for an observed/expected funnel).

    Returns
    -------
    str, numpy.ndarray of object or pandas.Series
        One of :data:`FUNNEL_POSITIONS` per value; ``None`` (``nan`` in a Series) where either
        input is missing.
    """
    _check_same_index(observed, expected)
    counts, means = np.broadcast_arrays(
        np.atleast_1d(_as_float_array(observed)), np.atleast_1d(_as_float_array(expected))
    )
    positions = np.full(counts.shape, FUNNEL_POSITIONS[2], dtype=object)
    # From the weakest class to the strongest, so the strongest that applies wins.
    for level, high, low in ((0.95, 1, 3), (0.998, 0, 4)):
        interval = poisson_count_ci(counts, level)
        positions[means < interval.lower] = FUNNEL_POSITIONS[high]
        positions[means > interval.upper] = FUNNEL_POSITIONS[low]
    positions[np.isnan(counts) | np.isnan(means)] = None
    if isinstance(observed, pd.Series) or isinstance(expected, pd.Series):
        return _like_input(positions, observed, expected)
    if np.ndim(observed) == 0 and np.ndim(expected) == 0:
        return positions[0]
    return positions
