"""Readers of DfE's children-looked-after files, one per file layout.

Each reader returns records with :data:`RECORD_COLUMNS` (one row per area and year, with flags
saying which measures the file states); :mod:`solihull_analytics.sources.cla` assembles them
into the ``cla_la_year`` tables. The layout of each file is named in the release registry.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solihull_analytics.build import BuildError
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.sources._common import (
    read_rds_frame,
    require_columns,
    to_number,
)
from solihull_analytics.sources.cla_areas import (
    ENGLAND_NAME,
    LOCAL,
    LONDON_SUBREGIONS,
    NATIONAL,
    REGIONAL,
    AreaLookup,
    normalise_area_name,
)

#: Record columns shared by every reader.
RECORD_COLUMNS = [
    "geographic_level",
    "la_code",
    "old_la_code",
    "source_la_name",
    "year",
    "cla_all",
    "cla_uasc",
    "dfe_rate_per_10k",
    "dfe_population_0_17",
    "has_count",
    "has_uasc",
    "has_rate",
    "counts_rounded_to",
    "uasc_rounded_to",
    "source_id",
]


# ----------------------------------------------------------------------------------------------
# Small parsing helpers
# ----------------------------------------------------------------------------------------------


def parse_counts(values: pd.Series) -> pd.Series:
    """Convert published count cells to ``Int64`` (suppressed or not-applicable -> ``<NA>``).

    Parameters
    ----------
    values : pandas.Series
        Cells as read; thousands separators are allowed.

    Returns
    -------
    pandas.Series
        ``Int64`` counts.
    """
    return to_number(values).round().astype("Int64")


def _not_applicable(values: pd.Series) -> pd.Series:
    """True where a cell says the area did not exist that year ("z" in EES, "." in SFR tables)."""
    text = values.astype("string").str.strip()
    return text.isin(["z", "."]).fillna(False).astype(bool)


def _read_csv_text(path: Path) -> pd.DataFrame:
    """Read a DfE CSV with every column as text; strips header spaces and the BOM."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")
    df.columns = [str(c).strip() for c in df.columns]
    return df.loc[:, [c for c in df.columns if c and not c.startswith("Unnamed")]]


def _records(df: pd.DataFrame, source_id: str) -> pd.DataFrame:
    out = df.copy()
    for column in RECORD_COLUMNS:
        if column not in out:
            out[column] = pd.NA
    out["source_id"] = source_id
    return out[RECORD_COLUMNS]



# ----------------------------------------------------------------------------------------------
# Readers, one per file layout. Each returns records with RECORD_COLUMNS.
# ----------------------------------------------------------------------------------------------


def _cell_text(values: pd.Series) -> pd.Series:
    """Spreadsheet cells as text: missing -> "", whole floats without ".0"."""
    return values.map(
        lambda v: "" if pd.isna(v) else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                         else str(v).strip())
    ).astype(object)


def _tidy_year_sheet(raw: pd.DataFrame, source: Path, sheet: str, years: range
                     ) -> pd.DataFrame:
    """Return name + year columns of an SFR 27/2010-layout LA sheet (numbers block only).

    ``years`` are the years at 31 March the sheet covers (its release record says which).
    """
    raw = raw.apply(_cell_text)
    header_rows = raw.index[raw.eq(str(years[0])).any(axis=1)]
    if len(header_rows) == 0:
        raise BuildError(
            f"{source}, sheet {sheet}: no header row with the year {years[0]} was found. The "
            "layout changed, or the release record's first_year is wrong: check the sheet "
            "against data/releases.yaml and the catalogue entry."
        )
    header = raw.loc[header_rows[0]]
    name_col = next((c for c in raw.columns if raw[c].eq("Solihull").any()), None)
    if name_col is None:
        raise BuildError(
            f"{source}, sheet {sheet}: no column lists authority names (looked for 'Solihull'). "
            "The layout changed: check the sheet and update the reader."
        )
    year_cols: dict[int, list] = {}
    wanted = {str(y) for y in years}
    for column, label in header.items():
        if label in wanted:
            year_cols.setdefault(int(label), []).append(column)
    body = raw.loc[header_rows[0] + 1 :]
    body = body[body[name_col].ne("")]
    body = body[~body[name_col].str.match(r"^\s*(\d+\.|x |\. |Source)")]
    if not year_cols:
        raise BuildError(
            f"{source}, sheet {sheet}: no {years[0]}-{years[-1]} year columns in the header row."
        )
    first_numbers = [columns[0] for columns in year_cols.values()]
    body = body[body[first_numbers].ne("").any(axis=1)]  # drops footnotes and spacer rows
    out = pd.DataFrame({"name": body[name_col]})
    for year, columns in year_cols.items():
        out[f"n{year}"] = body[columns[0]]
        if len(columns) > 1:
            out[f"r{year}"] = body[columns[1]]
    return out[out["name"].str.len() > 0]


def _classify_sfr_areas(names: pd.Series, lookup: AreaLookup, source: Path) -> pd.DataFrame:
    """Level, codes for area names listed in SFR tables (England, regions, authorities)."""
    keys = names.map(normalise_area_name)
    is_england = keys.eq("england")
    region = lookup.region_code_for_name(names)
    is_subregion = keys.isin(LONDON_SUBREGIONS)
    is_region = region.notna() & ~is_england
    is_la = ~(is_england | is_region | is_subregion)
    out = pd.DataFrame(index=names.index)
    out["geographic_level"] = LOCAL
    out.loc[is_region, "geographic_level"] = REGIONAL
    out.loc[is_england, "geographic_level"] = NATIONAL
    out["old_la_code"] = pd.Series(pd.NA, index=names.index, dtype="str")
    out.loc[is_la, "old_la_code"] = lookup.old_code_for_name(names[is_la], source)
    out["la_code"] = lookup.la_code(out["old_la_code"])
    out.loc[is_region, "la_code"] = region[is_region]
    out.loc[is_england, "la_code"] = ENGLAND_CODE
    out["keep"] = ~is_subregion
    out["source_la_name"] = names
    return out


def read_sfr27_2010_la_tables(
    path: Path, source_id: str, lookup: AreaLookup, years: range
) -> pd.DataFrame:
    """Read LAA1 (numbers and rates) and LAA7 (UASC) from LA tables in the SFR 27/2010 layout.

    ``years`` are the years at 31 March the tables cover (2006-2010 for SFR 27/2010: the
    release record's ``first_year`` to its year). Counts are rounded by DfE: authorities to 5,
    regions to 10, England to 100.
    """
    sheets = pd.read_excel(path, sheet_name=["LAA1", "LAA7"], header=None, engine="calamine")
    laa1 = _tidy_year_sheet(sheets["LAA1"], path, "LAA1", years)
    laa7 = _tidy_year_sheet(sheets["LAA7"], path, "LAA7", years)
    if not {f"r{y}" for y in years} <= set(laa1.columns):
        raise BuildError(
            f"{path}, sheet LAA1: expected numbers and rates for {years[0]}-{years[-1]} side by "
            "side. The layout changed: check the sheet and update read_sfr27_2010_la_tables."
        )
    parts = []
    for frame, kind in ((laa1, "count"), (laa7, "uasc")):
        areas = _classify_sfr_areas(frame["name"], lookup, path)
        frame = frame[areas["keep"]]
        areas = areas[areas["keep"]]
        for year in years:
            n = frame[f"n{year}"]
            exists = ~_not_applicable(n)
            part = areas.loc[exists, ["geographic_level", "la_code", "old_la_code",
                                      "source_la_name"]].copy()
            part["year"] = year
            rounding = part["geographic_level"].map({LOCAL: 5, REGIONAL: 10, NATIONAL: 100})
            if kind == "count":
                part["cla_all"] = parse_counts(n[exists])
                part["dfe_rate_per_10k"] = to_number(frame.loc[exists, f"r{year}"])
                part["has_count"] = True
                part["has_rate"] = True
                part["counts_rounded_to"] = rounding
            else:
                part["cla_uasc"] = parse_counts(n[exists])
                part["has_uasc"] = True
                part["uasc_rounded_to"] = rounding
            parts.append(part)
    counts = pd.concat([p for p in parts if "cla_all" in p])
    uasc = pd.concat([p for p in parts if "cla_uasc" in p])
    key = ["geographic_level", "la_code", "old_la_code", "year"]
    merged = counts.merge(
        uasc[[*key, "cla_uasc", "has_uasc", "uasc_rounded_to"]], on=key, how="outer",
        validate="one_to_one",
    )
    return _records(merged, source_id)


def read_sfr27_2010_march(path: Path, source_id: str, lookup: AreaLookup, year: int
                          ) -> pd.DataFrame:
    """Read an underlying file in the SFR 27/2010 layout: the counts at 31 March ``year``
    (``MarTotal_<year>``) and the mid-(year-1) population 0-17 (``Mid<year-1>Pop0-17``)."""
    df = _read_csv_text(path)
    count_col, pop_col = f"MarTotal_{year}", f"Mid{year - 1}Pop0-17"
    require_columns(df, ["geog_l", "geog_c", "geog_n", count_col, pop_col], path)
    df = df.drop_duplicates()
    level = df["geog_l"].str.strip().str.upper()
    lookup.add_names(df.loc[level.eq("LA"), "geog_n"], df.loc[level.eq("LA"), "geog_c"])
    areas = _classify_sfr_areas(df["geog_n"], lookup, path)
    areas.loc[level.eq("LA"), "old_la_code"] = df.loc[level.eq("LA"), "geog_c"].str.strip()
    areas["la_code"] = areas["la_code"].where(
        ~level.eq("LA"), lookup.la_code(areas["old_la_code"])
    )
    out = areas[areas["keep"]].copy()
    df = df[areas["keep"]]
    out["year"] = year
    out["cla_all"] = parse_counts(df[count_col])
    out["dfe_population_0_17"] = parse_counts(df[pop_col])
    out["has_count"] = True
    # England is rounded to 100 and regions to 10 in this file, as in the LA tables.
    out["counts_rounded_to"] = out["geographic_level"].map({LOCAL: 1, REGIONAL: 10, NATIONAL: 100})
    return _records(out, source_id)


def _sfr_underlying_areas(df: pd.DataFrame, lookup: AreaLookup, path: Path) -> pd.DataFrame:
    """Areas of the 2011-2019 underlying files (columns geog_l, geog_c, geog_n)."""
    require_columns(df, ["geog_c", "geog_n"], path)
    code = df["geog_c"].str.strip()
    keys = df["geog_n"].map(normalise_area_name)
    is_england = keys.eq("england")
    is_subregion = keys.isin(LONDON_SUBREGIONS)
    region = lookup.region_code_for_name(df["geog_n"])
    is_region = region.notna() & ~is_england & ~code.str.fullmatch(r"\d{3}")
    out = pd.DataFrame(index=df.index)
    out["geographic_level"] = LOCAL
    out.loc[is_region, "geographic_level"] = REGIONAL
    out.loc[is_england, "geographic_level"] = NATIONAL
    is_la = ~(is_england | is_region | is_subregion)
    bad = is_la & ~code.str.fullmatch(r"\d{3}")
    if bad.any():
        raise BuildError(
            f"{path}: rows {df.loc[bad, 'geog_n'].tolist()[:5]} are neither England, a region nor "
            "an authority with a 3-digit DfE code (column geog_c). Check the file layout."
        )
    out["old_la_code"] = code.where(is_la)
    out["la_code"] = lookup.la_code(out["old_la_code"])
    out.loc[is_region, "la_code"] = region[is_region]
    out.loc[is_england, "la_code"] = ENGLAND_CODE
    out["source_la_name"] = df["geog_n"].str.strip()
    out["keep"] = ~is_subregion
    return out


def _aggregate_rounding(levels: pd.Series) -> pd.Series:
    """DfE rounds England and regional totals to 10 in underlying files from 2011."""
    return levels.map({LOCAL: 1, REGIONAL: 10, NATIONAL: 10}).astype("Int64")


def read_sfr_single_year(path: Path, year: int, source_id: str, lookup: AreaLookup) -> pd.DataFrame:
    """Read a 2011-2017 underlying file: count (``CLA_MarYYYY``) and UASC (``CLA_UASC``)."""
    df = _read_csv_text(path)
    count_col = f"CLA_Mar{year}"
    require_columns(df, [count_col, "CLA_UASC"], path)
    areas = _sfr_underlying_areas(df, lookup, path)
    out = areas[areas["keep"]].copy()
    df = df[areas["keep"]]
    out["year"] = year
    out["cla_all"] = parse_counts(df[count_col])
    out["cla_uasc"] = parse_counts(df["CLA_UASC"])
    out["has_count"] = True
    out["has_uasc"] = True
    out["counts_rounded_to"] = _aggregate_rounding(out["geographic_level"])
    out["uasc_rounded_to"] = out["counts_rounded_to"]
    return _records(out, source_id)


def read_multi_year_underlying(
    path: Path, years: range, population_offset: int, source_id: str, lookup: AreaLookup
) -> pd.DataFrame:
    """Read CLA2018/CLA2019 underlying files: count, rate, population and UASC by year.

    Parameters
    ----------
    path : Path
        The CSV.
    years : range
        The years at 31 March the file covers.
    population_offset : int
        The population column for year Y is ``CLA_Pop{Y + population_offset}`` (0 in the 2018
        file, -1 in the 2019 file, which labels columns by the mid-year of the estimate).
    source_id : str
        Catalogue id.
    lookup : AreaLookup
        Area codes.
    """
    df = _read_csv_text(path)
    needed = [f"{prefix}{y}" for y in years for prefix in ("CLA_Mar", "CLA_Rate", "CLA_UASC")]
    needed += [f"CLA_Pop{y + population_offset}" for y in years]
    require_columns(df, needed, path)
    areas = _sfr_underlying_areas(df, lookup, path)
    df = df[areas["keep"]]
    areas = areas[areas["keep"]]
    parts = []
    for year in years:
        part = areas.copy()
        part["year"] = year
        part["cla_all"] = parse_counts(df[f"CLA_Mar{year}"])
        part["cla_uasc"] = parse_counts(df[f"CLA_UASC{year}"])
        part["dfe_rate_per_10k"] = to_number(df[f"CLA_Rate{year}"])
        part["dfe_population_0_17"] = parse_counts(df[f"CLA_Pop{year + population_offset}"])
        part["has_count"] = part["has_uasc"] = part["has_rate"] = True
        part["counts_rounded_to"] = _aggregate_rounding(part["geographic_level"])
        part["uasc_rounded_to"] = part["counts_rounded_to"]
        parts.append(part)
    return _records(pd.concat(parts), source_id)


def read_ees_frame(path: Path) -> pd.DataFrame:
    """Read an EES ``cla_number_and_rate_per_10k_children`` release as text, harmonising names.

    The 2025 release renamed ``population_count`` to ``population_type`` and ``number`` to
    ``children_count``; both spellings are accepted.
    """
    df = _read_csv_text(path)
    renames = {"population_type": "population_count", "children_count": "number"}
    df = df.rename(columns={k: v for k, v in renames.items() if k in df and v not in df})
    require_columns(
        df,
        ["time_period", "geographic_level", "country_code", "region_code", "region_name",
         "old_la_code", "new_la_code", "la_name", "population_count", "population_estimate",
         "number", "rate_per_10000"],
        path,
    )
    return df


def read_ees_number_rate(df: pd.DataFrame, source_id: str, lookup: AreaLookup) -> pd.DataFrame:
    """CLA at 31 March from an EES number/rate release (count, rate, population used)."""
    df = df[df["population_count"].str.contains("31 March", case=False, regex=False)]
    df = df[df["geographic_level"].isin([NATIONAL, REGIONAL, LOCAL])]
    df = df[~(df["geographic_level"].eq(REGIONAL) & ~df["region_code"].str.startswith("E12"))]
    df = df[~_not_applicable(df["number"])]
    out = pd.DataFrame(index=df.index)
    out["geographic_level"] = df["geographic_level"]
    is_la = df["geographic_level"].eq(LOCAL)
    out["old_la_code"] = df["old_la_code"].str.strip().where(is_la)
    out["la_code"] = lookup.la_code(out["old_la_code"])
    out.loc[~is_la, "la_code"] = df["region_code"].where(
        df["geographic_level"].eq(REGIONAL), df["country_code"]
    )[~is_la]
    out["source_la_name"] = df["la_name"].where(is_la, df["region_name"])
    out["year"] = pd.to_numeric(df["time_period"].str[:4]).astype(int)
    out["cla_all"] = parse_counts(df["number"])
    out["dfe_rate_per_10k"] = to_number(df["rate_per_10000"])
    out["dfe_population_0_17"] = parse_counts(df["population_estimate"])
    out["has_count"] = out["has_rate"] = True
    out["counts_rounded_to"] = _aggregate_rounding(out["geographic_level"])
    return _records(out, source_id)


def read_national_time_series(path: Path, source_id: str) -> pd.DataFrame:
    """England count and UASC at 31 March from the EES national time series (1994 onward)."""
    df = _read_csv_text(path)
    require_columns(df, ["time_period", "population_count", "number"], path)
    measure = df["population_count"].str.strip().str.lower()
    is_all = measure.str.fullmatch(r"children looked after (at|on) 31 march")
    is_uasc = measure.str.contains("31 march", regex=False) & measure.str.contains("asylum")
    if not is_all.any() or not is_uasc.any():
        raise BuildError(
            f"{path}: no 'Children looked after at 31 March' and UASC rows in column "
            "population_count. The layout changed: update read_national_time_series."
        )
    years = pd.to_numeric(df["time_period"].str[:4]).astype(int)
    counts = pd.DataFrame(
        {"year": years[is_all], "cla_all": parse_counts(df.loc[is_all, "number"])}
    )
    uasc = pd.DataFrame(
        {"year": years[is_uasc], "cla_uasc": parse_counts(df.loc[is_uasc, "number"])}
    )
    out = counts.merge(uasc, on="year", how="outer", validate="one_to_one")
    out["geographic_level"] = NATIONAL
    out["la_code"] = ENGLAND_CODE
    out["source_la_name"] = ENGLAND_NAME
    out["has_count"] = out["cla_all"].notna()
    out["has_uasc"] = out["cla_uasc"].notna()
    out["counts_rounded_to"] = 10
    out["uasc_rounded_to"] = 10
    return _records(out, source_id)


UASC_GROUP = "Unaccompanied asylum-seeking children"


def read_dashboard_uasc(path: Path, source_id: str, lookup: AreaLookup) -> pd.DataFrame:
    """UASC at 31 March by area from DfE's CSC dashboard object (.rds).

    Rows with ``cla_group`` "Unaccompanied asylum-seeking children", characteristic "UASC" and a
    ``population_count`` mentioning 31 March; repeated rows are dropped.
    """
    columns = ["time_period", "geographic_level", "region_code", "new_la_code", "old_la_code",
               "la_name", "population_count", "cla_group", "characteristic",
               "cla_31_march_number"]
    df = read_rds_frame(path, columns, where={"cla_group": {UASC_GROUP}})
    keep = (
        df["cla_group"].eq(UASC_GROUP)
        & df["characteristic"].eq("UASC")
        & df["population_count"].str.contains("31 March", regex=False)
        & df["geographic_level"].isin([NATIONAL, REGIONAL, LOCAL])
    ).fillna(False)
    df = df[keep].drop_duplicates()
    df = df[~(df["geographic_level"].eq(REGIONAL) & ~df["region_code"].str.startswith("E12"))]
    df = df[~_not_applicable(df["cla_31_march_number"])]
    if df.empty:
        raise BuildError(
            f"{path}: no UASC rows (cla_group 'Unaccompanied asylum-seeking children', "
            "characteristic 'UASC'). The object's layout changed: update read_dashboard_uasc."
        )
    out = pd.DataFrame(index=df.index)
    out["geographic_level"] = df["geographic_level"]
    is_la = df["geographic_level"].eq(LOCAL)
    out["old_la_code"] = df["old_la_code"].astype("str").where(is_la)
    out["la_code"] = lookup.la_code(out["old_la_code"])
    out.loc[df["geographic_level"].eq(REGIONAL), "la_code"] = df["region_code"]
    out.loc[df["geographic_level"].eq(NATIONAL), "la_code"] = ENGLAND_CODE
    out["source_la_name"] = df["la_name"]
    out["year"] = df["time_period"].astype(int)
    out["cla_uasc"] = parse_counts(df["cla_31_march_number"])
    out["has_uasc"] = True
    out["uasc_rounded_to"] = _aggregate_rounding(out["geographic_level"])
    out = out.drop_duplicates(["geographic_level", "la_code", "year"])
    return _records(out, source_id)


