"""Children looked after (CLA) at 31 March: rates per 10,000 children, trends and comparisons.

The building blocks of notebook 01:

- :func:`population_candidates` turns the ``population_la_year`` table into one row per area,
  mid-year and vintage of the ONS estimate of children aged 0-17;
- :func:`select_denominators` picks, for each area and year at 31 March, which estimate is the
  denominator (which mid-year, which vintage) and records why when there is none;
- :func:`cla_rates` joins counts (all CLA, UASC, non-UASC) to the chosen denominators and adds
  recomputed rates with confidence intervals, next to DfE's published rate;
- :func:`window_change`, :func:`growth_table` and :func:`population_growth` give the change over
  a window and the "x times faster" ratio;
- :data:`REPORT_FIGURES` and :func:`reconciliation_table` compare the Commissioner's report's
  figures with ours and explain each difference from the numbers.

Conventions (see the mirror's ``data/cla/SOURCES.md``): "year" is the position at 31 March. DfE's
rate for 31 March of year Y uses the ONS mid-(Y-1) estimate of children aged 0-17
(``convention="dfe"``, the default); ``convention="same_year"`` uses mid-Y, which is what the
report did (2007: 44.6 = 205 / 45,948; 2022: 99.7 = 478 / 47,942), so its figures are reconciled
on that convention. "Non-UASC" is all CLA minus unaccompanied
asylum-seeking children (UASC); DfE's published rates are for all CLA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.geo.las import LocalAuthority
from solihull_analytics.geo.neighbours import NeighbourSet
from solihull_analytics.methods import rates
from solihull_analytics.report.page import Block, Chart, TableBlock
from solihull_analytics.report.wording import ordinal

Convention = Literal["dfe", "same_year"]

#: Offset from the year at 31 March to the mid-year of the denominator, per convention.
CONVENTION_OFFSETS: dict[str, int] = {"dfe": -1, "same_year": 0}
CONVENTION_LABELS: dict[str, str] = {
    "dfe": "DfE's convention: 31 March of year Y uses the ONS mid-(Y-1) estimate",
    "same_year": "same mid-year: 31 March of year Y uses the ONS mid-Y estimate",
}

#: Source ids whose mid-2012 to mid-2020 estimates are Census-2021-based (rebased) estimates.
REBASED_SOURCE_PATTERN = re.compile(r"rebased|mye2[2-9]|mid20(?:2[1-9])", re.IGNORECASE)
PRE_REBASING_SOURCE_PATTERN = re.compile(r"pre_rebasing|pre-rebasing|pre_census", re.IGNORECASE)

# The order of the ``population_la_year`` vintages (higher = more recent), their labels and the
# census each is based on are in the release registry (kind ``population``): ONS's
# Census-2021-based series as republished by DfE in 2025 revises the first releases of mid-2022
# and mid-2023.


def vintage_rank() -> dict[str, int]:
    """Population vintage -> order (higher = more recent), from the release registry."""
    return registry.order_of("population")


def revised_vintages() -> dict[str, str]:
    """Population vintage -> the vintage it revises (registry fact ``revises``)."""
    return {
        r.label: str(r.fact("revises"))
        for r in registry.releases("population")
        if r.fact("revises")
    }


def vintage_labels() -> dict[str, str]:
    """Population vintage -> the label pages show, from the release registry."""
    latest = registry.labels("population")[-1:]
    return {
        r.label: str(r.fact("title", r.label)) + (" (latest)" if r.label in latest else "")
        for r in registry.releases("population")
    }


SERIES_LABELS = {"all": "all children looked after", "non_uasc": "excluding UASC"}


# ------------------------------------------------------------------------------------------
# Report figures (constants, with their citation)
# ------------------------------------------------------------------------------------------

REPORT_CITATION = (
    "Commissioner's report on children's services in Solihull Metropolitan Borough Council, "
    "report to the Secretary of State for Education by the Children's Services Commissioner, "
    "March 2023 (GOV.UK: 'Solihull children's services: commissioner report'), data section "
    "by Solihull Council's Business Intelligence & Improvement Team"
)


@dataclass(frozen=True)
class ReportFigure:
    """A figure quoted in the Commissioner's report (non-UASC CLA, at 31 March).

    Attributes
    ----------
    key : str
        Identifier.
    label : str
        What the figure is.
    value : float
        The figure as printed.
    kind : str
        ``"count"``, ``"rate"``, ``"change"`` (percent) or ``"ratio"``.
    area : str
        ``"la"`` (Solihull) or ``"england"``.
    year : int or None
        Year at 31 March (None for changes over 2007-2022).
    note : str
        Where in the report it appears.
    citation : str
        The report.
    """

    key: str
    label: str
    value: float
    kind: str
    area: str
    year: int | None
    note: str = ""
    citation: str = REPORT_CITATION


REPORT_FIGURES: tuple[ReportFigure, ...] = (
    ReportFigure("la_count_2007", "Solihull non-UASC CLA, 31 March 2007", 205, "count", "la", 2007),
    ReportFigure(
        "la_rate_2007", "Solihull non-UASC rate per 10,000, 2007", 44.6, "rate", "la", 2007
    ),
    ReportFigure(
        "england_rate_2007", "England non-UASC rate per 10,000, 2007", 50.7, "rate", "england", 2007
    ),
    ReportFigure("la_count_2022", "Solihull non-UASC CLA, 31 March 2022", 478, "count", "la", 2022),
    ReportFigure(
        "la_rate_2022", "Solihull non-UASC rate per 10,000, 2022", 99.7, "rate", "la", 2022
    ),
    ReportFigure(
        "england_rate_2022_text",
        "England non-UASC rate per 10,000, 2022 (text)",
        63.3,
        "rate",
        "england",
        2022,
        "report text",
    ),
    ReportFigure(
        "england_rate_2022_table",
        "England non-UASC rate per 10,000, 2022 (table)",
        66.3,
        "rate",
        "england",
        2022,
        "report table",
    ),
    ReportFigure("la_change", "Solihull rate change 2007-2022 (%)", 124, "change", "la", None),
    ReportFigure(
        "england_change", "England rate change 2007-2022 (%)", 31, "change", "england", None
    ),
    ReportFigure(
        "times_faster",
        "Solihull rate rose 'four times faster' than England's",
        4,
        "ratio",
        "la",
        None,
    ),
)
REPORT_WINDOW = (2007, 2022)

#: Published counts the reconciliation needs that no file read here holds, quoted with their
#: source (one row each: ``la_code``, ``year``, ``release``, ``release_year``, ``cla_uasc``,
#: ``note``). DfE first published England's 2022 UASC count as 5,570 (later revised to 5,680);
#: with the 82,170 all-CLA count of the same release it gives the 76,600 non-UASC count the
#: report's England 2022 figure of 63.3 rests on.
QUOTED_UASC_COUNTS = pd.DataFrame(
    [
        {
            "la_code": ENGLAND_CODE,
            "year": 2022,
            "release": "EES reporting year 2022",
            "release_year": 2022,
            "cla_uasc": 5570,
            "note": "UASC 5,570 as first published in DfE's 2022 national tables, quoted as "
            "the mirror's cla/SOURCES.md records it: that table is not among the files read here",
        }
    ]
)


# ------------------------------------------------------------------------------------------
# Denominators
# ------------------------------------------------------------------------------------------


def _is_census2021_based(
    mid_year: pd.Series, source_id: pd.Series, vintage: pd.Series
) -> pd.Series:
    # The registry says which census each vintage is based on; a vintage it does not know
    # (e.g. a hand-made table) is judged by the words in its source id.
    base = vintage.astype(str).map(
        {r.label: r.fact("census_base") for r in registry.releases("population")}
    )
    text = source_id.fillna("").astype(str) + " " + vintage.fillna("").astype(str)
    guessed = text.str.contains(REBASED_SOURCE_PATTERN) & ~text.str.contains(
        PRE_REBASING_SOURCE_PATTERN
    )
    rebased = base.eq(2021).where(base.notna(), guessed).astype(bool)
    return (mid_year.astype(int) >= 2021) | ((mid_year.astype(int) >= 2012) & rebased)


def population_candidates(population: pd.DataFrame) -> pd.DataFrame:
    """Normalise a population table to one row per area, mid-year and vintage (ages 0-17).

    Accepts the ``population_la_year`` layout (``la_code``, a mid-year column ``mid_year`` or
    ``year``, a population column ``population_0_17``, ``population`` or ``value`` and, when
    present, ``age_band``, ``vintage``, ``vintage_rank`` and ``source_id``).

    Parameters
    ----------
    population : pandas.DataFrame
        ONS mid-year estimates of children aged 0-17 by area.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``mid_year``, ``population``, ``vintage``, ``vintage_rank``
        (higher = more recent), ``source_id`` and ``census2021_based``.
    """
    df = population.copy()
    if "age_band" in df:
        df = df[df["age_band"].astype(str).isin(["0-17", "0_17", "0 to 17"])]
    year_col = next(c for c in ("mid_year", "year") if c in df)
    pop_col = next(c for c in ("population_0_17", "population", "value") if c in df)
    out = pd.DataFrame(
        {
            "la_code": df["la_code"].astype(str),
            "mid_year": df[year_col].astype(int),
            "population": pd.to_numeric(df[pop_col], errors="coerce").astype(float),
            "vintage": df["vintage"].astype(str) if "vintage" in df else "unknown",
            "source_id": df["source_id"].astype(str) if "source_id" in df else "",
        }
    )
    if "vintage_rank" in df:
        out["vintage_rank"] = pd.to_numeric(df["vintage_rank"], errors="coerce").to_numpy()
    elif "release_year" in df:
        out["vintage_rank"] = pd.to_numeric(df["release_year"], errors="coerce").to_numpy()
    elif "vintage" in df:
        out["vintage_rank"] = df["vintage"].astype(str).map(vintage_rank()).fillna(0).to_numpy()
    else:
        out["vintage_rank"] = 0
    out["census2021_based"] = _is_census2021_based(
        out["mid_year"], out["source_id"], out["vintage"]
    )
    out = out.dropna(subset=["population"])
    out = out[out["population"] > 0]
    return out.reset_index(drop=True)


def select_denominators(
    candidates: pd.DataFrame,
    area_codes: list[str] | pd.Index,
    years: list[int] | range,
    convention: Convention = "dfe",
    vintage: str = "latest",
    nearest: bool = False,
) -> pd.DataFrame:
    """Choose the 0-17 denominator for each area and year at 31 March.

    Parameters
    ----------
    candidates : pandas.DataFrame
        From :func:`population_candidates`.
    area_codes : list of str
        Areas (LA, region or England codes).
    years : iterable of int
        Years at 31 March.
    convention : {"dfe", "same_year"}
        ``"dfe"``: mid-(Y-1), DfE's convention; ``"same_year"``: mid-Y.
    vintage : str, default "latest"
        ``"latest"`` takes the most recent vintage held for that mid-year; any other value
        takes only that vintage.
    nearest : bool, default False
        When the wanted mid-year is missing, use the nearest mid-year held for the area
        (ties go to the later one) and flag ``denominator_exact`` False. Off by default: the
        recomputed rate is then NA with the reason in ``denominator_note``.

    Returns
    -------
    pandas.DataFrame
        One row per area and year: ``la_code``, ``year``, ``denominator_wanted_mid_year``,
        ``denominator_mid_year``, ``denominator_population``, ``denominator_vintage``,
        ``denominator_source_id``, ``denominator_census2021_based``, ``denominator_exact`` and
        ``denominator_note``.
    """
    if convention not in CONVENTION_OFFSETS:
        raise ValueError(f"convention must be one of {sorted(CONVENTION_OFFSETS)}")
    pool = candidates if vintage == "latest" else candidates[candidates["vintage"] == vintage]
    pool = pool.sort_values(["la_code", "mid_year", "vintage_rank"], kind="mergesort")
    best = pool.drop_duplicates(["la_code", "mid_year"], keep="last").set_index(
        ["la_code", "mid_year"]
    )
    rows = []
    for code in area_codes:
        held = best.loc[code] if code in best.index.get_level_values(0) else None
        for year in years:
            wanted = int(year) + CONVENTION_OFFSETS[convention]
            row: dict[str, object] = {
                "la_code": code,
                "year": int(year),
                "denominator_wanted_mid_year": wanted,
                "denominator_mid_year": pd.NA,
                "denominator_population": np.nan,
                "denominator_vintage": pd.NA,
                "denominator_source_id": pd.NA,
                "denominator_census2021_based": pd.NA,
                "denominator_exact": False,
                "denominator_note": "",
            }
            chosen = None
            if held is not None and wanted in held.index:
                chosen = wanted
                row["denominator_exact"] = True
            elif held is not None and nearest and len(held):
                gaps = pd.Series(np.abs(held.index.to_numpy() - wanted), index=held.index)
                chosen = int(gaps[gaps == gaps.min()].index.max())
                row["denominator_note"] = (
                    f"no ONS 0-17 estimate for mid-{wanted} in the published files; the nearest "
                    f"held, mid-{chosen}, is used instead"
                )
            else:
                which = "" if vintage == "latest" else f" (vintage {vintage})"
                row["denominator_note"] = (
                    f"no ONS 0-17 estimate for mid-{wanted}{which} in the published files"
                )
            if chosen is not None:
                rec = held.loc[chosen]
                row.update(
                    denominator_mid_year=int(chosen),
                    denominator_population=float(rec["population"]),
                    denominator_vintage=str(rec["vintage"]),
                    denominator_source_id=str(rec["source_id"]),
                    denominator_census2021_based=bool(rec["census2021_based"]),
                )
            rows.append(row)
    out = pd.DataFrame(rows)
    out["denominator_mid_year"] = out["denominator_mid_year"].astype("Int64")
    out["denominator_census2021_based"] = out["denominator_census2021_based"].astype("boolean")
    return out


# ------------------------------------------------------------------------------------------
# Rates
# ------------------------------------------------------------------------------------------

CLA_COLUMNS = [
    "geographic_level",
    "la_code",
    "la_name",
    "region_code",
    "year",
    "cla_all",
    "cla_uasc",
    "cla_non_uasc",
    "counts_rounded_to",
    "dfe_rate_per_10k",
    "dfe_population_0_17",
    "source_id",
    "uasc_source_id",
    "rate_source_id",
]


def cla_rates(
    cla: pd.DataFrame,
    candidates: pd.DataFrame,
    area_codes: list[str] | None = None,
    convention: Convention = "dfe",
    vintage: str = "latest",
    level: float = 0.95,
    nearest: bool = False,
    first_year: int | None = None,
) -> pd.DataFrame:
    """CLA counts at 31 March with DfE's published rate and our recomputed rates and CIs.

    Parameters
    ----------
    cla : pandas.DataFrame
        The ``cla_la_year`` table (``la_code``, ``year``, ``cla_all``, ``cla_uasc``,
        ``cla_non_uasc``, ``dfe_rate_per_10k`` ...).
    candidates : pandas.DataFrame
        Population candidates from :func:`population_candidates`.
    area_codes : list of str, optional
        Areas to keep (default: every area with a code).
    convention, vintage, nearest
        Denominator choice, see :func:`select_denominators`.
    level : float, default 0.95
        Confidence level (0.998 for 99.8% limits). Limits by :func:`rates.poisson_rate_ci`:
        Byar's method for counts of 10 or more, exact Poisson below.
    first_year : int, optional
        Drop years before this one.

    Returns
    -------
    pandas.DataFrame
        One row per area and year with the count columns, DfE's rate, the denominator columns
        of :func:`select_denominators`, and for ``s`` in ``all``/``non_uasc``: ``rate_<s>``,
        ``rate_<s>_lower``, ``rate_<s>_upper``; plus ``ci_level`` and ``convention``.
    """
    df = cla[cla["la_code"].notna()].copy()
    df = df[[c for c in CLA_COLUMNS if c in df.columns]]
    df["la_code"] = df["la_code"].astype(str)
    if area_codes is not None:
        df = df[df["la_code"].isin(list(area_codes))]
    if first_year is not None:
        df = df[df["year"] >= first_year]
    df = df.sort_values(["la_code", "year"]).reset_index(drop=True)
    if df.empty:
        raise ValueError("no CLA rows for the areas asked for")
    denominators = []
    for code, group in df.groupby("la_code", sort=False):
        denominators.append(
            select_denominators(
                candidates, [code], sorted(group["year"].unique()), convention, vintage, nearest
            )
        )
    den = pd.concat(denominators, ignore_index=True)
    out = df.merge(den, on=["la_code", "year"], how="left", validate="one_to_one")
    population = out["denominator_population"].astype(float)
    for series, col in (("all", "cla_all"), ("non_uasc", "cla_non_uasc")):
        counts = pd.to_numeric(out[col], errors="coerce").astype(float)
        ok = counts.notna() & population.notna()
        rate = np.where(ok, rates.rate_per_10k(counts.fillna(0), population.fillna(0)), np.nan)
        ci = rates.poisson_rate_ci(
            counts.fillna(0).to_numpy(), population.fillna(0).to_numpy(), level=level
        )
        out[f"rate_{series}"] = rate
        out[f"rate_{series}_lower"] = np.where(ok, ci.lower, np.nan)
        out[f"rate_{series}_upper"] = np.where(ok, ci.upper, np.nan)
    missing_counts = out["cla_non_uasc"].isna() & out["denominator_population"].notna()
    out.loc[missing_counts, "denominator_note"] = out.loc[missing_counts, "denominator_note"].where(
        out.loc[missing_counts, "denominator_note"] != "", "UASC count not published"
    )
    out["ci_level"] = level
    out["convention"] = convention
    return out


def dfe_rate_census2021_based(cla: pd.DataFrame, vintages: pd.DataFrame | None) -> pd.Series:
    """Whether each DfE published rate in ``cla`` was computed on Census-2021-based estimates.

    DfE first used Census-2021-based estimates for 31 March 2022 (mid-2021) in its 2022 release,
    and re-stated earlier years on rebased estimates from its 2023 release. A rate is therefore
    Census-2021-based when its denominator mid-year is 2021 or later, or when it comes from a
    release of 2023 or later.

    Parameters
    ----------
    cla : pandas.DataFrame
        Rows with ``la_code``, ``year`` and ``rate_source_id``.
    vintages : pandas.DataFrame, optional
        ``cla_la_year_vintages`` (to look up each source's ``release_year``); without it, the
        release year is read from the source id (``..._ees2023_...``).

    Returns
    -------
    pandas.Series of bool (NA where there is no published rate)
    """
    release_year = pd.Series(np.nan, index=cla.index)
    if vintages is not None and "release_year" in vintages:
        lookup = vintages.drop_duplicates("source_id").set_index("source_id")["release_year"]
        release_year = cla["rate_source_id"].map(lookup).astype(float)
    parsed = cla["rate_source_id"].astype(str).str.extract(r"(20\d{2})")[0].astype(float)
    release_year = release_year.fillna(parsed)
    based = ((cla["year"] - 1) >= 2021) | (release_year >= 2023)
    return based.where(cla["dfe_rate_per_10k"].notna()).astype("boolean")


def denominator_runs(table: pd.DataFrame) -> list[tuple[int, int, str]]:
    """Consecutive years of a rate series whose denominators share a vintage.

    Returns
    -------
    list of (first year, last year, vintage)
    """
    runs: list[tuple[int, int, str]] = []
    known = table.dropna(subset=["denominator_vintage"]).sort_values("year")
    for year, vintage in zip(known["year"].astype(int), known["denominator_vintage"].astype(str),
                             strict=True):
        if runs and runs[-1][2] == vintage and runs[-1][1] == year - 1:
            runs[-1] = (runs[-1][0], year, vintage)
        else:
            runs.append((year, year, vintage))
    return runs


def series_break_statement(
    table: pd.DataFrame, candidates: pd.DataFrame, la_code: str, la_name: str
) -> str:
    """Which ONS series each stretch of years uses, and how it differs from DfE's at the time.

    Parameters
    ----------
    table : pandas.DataFrame
        The LA's rows of :func:`cla_rates`.
    candidates : pandas.DataFrame
        From :func:`population_candidates` (for an example of the revision).
    la_code, la_name : str
        The LA.

    Returns
    -------
    str
        "" when every year uses one vintage.
    """
    runs = denominator_runs(table)
    if len(runs) < 2:
        return ""
    spans = "; ".join(
        f"{a}-{b}: {_vintage_label(v)}" if a != b else f"{a}: {_vintage_label(v)}"
        for a, b, v in runs
    )
    text = f"Denominators by year: {spans}."
    revises = revised_vintages()
    revised = [r for r in runs if r[2] in revises]
    if revised:
        first, last = revised[0][0], revised[-1][1]
        new, old = revised[0][2], revises[revised[0][2]]
        mids = set(table.loc[table["year"].between(first, last), "denominator_mid_year"].dropna())
        c = candidates[(candidates["la_code"] == la_code) & candidates["mid_year"].isin(mids)]
        both = c.pivot_table(index="mid_year", columns="vintage", values="population",
                             aggfunc="first")
        example = ""
        if {old, new} <= set(both.columns):
            diff = both.dropna(subset=[old, new])
            diff = diff[diff[old] != diff[new]]
            if len(diff):
                y = int(diff.index.max())
                example = (
                    f" (for example {la_name} mid-{y}: {diff.loc[y, old]:,.0f} as "
                    f"DfE published it, {diff.loc[y, new]:,.0f} revised)"
                )
        text += (
            f" For {first}-{last} the recomputed rates use ONS's pre-Census 2021 series as ONS "
            "later revised it (after the 2011 Census), not the estimates DfE used when it "
            f"published those years' rates{example}; this is a break in the series like the "
            "Census 2021 rebasing, and one reason the recomputed all-CLA rate and DfE's "
            "published rate (crosses) differ in those years."
        )
    return text


def census2021_break_year(
    table: pd.DataFrame, based_col: str = "denominator_census2021_based"
) -> int | None:
    """First year of a rate series whose denominator is Census-2021-based (None if none)."""
    known = table.dropna(subset=[based_col]).sort_values("year")
    first = known[known[based_col].astype(bool)]
    if first.empty or len(first) == len(known):
        return None if first.empty else int(first["year"].iloc[0])
    return int(first["year"].iloc[0])


# ------------------------------------------------------------------------------------------
# Change over a window
# ------------------------------------------------------------------------------------------


def window_change(
    table: pd.DataFrame, la_code: str, start: int, end: int, series: str = "non_uasc"
) -> dict[str, object]:
    """Rate at the start and end of a window for one area, and the percentage change.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cla_rates` (use ``nearest=True`` to allow approximate denominators at the
        window's ends; they are flagged).
    la_code : str
        Area.
    start, end : int
        Years at 31 March.
    series : {"non_uasc", "all", "dfe"}
        Our recomputed non-UASC or all-CLA rate, or DfE's published (all-CLA) rate.

    Returns
    -------
    dict
        ``start_rate``, ``end_rate``, ``percent_change``, ``start_count``, ``end_count``,
        ``start_denominator``, ``end_denominator``, ``start_mid_year``, ``end_mid_year``,
        ``approximate`` (a denominator is not the wanted mid-year) and ``notes``.
    """
    rows = table[table["la_code"] == la_code].set_index("year")
    rate_col = "dfe_rate_per_10k" if series == "dfe" else f"rate_{series}"
    count_col = "cla_all" if series in ("all", "dfe") else "cla_non_uasc"
    out: dict[str, object] = {"la_code": la_code, "series": series, "start": start, "end": end}
    notes = []
    approximate = False
    for key, year in (("start", start), ("end", end)):
        if year not in rows.index:
            out.update(
                {
                    f"{key}_rate": np.nan,
                    f"{key}_count": np.nan,
                    f"{key}_denominator": np.nan,
                    f"{key}_mid_year": pd.NA,
                }
            )
            notes.append(f"no data for {year}")
            continue
        r = rows.loc[year]
        out[f"{key}_rate"] = float(r[rate_col]) if pd.notna(r[rate_col]) else np.nan
        out[f"{key}_count"] = float(r[count_col]) if pd.notna(r[count_col]) else np.nan
        if pd.isna(r[count_col]):
            notes.append(f"{la_code} {year}: count not published (suppressed or missing)")
        if series == "dfe":
            out[f"{key}_denominator"] = (
                float(r["dfe_population_0_17"]) if pd.notna(r["dfe_population_0_17"]) else np.nan
            )
            out[f"{key}_mid_year"] = year - 1
        else:
            out[f"{key}_denominator"] = float(r["denominator_population"])
            out[f"{key}_mid_year"] = r["denominator_mid_year"]
            if r["denominator_note"]:
                notes.append(f"{la_code} {year}: {r['denominator_note']}")
            if pd.notna(r["denominator_population"]) and not bool(r["denominator_exact"]):
                approximate = True
    out["percent_change"] = rates.percent_change(out["start_rate"], out["end_rate"])
    out["approximate"] = approximate
    out["notes"] = "; ".join(notes)
    return out


def growth_table(
    table: pd.DataFrame,
    la_code: str,
    start: int,
    end: int,
    comparator: str = ENGLAND_CODE,
    series: tuple[str, ...] = ("non_uasc", "all", "dfe"),
) -> pd.DataFrame:
    """Rate change over a window for an LA and a comparator, with the "times faster" ratio.

    Returns
    -------
    pandas.DataFrame
        One row per series with, for the LA and the comparator, start rate, end rate and
        percentage change, and ``ratio`` = LA change / comparator change
        (:func:`rates.ratio_of_changes`; NaN when the comparator did not grow).
    """
    rows = []
    for s in series:
        a = window_change(table, la_code, start, end, s)
        b = window_change(table, comparator, start, end, s)
        rows.append(
            {
                "series": s,
                "la_start_rate": a["start_rate"],
                "la_end_rate": a["end_rate"],
                "la_change": a["percent_change"],
                "comparator_start_rate": b["start_rate"],
                "comparator_end_rate": b["end_rate"],
                "comparator_change": b["percent_change"],
                "ratio": rates.ratio_of_changes(a["percent_change"], b["percent_change"]),
                "approximate": bool(a["approximate"] or b["approximate"]),
                "notes": "; ".join(n for n in (a["notes"], b["notes"]) if n),
            }
        )
    return pd.DataFrame(rows)


def population_growth(
    candidates: pd.DataFrame,
    area_codes: list[str],
    start: int,
    end: int,
    vintage: str = "latest",
) -> pd.DataFrame:
    """Growth of the 0-17 population between two mid-years, on a common pair of mid-years.

    When a mid-year is not held for every area, the nearest mid-year held for all of them is
    used (ties go to the later one), and the row says so.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``la_code``, ``start_mid_year``, ``end_mid_year``,
        ``start_population``, ``end_population``, ``percent_change``, ``start_vintage``,
        ``end_vintage``, ``start_source_id``, ``end_source_id`` and ``note``.
    """
    pool = candidates if vintage == "latest" else candidates[candidates["vintage"] == vintage]
    pool = pool[pool["la_code"].isin(area_codes)]
    best = pool.sort_values("vintage_rank", kind="mergesort").drop_duplicates(
        ["la_code", "mid_year"], keep="last"
    )
    common = None
    for code in area_codes:
        held = set(best.loc[best["la_code"] == code, "mid_year"])
        common = held if common is None else common & held
    common = sorted(common or [])
    if not common:
        raise ValueError("no mid-year is held for every area")

    def nearest(year: int) -> int:
        gaps = {y: abs(y - year) for y in common}
        low = min(gaps.values())
        return max(y for y, g in gaps.items() if g == low)

    s_year, e_year = nearest(start), nearest(end)
    note = []
    if s_year != start:
        note.append(f"mid-{start} not held for every area; mid-{s_year} used")
    if e_year != end:
        note.append(f"mid-{end} not held for every area; mid-{e_year} used")
    rows = []
    for code in area_codes:
        b = best[best["la_code"] == code].set_index("mid_year")
        s, e = b.loc[s_year], b.loc[e_year]
        rows.append(
            {
                "la_code": code,
                "start_mid_year": s_year,
                "end_mid_year": e_year,
                "start_population": float(s["population"]),
                "end_population": float(e["population"]),
                "percent_change": rates.percent_change(
                    float(s["population"]), float(e["population"])
                ),
                "start_vintage": s["vintage"],
                "end_vintage": e["vintage"],
                "start_source_id": s["source_id"],
                "end_source_id": e["source_id"],
                "start_census2021_based": bool(s["census2021_based"]),
                "end_census2021_based": bool(e["census2021_based"]),
                "note": "; ".join(note),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# Comparators
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Reconciliation with the report
# ------------------------------------------------------------------------------------------


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not computable"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "change":
        return f"{value:+.0f}%"
    if kind == "ratio":
        return f"{value:.1f} times"
    return f"{value:.1f}"


def implied_denominator(count: float, rate: float) -> float:
    """Population implied by a count and a rate per 10,000 (``count / rate * 10,000``)."""
    return float(count) / float(rate) * rates.PER_10K if rate else np.nan


def find_reproductions(
    target: float,
    counts: pd.DataFrame,
    candidates: pd.DataFrame,
    la_code: str,
    years: range | list[int],
    mid_years: range | list[int],
    decimals: int = 1,
) -> pd.DataFrame:
    """Search published counts and 0-17 estimates for pairs whose rate rounds to ``target``.

    Parameters
    ----------
    target : float
        The printed rate.
    counts : pandas.DataFrame
        Count vintages: ``la_code``, ``year``, ``count``, ``label`` (e.g. from
        ``cla_la_year_vintages``, non-UASC = all - UASC).
    candidates : pandas.DataFrame
        From :func:`population_candidates`.
    la_code : str
        Area.
    years : iterable of int
        Years at 31 March of the counts to try.
    mid_years : iterable of int
        Mid-years of the estimates to try.
    decimals : int
        Decimals the target was printed to.

    Returns
    -------
    pandas.DataFrame
        Matching combinations: ``count``, ``count_label``, ``mid_year``, ``population``,
        ``vintage``, ``rate``.
    """
    c = counts[(counts["la_code"] == la_code) & counts["year"].isin(list(years))]
    p = candidates[
        (candidates["la_code"] == la_code) & candidates["mid_year"].isin(list(mid_years))
    ]
    rows = []
    for _, cr in c.drop_duplicates(["year", "count"]).iterrows():
        for _, pr in p.drop_duplicates(["mid_year", "population"]).iterrows():
            rate = cr["count"] / pr["population"] * rates.PER_10K
            if round(rate, decimals) == round(target, decimals):
                rows.append(
                    {
                        "count": int(cr["count"]),
                        "count_label": cr["label"],
                        "mid_year": int(pr["mid_year"]),
                        "population": int(pr["population"]),
                        "vintage": pr["vintage"],
                        "rate": rate,
                    }
                )
    return pd.DataFrame(
        rows, columns=["count", "count_label", "mid_year", "population", "vintage", "rate"]
    )


def _rate_row(table: pd.DataFrame, code: str, year: int) -> pd.Series | None:
    rows = table[(table["la_code"] == code) & (table["year"] == year)]
    return None if rows.empty else rows.iloc[0]


def _area_phrase(name: str, mid_year: int, census2021_based: object) -> str:
    based = "Census 2021-based" if bool(census2021_based) else "pre-rebasing"
    return f"{name}'s {based} mid-{mid_year} estimate"


def _rate_explanation(
    f: ReportFigure,
    name: str,
    r: pd.Series,
    a: pd.Series | None,
    count_vintages: pd.DataFrame | None,
    candidates: pd.DataFrame | None,
    code: str,
) -> tuple[str, str]:
    """Sentence and verdict for a rate figure (``a`` is the report-convention row)."""
    count = float(r["cla_non_uasc"])
    parts = []
    verdict = "not reproduced"
    alt = float(a["rate_non_uasc"]) if a is not None and pd.notna(a["rate_non_uasc"]) else np.nan
    if pd.notna(alt):
        same = (
            f"{count:,.0f} / {a['denominator_population']:,.0f} "
            f"({_vintage_label(a['denominator_vintage'])}, mid-{a['denominator_mid_year']}) "
            f"= {alt:.2f}"
        )
        if round(alt, 1) == f.value:
            verdict = "reproduced"
            parts.append(f"Reproduced on the same mid-year: {same}")
        else:
            parts.append(f"On the same mid-year {same}, not the report's {f.value}")
    if pd.notna(r["rate_non_uasc"]):
        dfe = float(r["rate_non_uasc"])
        approx = "" if bool(r["denominator_exact"]) else ", the nearest estimate held"
        parts.append(
            f"on DfE's convention (mid-{r['denominator_mid_year']}{approx}, "
            f"{r['denominator_population']:,.0f}) it would be {dfe:.1f}"
        )
    if verdict != "reproduced":
        parts.append(
            f"the report's {f.value} implies a denominator of "
            f"{implied_denominator(count, f.value):,.0f}"
        )
        if count_vintages is not None and candidates is not None:
            found = find_reproductions(
                f.value, count_vintages, candidates, code, [f.year],
                range(f.year - 3, f.year + 1),
            )
            if not found.empty:
                m = found.iloc[0]
                based = candidates[
                    (candidates["la_code"] == code)
                    & (candidates["mid_year"] == m["mid_year"])
                    & (candidates["population"] == m["population"])
                ]["census2021_based"].any()
                parts.append(
                    f"it comes out only as {m['count']:,} ({m['count_label']}) / "
                    f"{m['population']:,} ({_area_phrase(name, int(m['mid_year']), based)})"
                    + (
                        f", an older denominator than the mid-{f.year} estimate the report "
                        "used elsewhere"
                        if int(m["mid_year"]) != f.year
                        else ""
                    )
                )
                verdict = "explained (different denominator)"
            else:
                parts.append("no published count and estimate tried reproduces it")
    why = "; ".join(parts) + " (denominator)."
    return why[0].upper() + why[1:], verdict


def _change_from_report(figures: tuple[ReportFigure, ...], area: str) -> list[tuple[float, float]]:
    """The report's own start and end rates for ``area`` (every end figure it printed)."""
    start, end = REPORT_WINDOW
    starts = [f.value for f in figures if f.kind == "rate" and f.area == area and f.year == start]
    ends = [f.value for f in figures if f.kind == "rate" and f.area == area and f.year == end]
    return [(s, e) for s in starts for e in ends]


def reconciliation_table(
    default: pd.DataFrame,
    alternative: pd.DataFrame,
    la_code: str,
    la_name: str,
    count_vintages: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    figures: tuple[ReportFigure, ...] = REPORT_FIGURES,
) -> pd.DataFrame:
    """Compare the report's figures with ours and explain each difference in one sentence.

    Rates, changes and the "times faster" ratio are ours on the report's own convention (the
    rate at 31 March Y on the mid-Y estimate, ``alternative``); each rate's sentence also gives
    the figure on DfE's convention (``default``).

    Parameters
    ----------
    default : pandas.DataFrame
        :func:`cla_rates` on DfE's convention (``nearest=True`` flags any approximate
        denominator), for the LA and England.
    alternative : pandas.DataFrame
        The same on the ``same_year`` convention (the report's).
    la_code, la_name : str
        The LA (the report is about Solihull; for any other LA the figures are still
        Solihull's and the page says so).
    count_vintages : pandas.DataFrame, optional
        Count vintages for :func:`find_reproductions` (``la_code``, ``year``, ``count``,
        ``label``).
    candidates : pandas.DataFrame, optional
        Population candidates for :func:`find_reproductions`.
    figures : tuple of ReportFigure
        The report's figures.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``report``, ``ours``, ``difference``, ``verdict``, ``explanation`` (and
        ``key``, ``ours_value``). ``verdict`` is "reproduced", "explained (...)" or
        "not reproduced".
    """
    start, end = REPORT_WINDOW
    growth = growth_table(alternative, la_code, start, end, series=("non_uasc",)).iloc[0]
    rows = []
    for f in figures:
        code = la_code if f.area == "la" else ENGLAND_CODE
        name = la_name if f.area == "la" else "England"
        ours: float = np.nan
        why, verdict = "", "not reproduced"
        if f.kind == "count":
            r = _rate_row(default, code, f.year)
            ours = (
                float(r["cla_non_uasc"])
                if r is not None and pd.notna(r["cla_non_uasc"])
                else np.nan
            )
            if r is not None and pd.notna(ours):
                verdict = "reproduced" if ours == f.value else "not reproduced"
                rounded = int(r["counts_rounded_to"]) if pd.notna(r["counts_rounded_to"]) else 1
                base = (
                    f"{int(r['cla_all']):,} all CLA minus {int(r['cla_uasc']):,} UASC = {ours:,.0f}"
                )
                if rounded > 1:
                    why = (
                        f"{base}; both published counts are rounded to the nearest {rounded}, "
                        f"so the true figure could be up to {rounded} higher or lower "
                        "(rounding)."
                    )
                else:
                    why = f"{base}, from unrounded published counts."
        elif f.kind == "rate":
            r = _rate_row(default, code, f.year)
            a = _rate_row(alternative, code, f.year)
            ours = float(a["rate_non_uasc"]) if a is not None else np.nan
            if r is None or pd.isna(r["cla_non_uasc"]):
                why = f"No non-UASC count for {name} in {f.year} in the published files."
            else:
                why, verdict = _rate_explanation(
                    f, name, r, a, count_vintages, candidates, code
                )
        elif f.kind == "change":
            side = "la" if f.area == "la" else "comparator"
            ours = float(growth[f"{side}_change"])
            why = (
                f"{name} non-UASC rate {growth[f'{side}_start_rate']:.2f} in {start} to "
                f"{growth[f'{side}_end_rate']:.2f} in {end} on the report's convention"
            )
            own = [
                (s, e, rates.percent_change(s, e))
                for s, e in _change_from_report(figures, f.area)
            ]
            match = [(s, e, c) for s, e, c in own if round(c) == f.value]
            if round(ours) == f.value:
                verdict = "reproduced"
            elif match:
                s, e, c = match[0]
                verdict = "explained (rounding)" if round(e, 1) == round(
                    float(growth[f"{side}_end_rate"]), 1) else "explained (report's own figures)"
                why += f"; the report's {f.value:+.0f}% is its own rounded {s} to {e} ({c:+.1f}%)"
            others = [(s, e, c) for s, e, c in own if (s, e, c) not in match]
            for s, e, c in others:
                why += f"; from its {s} to {e} it would be {c:+.0f}%"
            why += "."
        elif f.kind == "ratio":
            ours = float(growth["ratio"])
            la_change, eng_change = growth["la_change"], growth["comparator_change"]
            rep = {x.key: x.value for x in figures}
            printed = rep["la_change"] / rep["england_change"]
            verdict = "reproduced" if round(ours) == f.value else (
                "explained (report's own figures)" if round(printed) == f.value
                else "not reproduced")
            why = (
                f"{la_change:+.1f}% / {eng_change:+.1f}% on the report's convention gives "
                f"{ours:.1f}; the report's {rep['la_change']:+.0f}% / "
                f"{rep['england_change']:+.0f}% gives {printed:.1f}, which it rounded to "
                "'four'."
            )
            ends = [e for s, e in _change_from_report(figures, "england")]
            starts = [s for s, e in _change_from_report(figures, "england")]
            if len(set(ends)) > 1 and starts:
                alts = [
                    f"{rep['la_change'] / rates.percent_change(starts[0], e):.1f} with England's "
                    f"{e}"
                    for e in sorted(set(ends))
                ]
                why += " On the report's own England figures it is " + " or ".join(alts) + "."
        diff = ours - f.value if pd.notna(ours) else np.nan
        rows.append(
            {
                "key": f.key,
                "figure": f.label,
                "report": _fmt(f.value, f.kind),
                "ours": _fmt(ours, f.kind),
                "difference": (f"{diff:+.1f}" if f.kind != "count" else f"{diff:+,.0f}")
                if pd.notna(diff)
                else "–",
                "verdict": verdict,
                "ours_value": ours,
                "explanation": why,
            }
        )
    return pd.DataFrame(rows)


def report_convention_sentence(
    default: pd.DataFrame, alternative: pd.DataFrame, la_code: str, la_name: str
) -> str:
    """One sentence on which denominator convention the report used, from the numbers.

    The report's LA rates are tried on both conventions; the sentence names the one that
    reproduces all of them (or says that neither does).
    """
    figures = [f for f in REPORT_FIGURES if f.kind == "rate" and f.area == "la"]

    def reproduced(table: pd.DataFrame) -> list[pd.Series]:
        rows = [_rate_row(table, la_code, f.year) for f in figures]
        return [
            r for r, f in zip(rows, figures, strict=True)
            if r is not None and pd.notna(r["rate_non_uasc"])
            and round(float(r["rate_non_uasc"]), 1) == f.value
        ]

    same, dfe = reproduced(alternative), reproduced(default)
    if len(same) == len(figures) > len(dfe):
        shown = " and ".join(
            f"{int(r['year'])} ({int(r['cla_non_uasc']):,} / "
            f"{r['denominator_population']:,.0f}, mid-{r['denominator_mid_year']})"
            for r in same
        )
        return (
            "The report divided each year's count at 31 March by the ONS estimate for the same "
            f"mid-year, not DfE's mid-(Y-1): {la_name}'s rates for {shown} all come out that "
            "way, so the rates, changes and ratio below are on that convention."
        )
    return (
        f"Neither convention reproduces all of {la_name}'s report rates; the rates below are "
        "on the same mid-year, with DfE's convention in each explanation."
    )


def count_vintages_table(vintages: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Non-UASC counts as published in each release, for :func:`find_reproductions`.

    Rows of :data:`QUOTED_UASC_COUNTS` for ``codes`` are added as UASC counts of their release,
    and their note is carried into the label.
    """
    quoted = QUOTED_UASC_COUNTS[QUOTED_UASC_COUNTS["la_code"].isin(codes)]
    v = pd.concat([vintages[vintages["la_code"].isin(codes)], quoted], ignore_index=True)
    notes = {(r.la_code, r.year, r.release): r.note for r in quoted.itertuples()}
    base = pd.DataFrame(
        {
            "la_code": v["la_code"].astype(str),
            "year": v["year"].astype(int),
            "release": v["release"].astype(str),
            "all": pd.to_numeric(v["cla_all"], errors="coerce").astype(float),
            "uasc": pd.to_numeric(v["cla_uasc"], errors="coerce").astype(float),
        }
    )
    alls = base.dropna(subset=["all"])[["la_code", "year", "release", "all"]]
    uascs = base.dropna(subset=["uasc"])[["la_code", "year", "release", "uasc"]]
    pairs = alls.merge(uascs, on=["la_code", "year"], suffixes=("", "_uasc"))
    pairs["count"] = pairs["all"] - pairs["uasc"]
    same = pairs["release"] == pairs["release_uasc"]
    if "release_year" in v:
        first_year = v.groupby(["la_code", "year"])["release_year"].min()
        release_year = dict(zip(v["release"].astype(str), v["release_year"], strict=False))
        first = [
            release_year.get(rel) == first_year.get((code, year))
            for code, year, rel in zip(pairs["la_code"], pairs["year"], pairs["release"],
                                       strict=True)
        ]
    else:
        first = [False] * len(pairs)
    pairs["label"] = np.where(
        same,
        pairs["year"].astype(str)
        + np.where(first, " non-UASC count as first published, in ", " count as published in ")
        + pairs["release"],
        pairs["year"].astype(str)
        + " all CLA from "
        + pairs["release"]
        + ", UASC from "
        + pairs["release_uasc"],
    )
    pairs["label"] = [
        f"{label}; {notes[(code, year, rel)]}" if (code, year, rel) in notes else label
        for label, code, year, rel in zip(pairs["label"], pairs["la_code"], pairs["year"],
                                          pairs["release_uasc"], strict=True)
    ]
    pairs = pairs.assign(_same=same).sort_values("_same", ascending=False, kind="mergesort")
    return (
        pairs[["la_code", "year", "label", "count"]]
        .drop_duplicates(["la_code", "year", "count"])
        .reset_index(drop=True)
    )


# ------------------------------------------------------------------------------------------
# Loading, charts and words (used by notebook 01)
# ------------------------------------------------------------------------------------------


@dataclass
class TrendInputs:
    """The processed tables notebook 01 reads."""

    cla: pd.DataFrame
    vintages: pd.DataFrame | None
    candidates: pd.DataFrame

    def source_ids(self, codes: list[str]) -> list[str]:
        """Catalogue ids behind the CLA rows of ``codes`` and the population estimates."""
        rows = self.cla[self.cla["la_code"].isin(codes)]
        ids: list[str] = []
        for col in ("source_id", "uasc_source_id", "rate_source_id"):
            ids += [str(x) for x in rows[col].dropna().unique()]
        pop = self.candidates[self.candidates["la_code"].isin(codes)]
        for value in pop["source_id"].dropna().unique():
            ids += [x for x in re.split(r"[,+]", str(value)) if x]
        return list(dict.fromkeys(i for i in ids if i and i != "nan"))


def load_inputs(processed_dir: object = None) -> TrendInputs:
    """Read ``cla_la_year``, ``cla_la_year_vintages`` and ``population_la_year``."""
    from pathlib import Path

    from solihull_analytics import paths
    from solihull_analytics.build import BuildError, read_table

    pdir = Path(processed_dir) if processed_dir else paths.processed_dir()
    cla = read_table("cla_la_year", pdir)
    try:
        vintages = read_table("cla_la_year_vintages", pdir)
    except BuildError:
        vintages = None
    population = read_table("population_la_year", pdir)
    return TrendInputs(cla, vintages, population_candidates(population))


def plot_trend(
    la: pd.DataFrame,
    england: pd.DataFrame,
    la_name: str,
    break_year: int | None,
    title: str,
    before_label: str | None = None,
) -> object:
    """Chart: LA and England rates (all CLA and non-UASC) with CI bands and DfE's rate.

    Parameters
    ----------
    la, england : pandas.DataFrame
        Rows of :func:`cla_rates` for the LA and for England.
    la_name : str
        Name for the legend.
    break_year : int, optional
        First year on Census-2021-based estimates; a dotted vertical line is drawn before it.
    title : str
        Chart title (say the finding).
    before_label : str, optional
        What the years before ``break_year`` use (annotated left of the line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from solihull_analytics.report.page import LINE_STYLES, MARKERS, af_colours

    colours = af_colours(2)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    series = [
        (la, "all", colours[0], LINE_STYLES[0], MARKERS[0], f"{la_name}, all CLA"),
        (la, "non_uasc", colours[0], LINE_STYLES[1], MARKERS[1], f"{la_name}, excluding UASC"),
        (england, "all", colours[1], LINE_STYLES[2], MARKERS[2], "England, all CLA"),
        (england, "non_uasc", colours[1], LINE_STYLES[3], MARKERS[3], "England, excluding UASC"),
    ]
    for df, s, colour, style, marker, label in series:
        d = df.sort_values("year")
        ax.plot(
            d["year"],
            d[f"rate_{s}"],
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=4,
            label=label,
        )
        ax.fill_between(
            d["year"],
            d[f"rate_{s}_lower"].astype(float),
            d[f"rate_{s}_upper"].astype(float),
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    d = la.sort_values("year")
    ax.plot(
        d["year"],
        d["dfe_rate_per_10k"].astype(float),
        linestyle="none",
        marker="x",
        color=af_colours(3)[2],
        label=f"{la_name}, DfE published rate (all CLA)",
    )
    if break_year is not None:
        ax.axvline(break_year - 0.5, color="#3D3D3D", linestyle=":", linewidth=1.2)
        ax.annotate(
            "ONS estimates rebased\non Census 2021 from here",
            (break_year - 0.4, 0.97),
            xycoords=("data", "axes fraction"),
            va="top",
            fontsize=9,
        )
        if before_label:
            import textwrap

            ax.annotate(
                textwrap.fill(f"Before here: {before_label}", 26),
                (break_year - 0.6, 0.97),
                xycoords=("data", "axes fraction"),
                va="top",
                ha="right",
                fontsize=9,
            )
    ax.set_title(title, loc="left", wrap=True)
    ax.set_xlabel("Year (position at 31 March)")
    ax.set_ylabel("Children looked after per 10,000 aged 0-17")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=2, frameon=False, fontsize=9)
    years = sorted(set(la["year"]))
    ax.set_xticks([y for y in years if y % 2 == 0])
    fig.tight_layout()
    return fig


def plot_comparison(comparison: pd.DataFrame, year: int, title: str) -> object:
    """Horizontal dot chart of non-UASC rates with 95% CIs for the LA and its comparators."""
    import matplotlib.pyplot as plt

    from solihull_analytics.report.page import MARKERS, af_colours

    d = comparison.dropna(subset=["rate_non_uasc"]).sort_values("rate_non_uasc")
    colours = af_colours(3)
    style = {
        "this LA": (colours[0], MARKERS[0]),
        "England": (colours[1], MARKERS[1]),
        "region": (colours[1], MARKERS[2]),
        "neighbour": ("#3D3D3D", MARKERS[3]),
    }
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(d) + 1.8))
    for i, (_, r) in enumerate(d.iterrows()):
        colour, marker = style[r["role"]]
        ax.errorbar(
            r["rate_non_uasc"],
            i,
            xerr=[
                [r["rate_non_uasc"] - r["rate_non_uasc_lower"]],
                [r["rate_non_uasc_upper"] - r["rate_non_uasc"]],
            ],
            fmt=marker,
            color=colour,
            capsize=3,
            markersize=8 if r["role"] == "this LA" else 6,
        )
    labels = [
        f"{r['la_name']} ({r['role']})" if r["role"] in ("this LA", "region") else r["la_name"]
        for _, r in d.iterrows()
    ]
    ax.set_yticks(range(len(d)), labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), d.iterrows(), strict=True):
        if r["role"] == "this LA":
            tick.set_fontweight("bold")
    ax.set_xlabel(f"Children looked after excluding UASC per 10,000 aged 0-17, 31 March {year}")
    ax.set_title(title, loc="left", wrap=True)
    ax.set_xlim(left=0)
    fig.tight_layout()
    return fig


def describe_trend(la: pd.DataFrame, england: pd.DataFrame, la_name: str) -> str:
    """A paragraph on the latest rates and how they compare, generated from the numbers."""
    la_rows = la.dropna(subset=["rate_all"]).sort_values("year")
    latest = la_rows.iloc[-1]
    eng = england.set_index("year")
    year = int(latest["year"])
    e = eng.loc[year] if year in eng.index else None
    text = (
        f"At 31 March {year}, {int(latest['cla_all']):,} children were looked after by "
        f"{la_name}: {latest['rate_all']:.1f} per 10,000 children aged 0-17 (95% CI "
        f"{latest['rate_all_lower']:.1f} to {latest['rate_all_upper']:.1f}). "
    )
    if pd.notna(latest["cla_non_uasc"]):
        text += (
            f"Leaving out {int(latest['cla_uasc']):,} unaccompanied asylum-seeking children, the "
            f"rate was {latest['rate_non_uasc']:.1f} ({latest['rate_non_uasc_lower']:.1f} to "
            f"{latest['rate_non_uasc_upper']:.1f}). "
        )
    if e is not None and pd.notna(e["rate_non_uasc"]) and pd.isna(latest["rate_non_uasc"]):
        text += (
            f"{la_name}'s non-UASC rate cannot be compared with England's "
            f"({e['rate_non_uasc']:.1f}) for {year}: DfE suppressed a count it depends on. "
        )
    elif e is not None and pd.notna(e["rate_non_uasc"]):
        ratio = latest["rate_non_uasc"] / e["rate_non_uasc"]
        above = latest["rate_non_uasc_lower"] > e["rate_non_uasc"]
        below = latest["rate_non_uasc_upper"] < e["rate_non_uasc"]
        where = (
            "above England's"
            if above
            else "below England's"
            if below
            else "not clearly different from England's"
        )
        text += (
            f"England's non-UASC rate was {e['rate_non_uasc']:.1f}, so {la_name}'s was "
            f"{ratio:.2f} times England's and {where} (the 95% interval "
            f"{'excludes' if above or below else 'includes'} England's value). "
        )
    if pd.notna(latest["dfe_rate_per_10k"]):
        text += f"DfE's published all-CLA rate for {year} is {latest['dfe_rate_per_10k']:.0f}."
    return text


def describe_growth(growth: pd.DataFrame, la_name: str, start: int, end: int) -> str:
    """A paragraph on the change over the window, generated from :func:`growth_table`."""
    parts = []
    labels = {
        "non_uasc": "non-UASC rate (recomputed)",
        "all": "all-CLA rate (recomputed)",
        "dfe": "published DfE all-CLA rate",
    }
    for _, g in growth.iterrows():
        if pd.isna(g["la_change"]) or pd.isna(g["comparator_change"]):
            why = f" ({g['notes']})" if g["notes"] else " (a published count is missing)"
            parts.append(f"The {labels[g['series']]} cannot be compared over {start}-{end}{why}.")
            continue
        if diverged(g["la_change"], g["comparator_change"]):
            how = f"it {contrast_changes(g['la_change'], g['comparator_change'])}"
        elif pd.notna(g["ratio"]):
            how = f"{g['ratio']:.1f} times as fast as England's"
        else:
            how = "while England's did not rise"
        parts.append(
            f"The {labels[g['series']]} went from {g['la_start_rate']:.1f} to "
            f"{g['la_end_rate']:.1f} ({g['la_change']:+.0f}%), against England's "
            f"{g['comparator_start_rate']:.1f} to {g['comparator_end_rate']:.1f} "
            f"({g['comparator_change']:+.0f}%): {how}"
            + (
                " (approximate: a start-year denominator is the nearest estimate held)."
                if g["approximate"]
                else "."
            )
        )
    return f"Between {start} and {end} in {la_name}: " + " ".join(parts)


def diverged(la_change: float, comparator_change: float) -> bool:
    """Whether two percentage changes went in opposite directions (one rose, the other fell).

    A "times faster" ratio is then negative or undefined, so pages say what happened instead.
    """
    if pd.isna(la_change) or pd.isna(comparator_change):
        return False
    return (la_change > 0 > comparator_change) or (la_change < 0 < comparator_change)


def _moved(change: float, decimals: int, rose: str = "rose") -> str:
    if change > 0:
        return f"{rose} by {change:.{decimals}f}%"
    if change < 0:
        return f"fell by {abs(change):.{decimals}f}%"
    return "did not change"


def contrast_changes(
    la_change: float, comparator_change: float, comparator: str = "England's", decimals: int = 0
) -> str:
    """Two changes in plain English, e.g. ``"fell by 34% while England's rose by 26%"``.

    Parameters
    ----------
    la_change, comparator_change : float
        Percentage changes.
    comparator : str, default "England's"
        What the second change belongs to (possessive).
    decimals : int, default 0
        Decimals of the percentages.

    Returns
    -------
    str
    """
    return f"{_moved(la_change, decimals)} while {comparator} {_moved(comparator_change, decimals)}"


# ------------------------------------------------------------------------------------------
# Page sections (notebook 01): the context and the blocks each section shows
# ------------------------------------------------------------------------------------------

#: Source line of the trend chart.
TREND_SOURCE = (
    "DfE children looked after statistics (2010-2025 releases); ONS mid-year "
    "population estimates of children aged 0-17; rates recomputed by this suite."
)
#: The LA the Commissioner's report is about (its figures are reconciled on every page).
REPORT_LA = "E08000029"

_TREND_COLUMNS = {
    "year": "year",
    "cla_all": "all CLA",
    "cla_uasc": "UASC",
    "cla_non_uasc": "excl. UASC",
    "dfe_rate_per_10k": "DfE rate",
    "denominator_mid_year": "mid-year",
    "denominator_population": "aged 0-17",
    "denominator_vintage": "estimate used",
    "rate_all": "rate",
    "rate_all_lower": "lower",
    "rate_all_upper": "upper",
    "rate_non_uasc": "rate excl. UASC",
    "rate_non_uasc_lower": "lower ",
    "rate_non_uasc_upper": "upper ",
}
_COMPARISON_COLUMNS = {
    "role": "role",
    "la_name": "area",
    "cla_all": "all CLA",
    "dfe_rate_per_10k": "DfE rate",
    "rate_all": "rate (all)",
    "rate_non_uasc": "rate excl. UASC",
    "rate_non_uasc_lower": "lower",
    "rate_non_uasc_upper": "upper",
}
#: What the comparison dot chart plots, offered as its download.
_COMPARISON_CHART_COLUMNS = (
    "role",
    "la_code",
    "la_name",
    "rate_non_uasc",
    "rate_non_uasc_lower",
    "rate_non_uasc_upper",
)
_GROWTH_SERIES = {
    "non_uasc": "excluding UASC (recomputed)",
    "all": "all CLA (recomputed)",
    "dfe": "all CLA (DfE published)",
}
_POPULATION_COLUMNS = {
    "area": "area",
    "start_mid_year": "start mid-year",
    "start_population": "aged 0-17 at start",
    "end_mid_year": "end mid-year",
    "end_population": "aged 0-17 at end",
    "percent_change": "change (%)",
    "start_vintage": "start estimate",
    "end_vintage": "end estimate",
}


def _vintage_label(value: object) -> object:
    return vintage_labels().get(value, value)  # type: ignore[arg-type]


def _preformat(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Format float columns as text (missing values left missing), for a table shown as is."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [None if pd.isna(v) else float_format.format(v) for v in out[col]]
    return out


@dataclass
class TrendContext:
    """Everything notebook 01 shows, computed once by :func:`prepare`.

    Attributes
    ----------
    la : LocalAuthority
        The LA the page is about.
    inputs : TrendInputs
        The processed tables.
    processed : Path or None
        Processed-tables folder (None: the project's default).
    neighbours : NeighbourSet
        Statistical neighbours for the latest year (DfE's current model).
    report_neighbours : NeighbourSet
        Statistical neighbours for the report period (DfE's model in use in March 2023).
    table : pandas.DataFrame
        :func:`cla_rates` for the LA, England, its region and both sets of neighbours.
    la_rows, eng_rows : pandas.DataFrame
        The LA's and England's rows of ``table``, by year.
    latest_year : int
        Latest year with a recomputed rate for the LA.
    break_year : int or None
        First year on Census-2021-based estimates.
    window_start, window_end : int
        Growth window (years at 31 March).
    convention, vintage, ci_level, n_neighbours
        The page's parameters.
    """

    la: LocalAuthority
    inputs: TrendInputs
    processed: Path | None
    neighbours: NeighbourSet
    report_neighbours: NeighbourSet
    table: pd.DataFrame
    la_rows: pd.DataFrame
    eng_rows: pd.DataFrame
    latest_year: int
    break_year: int | None
    window_start: int
    window_end: int
    convention: Convention
    vintage: str
    ci_level: float
    n_neighbours: int

    @property
    def pct(self) -> str:
        """The confidence level as text, e.g. ``"95%"``."""
        return f"{self.ci_level * 100:g}%"

    @property
    def areas(self) -> list[str]:
        """The LA, England and (when known) its region."""
        return [self.la.code, ENGLAND_CODE] + ([self.la.region_code] if self.la.region_code else [])

    @property
    def la_last(self) -> pd.Series:
        """The LA's row for the latest year."""
        return self.la_rows.set_index("year").loc[self.latest_year]

    @property
    def eng_last(self) -> pd.Series:
        """England's row for the latest year."""
        return self.eng_rows.set_index("year").loc[self.latest_year]

    @property
    def source_ids(self) -> list[str]:
        """Catalogue ids the page uses, in the order the sections use them."""
        ids = (
            self.inputs.source_ids(self.areas)
            + self.neighbours.source_ids
            + self.report_neighbours.source_ids
            + self.inputs.source_ids([REPORT_LA, ENGLAND_CODE])
        )
        return list(dict.fromkeys(ids))

    @property
    def since(self) -> int:
        """Start year of the comparison table's change column (five years before the latest)."""
        return self.latest_year - 5

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """:func:`comparison_table` for the latest year."""
        return comparison_table(
            self.table,
            self.la.code,
            self.la.region_code,
            self.neighbours.codes,
            self.latest_year,
            self.since,
        )

    @cached_property
    def report_comparison(self) -> pd.DataFrame:
        """:func:`comparison_table` at the window's end against the report-period neighbours."""
        return comparison_table(
            self.table,
            self.la.code,
            None,
            self.report_neighbours.codes,
            self.window_end,
            self.window_start,
        )

    @cached_property
    def growth(self) -> pd.DataFrame:
        """:func:`growth_table` over the window (nearest denominators allowed, flagged)."""
        approx = cla_rates(
            self.inputs.cla,
            self.inputs.candidates,
            [self.la.code, ENGLAND_CODE],
            self.convention,
            self.vintage,
            self.ci_level,
            nearest=True,
        )
        return growth_table(approx, self.la.code, self.window_start, self.window_end)

    @cached_property
    def population(self) -> pd.DataFrame:
        """:func:`population_growth` of the LA and England over the window."""
        return population_growth(
            self.inputs.candidates,
            [self.la.code, ENGLAND_CODE],
            self.window_start,
            self.window_end,
            self.vintage,
        )


def prepare(
    la_code: str,
    processed_dir: object = None,
    *,
    window_start: int = REPORT_WINDOW[0],
    window_end: int = REPORT_WINDOW[1],
    convention: Convention = "dfe",
    vintage: str = "latest",
    ci_level: float = 0.95,
    n_neighbours: int = 10,
    first_year: int | None = 2006,
) -> TrendContext:
    """Load the data and compute the rates notebook 01 shows.

    Parameters
    ----------
    la_code : str
        The LA the page is about.
    processed_dir : str or Path, optional
        Processed-tables folder (empty or None: the project's default).
    window_start, window_end : int
        Growth window, years at 31 March.
    convention : {"dfe", "same_year"}
        Denominator convention, see :func:`select_denominators`.
    vintage : str
        ONS vintage of the 0-17 estimates (``"latest"`` or a vintage name).
    ci_level : float
        Confidence level of the limits.
    n_neighbours : int
        Number of statistical neighbours (DfE lists ten).
    first_year : int, optional
        First year shown.

    Returns
    -------
    TrendContext
        Neighbours are DfE's: the current model for the latest year, the model in use when the
        report was written for the report window (see :func:`neighbours.neighbour_set`).
    """
    from solihull_analytics.geo import neighbours as nb
    from solihull_analytics.geo.las import la_info

    processed = Path(processed_dir) if processed_dir else None
    la = la_info(la_code, processed)
    inputs = load_inputs(processed)
    neighbours = nb.neighbour_set(la.code, la.name, "current", processed, n_neighbours)
    report_neighbours = nb.neighbour_set(la.code, la.name, "report", processed, n_neighbours)
    areas = [la.code, ENGLAND_CODE] + ([la.region_code] if la.region_code else [])
    all_codes = list(dict.fromkeys(areas + neighbours.codes + report_neighbours.codes))
    table = cla_rates(
        inputs.cla,
        inputs.candidates,
        all_codes,
        convention,
        vintage,
        ci_level,
        first_year=first_year,
    )
    la_rows = table[table["la_code"] == la.code].sort_values("year")
    eng_rows = table[table["la_code"] == ENGLAND_CODE].sort_values("year")
    return TrendContext(
        la=la,
        inputs=inputs,
        processed=processed,
        neighbours=neighbours,
        report_neighbours=report_neighbours,
        table=table,
        la_rows=la_rows,
        eng_rows=eng_rows,
        latest_year=int(la_rows.dropna(subset=["rate_all"])["year"].max()),
        break_year=census2021_break_year(la_rows),
        window_start=window_start,
        window_end=window_end,
        convention=convention,
        vintage=vintage,
        ci_level=ci_level,
        n_neighbours=n_neighbours,
    )


def trend_section(ctx: TrendContext) -> list[Block]:
    """The rate trend: chart, paragraph and, when some years lack a rate, a note on them.

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        For :meth:`Page.show`. The missing-data notice follows (:func:`missing_denominators`),
        then :func:`trend_table`.
    """
    la, la_rows, eng_rows, year = ctx.la, ctx.la_rows, ctx.eng_rows, ctx.latest_year
    la_last, eng_last = ctx.la_last, ctx.eng_last
    rel = la_last["rate_all"] / eng_last["rate_all"]
    title = (
        f"{la.name}'s rate of children looked after was {rel:.1f} times England's in {year}"
        if abs(rel - 1) >= 0.05
        else f"{la.name}'s rate of children looked after was close to England's in {year}"
    )
    first = la_rows.dropna(subset=["rate_all"]).iloc[0]
    alt = (
        f"Line chart of children looked after per 10,000 aged 0-17 at 31 March, "
        f"{int(la_rows['year'].min())} to {year}, for {la.name} and England, all children "
        f"and excluding UASC, with {ctx.pct} confidence bands. {la.name}: "
        f"{first['rate_all']:.1f} in {int(first['year'])} (first year with a denominator) "
        f"and {la_last['rate_all']:.1f} in {year} (excluding UASC "
        f"{la_last['rate_non_uasc']:.1f}); England {eng_last['rate_all']:.1f} "
        f"({eng_last['rate_non_uasc']:.1f} excluding UASC). Crosses show DfE's published "
        "all-CLA rate"
        + (
            ", which also covers the years without a denominator here."
            if la_rows["rate_all"].isna().any()
            else "."
        )
        + (
            f" A dotted line before {ctx.break_year} marks the switch to Census-2021-based "
            "population estimates."
            if ctx.break_year
            else ""
        )
    )
    runs = denominator_runs(la_rows)
    before = (
        _vintage_label(runs[0][2]).replace("ONS estimate, ", "")
        if ctx.break_year and runs and runs[0][0] < ctx.break_year
        else None
    )
    if before and runs[0][2] in revised_vintages():
        alt += (
            f" Before the line, {int(runs[0][0])}-{int(runs[0][1])} rates use ONS's revised "
            "pre-Census 2021 series, not the estimates DfE used at the time."
        )
    blocks: list[Block] = [
        Chart(
            plot_trend(la_rows, eng_rows, la.name, ctx.break_year, title, before_label=before),
            alt,
            TREND_SOURCE,
            data=pd.concat([la_rows, eng_rows]),
            name="chart_rates",
        ),
        describe_trend(la_rows, eng_rows, la.name),
        series_break_statement(la_rows, ctx.inputs.candidates, la.code, la.name) or None,
    ]
    gaps = la_rows[la_rows["rate_all"].isna()]
    if len(gaps):
        blocks.append(
            f"Years without a recomputed rate ({', '.join(str(y) for y in gaps['year'])}): "
            + "; ".join(sorted(set(gaps["denominator_note"])))
            + ". DfE's published rate is "
            "shown for those years where DfE published one; it includes UASC."
        )
    return blocks


def missing_denominators(ctx: TrendContext) -> list[dict[str, str]]:
    """The 0-17 estimates the trend needed but the data lack, for :meth:`Page.missing_data`.

    Returns
    -------
    list of dict
        At most one ``{"what": ..., "where": ...}``.
    """
    gaps = ctx.la_rows[ctx.la_rows["rate_all"].isna()]
    if not len(gaps):
        return []
    years = ", mid-".join(str(int(y)) for y in sorted(set(gaps["denominator_wanted_mid_year"])))
    return [
        {
            "what": (
                f"ONS mid-year estimates of children aged 0-17 by local authority for mid-{years}."
            ),
            "where": "ONS mid-year population estimates (https://www.ons.gov.uk/"
            "peoplepopulationandcommunity/populationandmigration/populationestimates)",
        }
    ]


def trend_table(ctx: TrendContext) -> TableBlock:
    """The LA's counts, denominators and rates by year, with limits."""
    shown = ctx.la_rows[list(_TREND_COLUMNS)].rename(columns=_TREND_COLUMNS)
    shown["year"] = shown["year"].astype(str)
    shown["mid-year"] = [str(int(y)) if pd.notna(y) else None for y in shown["mid-year"]]
    shown["aged 0-17"] = shown["aged 0-17"].astype("Int64")
    shown["estimate used"] = shown["estimate used"].map(_vintage_label)
    return TableBlock(
        shown,
        caption=f"{ctx.la.name}: children looked after at 31 March, rates per 10,000 aged 0-17 "
        f"with {ctx.pct} confidence limits ({CONVENTION_LABELS[ctx.convention]})",
        source="DfE; ONS. 2006-2010 counts rounded to the nearest 5 by DfE.",
        name="rates",
        page_rows=-10,  # the latest years; the whole series is in the download
    )


def comparison_section(ctx: TrendContext) -> list[Block]:
    """The LA against England, its region and its statistical neighbours in the latest year.

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        Method statement, dot chart, paragraph, comparison table and neighbour table.
    """
    la, year, pct, comparison = ctx.la, ctx.latest_year, ctx.pct, ctx.comparison
    model = ctx.neighbours.label
    la_rate = ctx.la_last["rate_non_uasc"]
    rank, n_ranked = rank_among(comparison, la.code)
    region_row = comparison[comparison["role"] == "region"]
    is_neighbour = comparison["role"] == "neighbour"
    higher = comparison[is_neighbour & (comparison["rate_non_uasc_lower"] > la_rate)]
    lower = comparison[is_neighbour & (comparison["rate_non_uasc_upper"] < la_rate)]
    region = (
        f"{region_row['la_name'].iloc[0]} ({region_row['rate_non_uasc'].iloc[0]:.1f})"
        if len(region_row)
        else ""
    )
    title = (
        f"{la.name} ranks {rank} of {n_ranked} with its statistical neighbours on children "
        f"looked after excluding UASC, {year} ({model})"
    )
    alt = (
        f"Dot chart of children looked after excluding UASC per 10,000 aged 0-17 at 31 March "
        f"{year}, with {pct} confidence intervals, for {la.name} ({la_rate:.1f}), England "
        f"({ctx.eng_last['rate_non_uasc']:.1f})"
        + (f", {region}" if region else "")
        + f" and {len(ctx.neighbours.codes)} statistical neighbours ({model}), ranging from "
        f"{comparison['rate_non_uasc'].min():.1f} to {comparison['rate_non_uasc'].max():.1f}."
    )
    text = (
        f"In {year} {la.name} had the {ordinal(rank)} highest non-UASC rate of "
        f"{n_ranked} (itself and {n_ranked - 1} neighbours). {len(higher)} neighbour(s) had a "
        f"rate clearly higher (whole {pct} interval above {la.name}'s rate) and "
        f"{len(lower)} clearly lower."
        + (
            f" The {region_row['la_name'].iloc[0]} rate was "
            f"{region_row['rate_non_uasc'].iloc[0]:.1f}."
            if len(region_row)
            else ""
        )
    )
    columns = {**_COMPARISON_COLUMNS, "non_uasc_change": f"change {ctx.since}-{year} (%)"}
    return [
        ctx.neighbours.statement(),
        Chart(
            plot_comparison(comparison, year, title),
            alt,
            f"DfE children looked after statistics; ONS mid-year estimates; neighbours: {model}.",
            data=comparison[[c for c in _COMPARISON_CHART_COLUMNS if c in comparison]],
            name="chart_neighbours",
        ),
        text,
        TableBlock(
            comparison[list(columns)].rename(columns=columns),
            caption=f"Children looked after at 31 March {year} per 10,000 aged 0-17: "
            f"{la.name}, England, region and statistical neighbours ({model}), with the change "
            f"in the non-UASC rate since {ctx.since}",
        ),
        TableBlock(
            _preformat(ctx.neighbours.display(), "{:,.2f}"),
            caption=f"Statistical neighbours of {la.name}, nearest first ({model})",
        ),
    ]


def describe_population_growth(pop: pd.DataFrame, la_name: str) -> str:
    """A paragraph on the growth of the 0-17 population, from :func:`population_growth`.

    Parameters
    ----------
    pop : pandas.DataFrame
        Two rows: the LA, then England.
    la_name : str
        The LA's name.

    Returns
    -------
    str
        When both grew, the ratio of their growth; when they moved apart (one grew, the other
        fell) or either fell, what each did, without a ratio.
    """
    pl, pe = pop.iloc[0], pop.iloc[1]
    a, b = pl["percent_change"], pe["percent_change"]
    years = f"between mid-{int(pl['start_mid_year'])} and mid-{int(pl['end_mid_year'])}"
    if a > 0 and b > 0:
        text = (
            f"The population aged 0-17 grew by {a:.1f}% in {la_name} and {b:.1f}% in "
            f"England {years} ({la_name}'s growth was {a / b:.2f} times England's)"
        )
    elif pd.notna(a) and pd.notna(b):
        text = (
            f"The population aged 0-17 {_moved(a, 1, 'grew')} in {la_name} "
            f"{'while it' if diverged(a, b) else 'and'} {_moved(b, 1, 'grew')} in England "
            f"{years}"
        )
    else:
        text = (
            f"The population aged 0-17 grew by {a:.1f}% in {la_name} and {b:.1f}% in "
            f"England {years}"
        )
    return (
        text + f". Start: {_vintage_label(pl['start_vintage'])} ({pl['start_source_id']}); end: "
        f"{_vintage_label(pl['end_vintage'])} ({pl['end_source_id']})."
        + (
            f" {pl['note'][0].upper()}{pl['note'][1:]}, the nearest year held for both areas."
            if pl["note"]
            else ""
        )
        + (
            " The start and end estimates come from different ONS series (before and after the "
            "Census 2021 rebasing), so part of the change may reflect the rebasing."
            if pl["start_census2021_based"] != pl["end_census2021_based"]
            else ""
        )
    )


def growth_section(ctx: TrendContext) -> list[Block]:
    """Growth over the window: rates against England, then the 0-17 population.

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        Paragraph, denominator notes, growth table, population paragraph and table.
    """
    la_name, start, end, growth, pop = (
        ctx.la.name,
        ctx.window_start,
        ctx.window_end,
        ctx.growth,
        ctx.population,
    )
    notes = sorted(set("; ".join(growth["notes"]).split("; ")) - {""})
    g_shown = (
        growth.assign(series=growth["series"].map(_GROWTH_SERIES))
        .rename(
            columns={
                "la_start_rate": f"{la_name} {start}",
                "la_end_rate": f"{la_name} {end}",
                "la_change": f"{la_name} change (%)",
                "comparator_start_rate": f"England {start}",
                "comparator_end_rate": f"England {end}",
                "comparator_change": "England change (%)",
                "ratio": "times England's change",
            }
        )
        .drop(columns=["notes"])
    )
    pop_shown = pop.assign(area=[la_name, "England"])[list(_POPULATION_COLUMNS)]
    pop_shown = pop_shown.assign(
        start_mid_year=pop_shown["start_mid_year"].astype(str),
        end_mid_year=pop_shown["end_mid_year"].astype(str),
        start_population=pop_shown["start_population"].astype("Int64"),
        end_population=pop_shown["end_population"].astype("Int64"),
        start_vintage=pop_shown["start_vintage"].map(_vintage_label),
        end_vintage=pop_shown["end_vintage"].map(_vintage_label),
    ).rename(columns=_POPULATION_COLUMNS)
    return [
        describe_growth(growth, la_name, start, end),
        ("Denominators: " + "; ".join(notes) + ".") if notes else None,
        TableBlock(
            g_shown,
            caption=f"Change in the rate per 10,000 aged 0-17, {start} to {end}: "
            f"{la_name} against England",
        ),
        describe_population_growth(pop, la_name),
        TableBlock(pop_shown, caption=f"Population aged 0-17, {la_name} and England"),
        *report_neighbours_section(ctx),
    ]


def report_neighbours_table(ctx: TrendContext) -> pd.DataFrame:
    """Non-UASC rates at the window's ends for the LA, England and the report-period neighbours.

    Returns
    -------
    pandas.DataFrame
        ``role``, ``la_code``, ``la_name``, ``start_rate``, ``end_rate``, ``change`` (percent):
        the LA, England, then the neighbours in DfE's order.
    """
    start, end = ctx.window_start, ctx.window_end
    roles = {ctx.la.code: "this LA", ENGLAND_CODE: "England"}
    for code in ctx.report_neighbours.codes:
        roles.setdefault(code, "neighbour")
    t = ctx.table[ctx.table["la_code"].isin(roles)]
    rate = t.pivot_table(index="la_code", columns="year", values="rate_non_uasc", aggfunc="first")
    names = t.drop_duplicates("la_code").set_index("la_code")["la_name"]
    listed = dict(zip(ctx.report_neighbours.codes,
                      ctx.report_neighbours.table["la_name"], strict=True))
    rows = []
    for code, role in roles.items():
        a = rate.loc[code, start] if code in rate.index and start in rate.columns else np.nan
        b = rate.loc[code, end] if code in rate.index and end in rate.columns else np.nan
        name = names.get(code, listed.get(code, code))
        rows.append({"role": role, "la_code": code, "la_name": name, "start_rate": a,
                     "end_rate": b, "change": rates.percent_change(a, b)})
    return pd.DataFrame(rows)


def report_neighbours_section(ctx: TrendContext) -> list[Block]:
    """The window's change against the neighbours DfE listed when the report was written.

    Returns
    -------
    list of Block
        A paragraph and a table naming the model.
    """
    la, start, end = ctx.la.name, ctx.window_start, ctx.window_end
    nset = ctx.report_neighbours
    t = report_neighbours_table(ctx)
    me = t.iloc[0]
    nbrs = t[t["role"] == "neighbour"].dropna(subset=["change"])
    text = f"Over {start}-{end}, against {nset.label}"
    if nset.model == nset.requested and not nset.is_stand_in:
        text += ", the model in use when the Commissioner's report was written"
    text += ": "
    if pd.notna(me["change"]) and len(nbrs):
        faster = int((nbrs["change"] > me["change"]).sum())
        text += (
            f"{la}'s non-UASC rate went from {me['start_rate']:.1f} to {me['end_rate']:.1f} "
            f"({me['change']:+.0f}%); its neighbours' median change was "
            f"{nbrs['change'].median():+.0f}%, and {faster} of the {len(nbrs)} neighbours with "
            f"a rate in both years rose by more."
        )
    else:
        text += f"{la}'s non-UASC rate change cannot be computed from the published data."
    if t["change"].isna().any():
        text += (
            " A dash means no non-UASC rate for that year: the authority did not exist in "
            "that form yet, or DfE did not publish its UASC count (suppressed or not reported)."
        )
    if nset.note:
        text += f" {nset.note}"
    if nset.is_stand_in:
        text += " " + nset.statement()
    shown = t.drop(columns="la_code").rename(columns={
        "role": "role", "la_name": "area", "start_rate": f"rate excl. UASC {start}",
        "end_rate": f"rate excl. UASC {end}", "change": "change (%)"})
    return [
        text,
        TableBlock(
            shown,
            caption=f"Children looked after excluding UASC per 10,000 aged 0-17, {start} and "
            f"{end}: {la}, England and its statistical neighbours ({nset.label}, in DfE's "
            "order)",
            source=f"DfE; ONS; {CONVENTION_LABELS[ctx.convention]}.",
        ),
    ]


def reconciliation_section(ctx: TrendContext) -> list[Block]:
    """The Commissioner's report's figures against ours (always Solihull's, the report's LA).

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of Block
        A paragraph and the reconciliation table.
    """
    from solihull_analytics.geo.las import la_info

    inputs = ctx.inputs
    codes = [REPORT_LA, ENGLAND_CODE]
    default = cla_rates(
        inputs.cla, inputs.candidates, codes, "dfe", "latest", ctx.ci_level, nearest=True
    )
    alt = cla_rates(
        inputs.cla, inputs.candidates, codes, "same_year", "latest", ctx.ci_level, nearest=True
    )
    name = la_info(REPORT_LA, ctx.processed).name
    counts = count_vintages_table(inputs.vintages, codes) if inputs.vintages is not None else None
    rec = reconciliation_table(default, alt, REPORT_LA, name, counts, inputs.candidates)
    matched = rec[rec["verdict"] == "reproduced"]
    text = (
        (
            f"These are {name}'s figures (the report's subject), whichever authority this page "
            "is about. "
            if ctx.la.code != REPORT_LA
            else ""
        )
        + report_convention_sentence(default, alt, REPORT_LA, name)
        + f" Of the report's {len(rec)} figures, {len(matched)} are reproduced exactly on "
        "that convention; the others are shown next to ours with the reason. No figure is "
        f"forced to match. Source of the report's figures: {REPORT_CITATION}."
    )
    return [
        text,
        TableBlock(
            rec[["figure", "report", "ours", "difference", "verdict", "explanation"]],
            caption="The report's figures (non-UASC, at 31 March) against ours on the "
            "report's convention (rate at 31 March Y on the mid-Y estimate)",
        ),
    ]


def _round(value: float, digits: int) -> float | None:
    return None if pd.isna(value) else round(float(value), digits)


def headlines(ctx: TrendContext) -> list[dict[str, object]]:
    """The page's headline figures, as keyword arguments of :meth:`Page.headline`.

    Parameters
    ----------
    ctx : TrendContext
        From :func:`prepare`.

    Returns
    -------
    list of dict
        ``cla_rate_latest``, ``cla_rate_non_uasc_latest``, ``cla_rate_ratio_to_england``,
        ``cla_non_uasc_change_window`` and ``cla_non_uasc_change_ratio``.
    """
    la, year, la_last, eng_last = ctx.la.name, ctx.latest_year, ctx.la_last, ctx.eng_last
    window = f"{ctx.window_start}-{ctx.window_end}"
    la_ids = ctx.inputs.source_ids([ctx.la.code])
    both_ids = ctx.inputs.source_ids([ctx.la.code, ENGLAND_CODE])
    g0 = ctx.growth.set_index("series").loc["non_uasc"]
    ratio = la_last["rate_all"] / eng_last["rate_all"]
    if pd.notna(g0["la_change"]):
        change = (
            f"Non-UASC rate change {window}: {g0['la_change']:+.0f}% ({la}) vs "
            f"{g0['comparator_change']:+.0f}% (England)."
        )
    else:
        change = (
            f"The non-UASC rate change {window} cannot be computed for {la} from the "
            f"published data ({g0['notes'] or 'a count is missing'})."
        )
    if diverged(g0["la_change"], g0["comparator_change"]):
        times = (
            f"{la}'s non-UASC rate {_moved(g0['la_change'], 0)} over {window} while "
            f"England's {_moved(g0['comparator_change'], 0)}."
        )
    elif pd.notna(g0["ratio"]):
        times = (
            f"{la}'s non-UASC rate changed {g0['ratio']:.1f} times as much as England's "
            f"over {window}."
        )
    else:
        times = f"No ratio to England's change over {window} can be computed for {la}."
    return [
        dict(
            name="cla_rate_latest",
            value=round(float(la_last["rate_all"]), 1),
            unit="per 10,000 aged 0-17",
            period=f"31 March {year}",
            source_ids=la_ids,
            statement=f"{la}: {la_last['rate_all']:.1f} children looked after per 10,000 aged "
            f"0-17 at 31 March {year} (England {eng_last['rate_all']:.1f}).",
            label="Children looked after rate",
            lower=round(float(la_last["rate_all_lower"]), 1),
            upper=round(float(la_last["rate_all_upper"]), 1),
            area=la,
            note=CONVENTION_LABELS[ctx.convention],
        ),
        dict(
            name="cla_rate_non_uasc_latest",
            value=round(float(la_last["rate_non_uasc"]), 1),
            unit="per 10,000 aged 0-17",
            period=f"31 March {year}",
            source_ids=la_ids,
            statement=(
                f"Excluding UASC: {la_last['rate_non_uasc']:.1f} per 10,000 (England "
                f"{eng_last['rate_non_uasc']:.1f})."
                if pd.notna(la_last["rate_non_uasc"])
                else f"Excluding UASC: not available for {year} (DfE suppressed a count it "
                f"needs); England {eng_last['rate_non_uasc']:.1f}."
            ),
            label="Rate excluding UASC",
            lower=round(float(la_last["rate_non_uasc_lower"]), 1),
            upper=round(float(la_last["rate_non_uasc_upper"]), 1),
            area=la,
        ),
        dict(
            name="cla_rate_ratio_to_england",
            value=round(float(ratio), 2),
            unit="ratio",
            period=f"31 March {year}",
            source_ids=both_ids,
            statement=f"{la}'s rate was {ratio:.2f} times England's.",
            label="Ratio to England",
            area=la,
        ),
        dict(
            name="cla_non_uasc_change_window",
            value=_round(g0["la_change"], 1),
            unit="percent",
            period=window,
            source_ids=both_ids,
            statement=change,
            label="Change in non-UASC rate",
            area=la,
            note="approximate start denominator" if g0["approximate"] else "",
        ),
        dict(
            name="cla_non_uasc_change_ratio",
            value=_round(g0["ratio"], 2),
            unit="times England's change",
            period=window,
            source_ids=both_ids,
            statement=times,
            label="Times England's change",
            area=la,
        ),
    ]


def summary(ctx: TrendContext) -> str:
    """One sentence for the pack's index page."""
    la_last = ctx.la_last
    return (
        f"{ctx.la.name}: {la_last['rate_all']:.1f} children looked after per 10,000 in "
        f"{ctx.latest_year} ({la_last['rate_non_uasc']:.1f} excluding UASC); England "
        f"{ctx.eng_last['rate_all']:.1f}."
    )
