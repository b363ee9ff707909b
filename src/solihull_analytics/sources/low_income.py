"""DWP children in low income families: upper-tier LA tables and an optional LSOA export.

Tables
------
``low_income_la_year``
    DWP children in relative low income families by upper-tier LA, financial year and age band.
``low_income_lsoa_year``
    The same at LSOA level, from an optional Stat-Xplore export (empty when absent).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources._common import current_la_code, to_number
from solihull_analytics.sources.census_readers import AREA_CODE, LSOA_CODE, read_hierarchy

_FYE = re.compile(r"^(?P<start>\d{4})/(?P<end>\d{2})(?P<p>\s*\(p\))?$")


def read_statxplore_csv(path: Path | str, text: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Read a DWP Stat-Xplore CSV export (one row per area, one column per year).

    The export starts with metadata lines (title, ``Filters:`` and filter lines such as
    ``"Age of Child (years and bands)","0-4"``), then a header line whose first cell is
    ``Year`` listing the years, each followed by an ``... - Annotations`` column, then a line
    naming the geography dimension, the area rows, a ``Total`` row and footnotes after a blank
    line. ``..`` means nil or negligible and becomes missing.

    Parameters
    ----------
    path : Path or str
        The file (named in errors).
    text : str, optional
        The file content, when already read (used by tests).

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Long frame ``area_code, year_label, financial_year_ending, provisional, value``
        (``value`` Int64) and the filters found in the metadata (name to value).
    """
    if text is None:
        text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, r in enumerate(rows) if r and r[0].strip() == "Year"), None)
    if header_at is None:
        raise BuildError(
            f"{path}: no line starting with \"Year\"; expected a Stat-Xplore table export "
            "with years in columns. Re-export the table as CSV from Stat-Xplore."
        )
    filters = {
        r[0].strip(): r[1].strip()
        for r in rows[:header_at]
        if len(r) >= 2 and r[0].strip() and r[0].strip() != "Default Summation"
    }
    header = rows[header_at]
    year_cols = {
        i: name.strip()
        for i, name in enumerate(header)
        if i > 0 and name.strip() and "annotation" not in name.lower()
    }
    records = []
    for r in rows[header_at + 1 :]:
        if not r or not any(cell.strip() for cell in r):
            break  # a blank line ends the table
        code = r[0].strip()
        if len(r) < 2 or not re.fullmatch(AREA_CODE, code):
            continue  # dimension title, Total and unknown-area rows
        for i, label in year_cols.items():
            records.append((code, label, r[i] if i < len(r) else ""))
    if not records:
        raise BuildError(f"{path}: no area rows keyed by a GSS code after the \"Year\" line.")
    out = pd.DataFrame(records, columns=["area_code", "year_label", "raw"])
    parsed = out["year_label"].str.extract(_FYE)
    if parsed["start"].isna().any():
        bad = out.loc[parsed["start"].isna(), "year_label"].iloc[0]
        raise BuildError(f"{path}: year column {bad!r} is not a financial year like '2020/21'.")
    out["financial_year_ending"] = parsed["start"].astype(int) + 1
    out["provisional"] = parsed["p"].notna()
    out["value"] = to_number(out.pop("raw")).round().astype("Int64")
    return out, filters


LOW_INCOME_LA_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(r"^[ENSW][0-9]{8}$")),
        "la_name": pa.Column(str, nullable=True),
        "financial_year_ending": pa.Column("int64", pa.Check.in_range(2010, 2040)),
        "provisional": pa.Column(bool),
        "age_band": pa.Column(str, pa.Check.isin(["0-4", "5-10", "11-15", "16", "0-19", "0-15"])),
        "children": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "financial_year_ending", "age_band"],
)

_CILIF_UTLA = {
    "dwp_cilif_utla_age_0_4": "0-4",
    "dwp_cilif_utla_age_5_10": "5-10",
    "dwp_cilif_utla_age_11_15": "11-15",
    "dwp_cilif_utla_age_16": "16",
    "dwp_cilif_utla_all_ages": "0-19",
}


#: Names of upper-tier codes retired without a 1:1 successor (absent from the LA hierarchy).
RETIRED_UTLA_NAMES = {"E10000006": "Cumbria", "E10000021": "Northamptonshire"}


def _la_names(hierarchy: pd.DataFrame) -> dict[str, str]:
    names = dict(RETIRED_UTLA_NAMES)
    names.update(zip(hierarchy["LADCD"], hierarchy["LADNM"], strict=True))
    names.update(zip(hierarchy["UTLACD"], hierarchy["UTLANM"], strict=True))
    return names


@table(
    "low_income_la_year",
    inputs=[*_CILIF_UTLA, "geo_la_hierarchy"],
    schema=LOW_INCOME_LA_SCHEMA,
    description="DWP children in relative low income families by upper-tier LA, year and age.",
)
def build_low_income_la_year(inputs: Inputs) -> pd.DataFrame:
    """DWP children in relative low income (before housing costs) by upper-tier LA and year.

    ``financial_year_ending`` is the calendar year the financial year ends (2021 for 2020/21);
    ``provisional`` flags years DWP marks "(p)". Age band ``0-15`` is the sum of 0-4, 5-10 and
    11-15 (missing when any part is). Codes for counties that became unitary on the same area are
    replaced by the current code; names come from the LA hierarchy.
    """
    parts = []
    for entry_id, band in _CILIF_UTLA.items():
        long, _ = read_statxplore_csv(inputs.path(entry_id))
        long["age_band"] = band
        long["source_id"] = entry_id
        parts.append(long)
    out = pd.concat(parts, ignore_index=True).rename(columns={"area_code": "la_code"})
    keys = ["la_code", "financial_year_ending", "provisional"]
    young = out[out["age_band"].isin(["0-4", "5-10", "11-15"])]
    under16 = (
        young.groupby(keys, as_index=False)
        .agg(value=("value", lambda s: s.sum() if s.notna().all() and len(s) == 3 else pd.NA),
             source_id=("source_id", lambda s: "+".join(sorted(s))))
    )
    under16["age_band"] = "0-15"
    out = pd.concat([out, under16], ignore_index=True)
    out["la_code"] = current_la_code(out["la_code"])
    names = _la_names(read_hierarchy(inputs.path("geo_la_hierarchy")))
    out["la_name"] = out["la_code"].map(names).astype("string")
    out["children"] = out["value"].astype("Int64")
    out["financial_year_ending"] = out["financial_year_ending"].astype("int64")
    out["provisional"] = out["provisional"].astype(bool)
    cols = ["la_code", "la_name", "financial_year_ending", "provisional", "age_band", "children",
            "source_id"]
    return out[cols].sort_values(["la_code", "financial_year_ending", "age_band"]).reset_index(
        drop=True
    )


LOW_INCOME_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "financial_year_ending": pa.Column("int64", pa.Check.in_range(2010, 2040)),
        "provisional": pa.Column(bool),
        "age_band": pa.Column(str),
        "children": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa_code", "financial_year_ending", "age_band"],
)


@table(
    "low_income_lsoa_year",
    inputs=[],
    optional_inputs=["dwp_cilif_lsoa"],
    schema=LOW_INCOME_LSOA_SCHEMA,
    description="DWP children in relative low income by LSOA (optional Stat-Xplore export).",
)
def build_low_income_lsoa_year(inputs: Inputs) -> pd.DataFrame:
    """DWP children in relative low income by LSOA, from an optional Stat-Xplore export.

    Expected file (not in the mirror): Stat-Xplore "Children in Low Income Families - Relative
    Low Income", rows = LSOAs (GSS ``E01``/``W01`` codes in the first column), columns = years
    (``2020/21``, ``2021/22 (p)`` ...), exported as CSV with annotations, optionally filtered on
    ``Age of Child (years and bands)`` (e.g. ``0-15``; no filter = all dependent children 0-19).
    The LSOA vintage is the one Stat-Xplore used for the export (2021 LSOAs in current releases).
    Empty when the file is absent.
    """
    cols = ["lsoa_code", "financial_year_ending", "provisional", "age_band", "children",
            "source_id"]
    path = inputs.optional_path("dwp_cilif_lsoa")
    if path is None:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        return empty.astype(
            {"financial_year_ending": "int64", "provisional": bool, "children": "Int64"}
        )
    long, filters = read_statxplore_csv(path)
    age = next((v for k, v in filters.items() if k.lower().startswith("age of child")), "0-19")
    out = pd.DataFrame(
        {
            "lsoa_code": long["area_code"],
            "financial_year_ending": long["financial_year_ending"].astype("int64"),
            "provisional": long["provisional"].astype(bool),
            "age_band": age,
            "children": long["value"],
            "source_id": "dwp_cilif_lsoa",
        }
    )
    return out[out["lsoa_code"].str.match(LSOA_CODE)].reset_index(drop=True)
