"""The cohort of children looked after in a collection year, from a checked SSDA903 extract.

:func:`build_cohort` selects the children looked after at any point in a collection year (or on
31 March), leaves out short-break episodes (legal status V3, V4), takes each child's home
postcode from their latest counted episode, and flags unaccompanied asylum-seeking children
(UASC). The result is child-level: it is for computing, never for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from solihull_analytics.geo.postcodes import normalise_postcode
from solihull_analytics.ssda903.extract import SSDA903Extract

SHORT_BREAK_CODES = ("V3", "V4")
COHORTS = ("during_year", "at_31_march")


def collection_year_dates(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the collection year ending 31 March ``year``.

    >>> collection_year_dates(2019)
    (Timestamp('2018-04-01 00:00:00'), Timestamp('2019-03-31 00:00:00'))
    """
    return pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)


@dataclass
class Cohort:
    """Children in the cohort (child-level: never display ``children``).

    Attributes
    ----------
    children : pandas.DataFrame
        One row per child: ``CHILD``, ``postcode`` (normalised, "" if none), ``uasc``.
    short_break_only : int
        Children looked after only under short-break legal statuses, excluded.
    description : str
        The cohort in words.
    year, cohort : int, str
        Collection year and cohort type.
    uasc_supplied : bool
        Whether a UASC table was available to identify UASC children.
    """

    children: pd.DataFrame = field(repr=False)
    short_break_only: int
    description: str
    year: int
    cohort: str
    uasc_supplied: bool


def build_cohort(extract: SSDA903Extract, year: int = 2019, cohort: str = "during_year") -> Cohort:
    """Select the children looked after in a collection year, or on its last day.

    Parameters
    ----------
    extract : SSDA903Extract
        A checked extract from :func:`solihull_analytics.ssda903.load_extract`.
    year : int, default 2019
        Collection year, named by the year it ends (2019 = 1 April 2018 to 31 March 2019).
    cohort : {"during_year", "at_31_march"}
        Looked after at any point in the year, or on 31 March.

    Returns
    -------
    Cohort

    Notes
    -----
    An episode counts when it started on or before the cohort end and had not ended before the
    cohort start (``at_31_march``: still open after 31 March, i.e. ``DEC`` blank or later).
    Episodes with legal status V3 or V4 (short breaks) are ignored, so a child looked after
    only for short breaks is not in the cohort (counted in ``short_break_only``). The home
    postcode is taken from the child's latest counted episode that records one. A child is UASC
    when listed in the UASC table and not recorded as ceasing to be UASC (``DUC``) before the
    cohort start (before 31 March for ``at_31_march``), or when a ``UASC`` column in the Header
    says so.
    """
    if cohort not in COHORTS:
        raise ValueError(f"cohort must be one of {COHORTS}, got {cohort!r}")
    start, end = collection_year_dates(year)
    eps = extract.episodes
    if cohort == "during_year":
        in_window = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] >= start))
        description = (
            f"children looked after at any point between {start:%d %B %Y} and {end:%d %B %Y}"
        )
        uasc_from = start
    else:
        in_window = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] > end))
        description = f"children looked after on {end:%d %B %Y}"
        uasc_from = end
    window = eps.loc[in_window]
    short = window["LS"].str.upper().isin(SHORT_BREAK_CODES)
    counted = window.loc[~short].copy()
    short_only = set(window.loc[short, "CHILD"]) - set(counted["CHILD"])
    counted["postcode"] = counted["HOME_POST"].map(normalise_postcode)
    with_pc = counted[counted["postcode"] != ""].sort_values("DECOM")
    latest_pc = with_pc.groupby("CHILD")["postcode"].last()
    children = pd.DataFrame({"CHILD": sorted(counted["CHILD"].unique())})
    children["postcode"] = children["CHILD"].map(latest_pc).fillna("")
    uasc_ids: set[str] = set()
    if extract.uasc is not None:
        u = extract.uasc
        current = u["DUC"].isna() | (u["DUC"] >= uasc_from)
        uasc_ids |= set(u.loc[current, "CHILD"])
    if "UASC" in extract.header.columns:
        flag = extract.header["UASC"].astype(str).str.strip().isin(["1", "Y", "TRUE", "True"])
        uasc_ids |= set(extract.header.loc[flag, "CHILD"])
    children["uasc"] = children["CHILD"].isin(uasc_ids)
    return Cohort(
        children=children,
        short_break_only=len(short_only),
        description=description,
        year=year,
        cohort=cohort,
        uasc_supplied=extract.uasc is not None or "UASC" in extract.header.columns,
    )
