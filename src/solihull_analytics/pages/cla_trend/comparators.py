"""The LA against England, its region and its statistical neighbours (pure, for notebook 01).

DataFrames in, DataFrames out, from the rate table of :func:`.compute.cla_rates`; nothing here
reads a file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates


def comparison_table(
    table: pd.DataFrame,
    la_code: str,
    region_code: str | None,
    neighbour_codes: list[str],
    year: int,
    since: int,
) -> pd.DataFrame:
    """The LA against England, its region and its statistical neighbours in one year.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cla_rates`, covering all the areas.
    la_code, region_code : str
        The LA and its region.
    neighbour_codes : list of str
        Statistical neighbours' codes.
    year : int
        The year shown.
    since : int
        Start year for the change column.

    Returns
    -------
    pandas.DataFrame
        One row per area (LA first, then England, region, neighbours by rate): ``role``,
        ``la_code``, ``la_name``, ``cla_all``, ``dfe_rate_per_10k``, ``rate_all`` with limits,
        ``rate_non_uasc`` with limits, ``non_uasc_change`` (percent, ``since`` to ``year``).
    """
    roles = {la_code: "this LA", ENGLAND_CODE: "England"}
    if region_code:
        roles[region_code] = "region"
    for code in neighbour_codes:
        roles.setdefault(code, "neighbour")
    now = table[(table["year"] == year) & table["la_code"].isin(roles)].set_index("la_code")
    then = table[(table["year"] == since) & table["la_code"].isin(roles)].set_index("la_code")
    out = now[
        [
            "la_name",
            "cla_all",
            "cla_non_uasc",
            "dfe_rate_per_10k",
            "rate_all",
            "rate_all_lower",
            "rate_all_upper",
            "rate_non_uasc",
            "rate_non_uasc_lower",
            "rate_non_uasc_upper",
        ]
    ].copy()
    out["non_uasc_change"] = rates.percent_change(
        then["rate_non_uasc"].reindex(out.index).astype(float), out["rate_non_uasc"].astype(float)
    )
    out.insert(0, "role", [roles[c] for c in out.index])
    order = {"this LA": 0, "England": 1, "region": 2, "neighbour": 3}
    out = out.assign(_o=out["role"].map(order)).sort_values(
        ["_o", "rate_non_uasc"], ascending=[True, False]
    )
    return out.drop(columns="_o").reset_index()


def rank_among(
    comparison: pd.DataFrame, la_code: str, column: str = "rate_non_uasc"
) -> tuple[int, int]:
    """Rank (1 = highest) of the LA among itself and its neighbours on ``column``."""
    pool = comparison[comparison["role"].isin(["this LA", "neighbour"])].dropna(subset=[column])
    ordered = pool.sort_values(column, ascending=False)["la_code"].tolist()
    return (ordered.index(la_code) + 1 if la_code in ordered else 0), len(ordered)


def report_neighbours_table(
    table: pd.DataFrame,
    la_code: str,
    neighbour_codes: list[str],
    neighbour_names: list[str],
    start: int,
    end: int,
) -> pd.DataFrame:
    """Non-UASC rates at a window's ends for the LA, England and a list of neighbours.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`.compute.cla_rates`, covering the areas.
    la_code : str
        The LA.
    neighbour_codes, neighbour_names : list of str
        The neighbours in the order to show them, and their names (used for an area with no
        rows in ``table``).
    start, end : int
        Years at 31 March.

    Returns
    -------
    pandas.DataFrame
        ``role``, ``la_code``, ``la_name``, ``start_rate``, ``end_rate``, ``change`` (percent):
        the LA, England, then the neighbours in the order given.
    """
    roles = {la_code: "this LA", ENGLAND_CODE: "England"}
    for code in neighbour_codes:
        roles.setdefault(code, "neighbour")
    t = table[table["la_code"].isin(roles)]
    rate = t.pivot_table(index="la_code", columns="year", values="rate_non_uasc", aggfunc="first")
    names = t.drop_duplicates("la_code").set_index("la_code")["la_name"]
    listed = dict(zip(neighbour_codes, neighbour_names, strict=True))
    rows = []
    for code, role in roles.items():
        a = rate.loc[code, start] if code in rate.index and start in rate.columns else np.nan
        b = rate.loc[code, end] if code in rate.index and end in rate.columns else np.nan
        name = names.get(code, listed.get(code, code))
        rows.append({"role": role, "la_code": code, "la_name": name, "start_rate": a,
                     "end_rate": b, "change": rates.percent_change(a, b)})
    return pd.DataFrame(rows)
