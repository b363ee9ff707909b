"""Children looked after (CLA) at 31 March: the pure computations behind notebook 01.

DataFrames (and plain values) in, DataFrames out; nothing here reads a file, a table or the
release registry (the page passes in the registry's facts about population vintages).

- :func:`population_candidates` turns the ``population_la_year`` table into one row per area,
  mid-year and vintage of the ONS estimate of children aged 0-17;
- :func:`select_denominators` picks, for each area and year at 31 March, which estimate is the
  denominator (which mid-year, which vintage) and records why when there is none;
- :func:`cla_rates` joins counts (all CLA, UASC, non-UASC) to the chosen denominators and adds
  recomputed rates with confidence intervals, next to DfE's published rate;
- :func:`window_change`, :func:`growth_table` and :func:`population_growth` give the change over
  a window and the "x times faster" ratio;
- :func:`diverged` says whether two changes went opposite ways.

Comparisons with England, the region and statistical neighbours are in :mod:`.comparators`.

Conventions (see the mirror's ``data/cla/SOURCES.md``): "year" is the position at 31 March. DfE's
rate for 31 March of year Y uses the ONS mid-(Y-1) estimate of children aged 0-17
(``convention="dfe"``, the default); ``convention="same_year"`` uses mid-Y, which is what the
Commissioner's report did (see :mod:`solihull_analytics.reference.cla_figures`). "Non-UASC" is
all CLA minus unaccompanied asylum-seeking children (UASC); DfE's published rates are for all CLA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.methods import rates
from solihull_analytics.pages.cla_trend.census_bases import CensusBases, on_latest_census_base

Convention = Literal["dfe", "same_year"]

#: Offset from the year at 31 March to the mid-year of the denominator, per convention.
CONVENTION_OFFSETS: dict[str, int] = {"dfe": -1, "same_year": 0}

SERIES_LABELS = {"all": "all children looked after", "non_uasc": "excluding UASC"}


# ------------------------------------------------------------------------------------------
# Denominators
# ------------------------------------------------------------------------------------------

def population_candidates(
    population: pd.DataFrame,
    vintage_ranks: Mapping[str, int] | None = None,
    census_bases: Mapping[str, object] | CensusBases | None = None,
) -> pd.DataFrame:
    """Normalise a population table to one row per area, mid-year and vintage (ages 0-17).

    Accepts the ``population_la_year`` layout (``la_code``, a mid-year column ``mid_year`` or
    ``year``, a population column ``population_0_17``, ``population`` or ``value`` and, when
    present, ``age_band``, ``vintage``, ``vintage_rank`` and ``source_id``).

    Parameters
    ----------
    population : pandas.DataFrame
        ONS mid-year estimates of children aged 0-17 by area.
    vintage_ranks : mapping of str to int, optional
        Vintage -> order (higher = more recent), the release registry's fact; used when the
        table has neither ``vintage_rank`` nor ``release_year``. A vintage it lacks ranks 0.
    census_bases : CensusBases or mapping of str to int, optional
        Vintage -> the census its estimates are based on (registry fact ``census_base``); a
        vintage it lacks is on the latest census base only for mid-years from that census on.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code``, ``mid_year``, ``population``, ``vintage``, ``vintage_rank``
        (higher = more recent), ``source_id`` and ``on_latest_census_base`` (the estimate is
        on the latest census any vintage is based on, see :class:`.census_bases.CensusBases`).
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
        out["vintage_rank"] = (
            df["vintage"].astype(str).map(dict(vintage_ranks or {})).fillna(0).to_numpy()
        )
    else:
        out["vintage_rank"] = 0
    bases = (census_bases if isinstance(census_bases, CensusBases)
             else CensusBases.from_facts(census_bases))
    out["on_latest_census_base"] = on_latest_census_base(out["mid_year"], out["vintage"], bases)
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
        ``denominator_source_id``, ``denominator_on_latest_census_base``, ``denominator_exact``
        and
        ``denominator_note``.
    """
    if convention not in CONVENTION_OFFSETS:
        raise ValueError(f"convention must be one of {sorted(CONVENTION_OFFSETS)}")
    best = best_estimates(candidates, vintage, area_codes)
    return _denominator_frame(best, area_codes, years, convention, vintage, nearest)


def _denominator_frame(
    best: Mapping[str, Mapping[int, Estimate]],
    area_codes: list[str] | pd.Index,
    years: list[int] | range,
    convention: Convention,
    vintage: str,
    nearest: bool,
) -> pd.DataFrame:
    """:func:`select_denominators` from the areas' :func:`best_estimates`."""
    offset = CONVENTION_OFFSETS[convention]
    rows = [
        _denominator_row(code, int(year), int(year) + offset, best.get(code), nearest, vintage)
        for code in area_codes
        for year in years
    ]
    out = pd.DataFrame(rows)
    out["denominator_mid_year"] = out["denominator_mid_year"].astype("Int64")
    out["denominator_on_latest_census_base"] = out["denominator_on_latest_census_base"].astype(
        "boolean")
    return out


#: An area's estimate for one mid-year: population, vintage, source id, on the latest census base.
Estimate = tuple[float, str, str, bool]


def best_estimates(
    candidates: pd.DataFrame, vintage: str = "latest", area_codes: object = None
) -> dict[str, dict[int, Estimate]]:
    """Each area's best estimate per mid-year: the most recent vintage held (highest
    ``vintage_rank``, the last row among equals), or only ``vintage`` unless it is
    ``"latest"``.

    Parameters
    ----------
    candidates : pandas.DataFrame
        From :func:`population_candidates`.
    vintage : str, default "latest"
        As in :func:`select_denominators`.
    area_codes : list of str, optional
        Only these areas (default: all).

    Returns
    -------
    dict
        Area code -> {mid-year: (population, vintage, source id, on latest census base)}, with
        the values as :func:`select_denominators` reports them (plain Python types).
    """
    pool = candidates if vintage == "latest" else candidates[candidates["vintage"] == vintage]
    if area_codes is not None:
        pool = pool[pool["la_code"].isin(list(area_codes))]
    pool = pool.sort_values(["la_code", "mid_year", "vintage_rank"], kind="mergesort")
    pool = pool.drop_duplicates(["la_code", "mid_year"], keep="last")
    best: dict[str, dict[int, Estimate]] = {}
    columns = ("la_code", "mid_year", "population", "vintage", "source_id",
               "on_latest_census_base")
    for code, mid, population, vin, source, base in zip(
        *(pool[c].tolist() for c in columns), strict=True
    ):
        best.setdefault(code, {})[int(mid)] = (float(population), str(vin), str(source),
                                               bool(base))
    return best


def _denominator_row(
    code: str,
    year: int,
    wanted: int,
    held: Mapping[int, Estimate] | None,
    nearest: bool,
    vintage: str,
) -> dict[str, object]:
    """One row of :func:`select_denominators`: the estimate for mid-``wanted`` among ``held``
    (the area's best estimate per mid-year from :func:`best_estimates`, or None), the nearest
    one if ``nearest``, else a note saying none is held."""
    row: dict[str, object] = {
        "la_code": code,
        "year": year,
        "denominator_wanted_mid_year": wanted,
        "denominator_mid_year": pd.NA,
        "denominator_population": np.nan,
        "denominator_vintage": pd.NA,
        "denominator_source_id": pd.NA,
        "denominator_on_latest_census_base": pd.NA,
        "denominator_exact": False,
        "denominator_note": "",
    }
    chosen = None
    if held is not None and wanted in held:
        chosen = wanted
        row["denominator_exact"] = True
    elif held is not None and nearest and len(held):
        # The nearest mid-year held; ties go to the later one.
        chosen = min(held, key=lambda mid: (abs(mid - wanted), -mid))
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
        population, vin, source, base = held[chosen]
        row.update(
            denominator_mid_year=int(chosen),
            denominator_population=population,
            denominator_vintage=vin,
            denominator_source_id=source,
            denominator_on_latest_census_base=base,
        )
    return row


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
    if convention not in CONVENTION_OFFSETS:
        raise ValueError(f"convention must be one of {sorted(CONVENTION_OFFSETS)}")
    # Each area's best estimates are picked once for all areas, not sorted again per area
    # (issue 16).
    best = best_estimates(candidates, vintage, df["la_code"].unique())
    denominators = [
        _denominator_frame(
            best, [code], sorted(group["year"].unique()), convention, vintage, nearest
        )
        for code, group in df.groupby("la_code", sort=False)
    ]
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


def latest_census_break_year(
    table: pd.DataFrame, based_col: str = "denominator_on_latest_census_base"
) -> int | None:
    """First year of a rate series whose denominator is on the latest census base (None if none).
    """
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
                "start_on_latest_census_base": bool(s["on_latest_census_base"]),
                "end_on_latest_census_base": bool(e["on_latest_census_base"]),
                "note": "; ".join(note),
            }
        )
    return pd.DataFrame(rows)


def diverged(la_change: float, comparator_change: float) -> bool:
    """Whether two percentage changes went in opposite directions (one rose, the other fell).

    A "times faster" ratio is then negative or undefined, so pages say what happened instead.
    """
    if pd.isna(la_change) or pd.isna(comparator_change):
        return False
    return (la_change > 0 > comparator_change) or (la_change < 0 < comparator_change)

