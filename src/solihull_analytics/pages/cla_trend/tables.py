"""Notebook 01's tables as shown: columns chosen, renamed and formatted for the page.

Each function takes a computed DataFrame (from :mod:`.compute` or :mod:`.comparators`) and
returns the frame a :class:`~solihull_analytics.report.page.TableBlock` shows.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from solihull_analytics.pages.cla_trend.text import vintage_name

TREND_COLUMNS = {
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
COMPARISON_COLUMNS = {
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
COMPARISON_CHART_COLUMNS = (
    "role",
    "la_code",
    "la_name",
    "rate_non_uasc",
    "rate_non_uasc_lower",
    "rate_non_uasc_upper",
)
GROWTH_SERIES = {
    "non_uasc": "excluding UASC (recomputed)",
    "all": "all CLA (recomputed)",
    "dfe": "all CLA (DfE published)",
}
POPULATION_COLUMNS = {
    "area": "area",
    "start_mid_year": "start mid-year",
    "start_population": "aged 0-17 at start",
    "end_mid_year": "end mid-year",
    "end_population": "aged 0-17 at end",
    "percent_change": "change (%)",
    "start_vintage": "start estimate",
    "end_vintage": "end estimate",
}
Labels = Mapping[str, str] | None


def preformat(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """Format float columns as text (missing values left missing), for a table shown as is."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [None if pd.isna(v) else float_format.format(v) for v in out[col]]
    return out


def trend_display(la_rows: pd.DataFrame, labels: Labels = None) -> pd.DataFrame:
    """The LA's counts, denominators and rates by year, as the trend table shows them."""
    shown = la_rows[list(TREND_COLUMNS)].rename(columns=TREND_COLUMNS)
    shown["year"] = shown["year"].astype(str)
    shown["mid-year"] = [str(int(y)) if pd.notna(y) else None for y in shown["mid-year"]]
    shown["aged 0-17"] = shown["aged 0-17"].astype("Int64")
    shown["estimate used"] = shown["estimate used"].map(lambda v: vintage_name(v, labels))
    return shown


def comparison_display(comparison: pd.DataFrame, since: int, year: int) -> pd.DataFrame:
    """The comparison table's columns, with the change since ``since`` named."""
    columns = {**COMPARISON_COLUMNS, "non_uasc_change": f"change {since}-{year} (%)"}
    return comparison[list(columns)].rename(columns=columns)


def growth_display(growth: pd.DataFrame, la_name: str, start: int, end: int) -> pd.DataFrame:
    """The growth table (one row per series) with headings naming the LA and the years."""
    return (
        growth.assign(series=growth["series"].map(GROWTH_SERIES))
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


def population_display(pop: pd.DataFrame, la_name: str, labels: Labels = None) -> pd.DataFrame:
    """The 0-17 population at the window's ends (the LA's row, then England's)."""
    shown = pop.assign(area=[la_name, "England"])[list(POPULATION_COLUMNS)]
    return shown.assign(
        start_mid_year=shown["start_mid_year"].astype(str),
        end_mid_year=shown["end_mid_year"].astype(str),
        start_population=shown["start_population"].astype("Int64"),
        end_population=shown["end_population"].astype("Int64"),
        start_vintage=shown["start_vintage"].map(lambda v: vintage_name(v, labels)),
        end_vintage=shown["end_vintage"].map(lambda v: vintage_name(v, labels)),
    ).rename(columns=POPULATION_COLUMNS)


def report_neighbours_display(table: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """The report-period neighbours' rates at the window's ends, as shown."""
    return table.drop(columns="la_code").rename(columns={
        "role": "role", "la_name": "area", "start_rate": f"rate excl. UASC {start}",
        "end_rate": f"rate excl. UASC {end}", "change": "change (%)"})
