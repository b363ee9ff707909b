"""IDACI bands and deciles from published ranks, with the published cut-offs exactly.

England's most deprived ``pct``% of LSOAs are those ranked at or below ``floor(pct/100 x N)``
for the release's ``N`` LSOAs; deciles use ``floor(d x N / 10)``. The fractions are computed
exactly, so a band never gains or loses an LSOA to floating-point error.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd


def band_cutoff(n_lsoas: int, pct: float) -> int:
    """Return the largest rank inside England's most deprived ``pct``% of ``n_lsoas`` LSOAs.

    Parameters
    ----------
    n_lsoas : int
        Number of LSOAs in England in the release.
    pct : float
        Band in percent (e.g. 10 for the most deprived 10%).

    Returns
    -------
    int
        ``floor(pct / 100 * n_lsoas)``, computed exactly (no floating-point error).

    Examples
    --------
    >>> band_cutoff(32844, 10), band_cutoff(33755, 20)
    (3284, 6751)
    """
    if not 0 < pct <= 100:
        raise ValueError(f"pct must lie in (0, 100], got {pct}")
    if n_lsoas <= 0:
        raise ValueError(f"n_lsoas must be positive, got {n_lsoas}")
    return math.floor(Fraction(str(pct)) * n_lsoas / 100)


def in_most_deprived(ranks: Any, n_lsoas: int, pct: float) -> pd.Series:
    """Flag LSOAs whose IDACI rank puts them in England's most deprived ``pct``%.

    Parameters
    ----------
    ranks : array-like of int
        Published ranks (1 = most deprived; ties share the lower number). Missing stays missing.
    n_lsoas : int
        Number of LSOAs in England in the release.
    pct : float
        Band in percent.

    Returns
    -------
    pandas.Series of boolean (nullable)
        ``rank <= band_cutoff(n_lsoas, pct)``; ``<NA>`` where the rank is missing.
    """
    r = pd.Series(ranks).astype("Int64")
    return (r <= band_cutoff(n_lsoas, pct)).astype("boolean")


def decile_from_rank(ranks: Any, n_lsoas: int) -> pd.Series:
    """Return national deciles from ranks with the published cut-offs (``floor(d x N / 10)``).

    Parameters
    ----------
    ranks : array-like of int
        Ranks, 1 = most deprived.
    n_lsoas : int
        Number of LSOAs in England.

    Returns
    -------
    pandas.Series of Int64
        1 (most deprived 10%) to 10.
    """
    r = pd.Series(ranks).astype("Int64")
    cuts = np.array([band_cutoff(n_lsoas, 10 * d) for d in range(1, 11)])
    values = r.to_numpy(dtype="float64", na_value=np.nan)
    out = np.searchsorted(cuts, values, side="left") + 1
    return pd.Series(out, index=r.index).where(r.notna()).astype("Int64")


def in_band_from_decile(deciles: Any, pct: float) -> pd.Series:
    """Band membership from published deciles (only for bands that are whole deciles).

    Raises
    ------
    ValueError
        If ``pct`` is not a multiple of 10 (e.g. the 5% band needs ranks).
    """
    if pct % 10:
        raise ValueError(f"the {pct}% band cannot be derived from deciles; ranks are needed")
    d = pd.Series(deciles).astype("Int64")
    return (d <= int(pct // 10)).astype("boolean")


def ties_at_cutoff(ranks: Any, n_lsoas: int, pct: float) -> int:
    """Return how many LSOAs beyond ``floor(pct x N)`` a tie at the cut-off adds (usually 0)."""
    r = pd.Series(ranks).dropna().astype("int64")
    inside = int((r <= band_cutoff(n_lsoas, pct)).sum())
    return max(0, inside - band_cutoff(n_lsoas, pct))
