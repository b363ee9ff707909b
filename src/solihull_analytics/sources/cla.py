"""Children looked after (CLA) at 31 March by local authority, region and England, 2006 onward.

Two tables are built from every DfE release in the release registry (``data/releases.yaml``,
kind ``cla``; each file is read by its layout):

``cla_la_year_vintages``
    Every figure as found in each release: one row per area, year and source file, with the
    all-CLA count, the UASC count, DfE's published rate per 10,000 and the population DfE used.
    It shows how figures were revised between releases (e.g. Solihull 2017: 383 first
    published, 387 from 2018).

``cla_la_year``
    One row per area and year: for each measure the value from the **latest release** that
    states it (latest release wins). Counts, UASC and rates are chosen separately because not
    every release carries all three (e.g. the national time series has no rates, the 2011-2013
    files have no rates, UASC by LA from 2020 comes only from DfE's dashboard object); the
    ``source_id``, ``uasc_source_id`` and ``rate_source_id`` columns say where each came from.

Sources and what each contributes (see ``data/cla/SOURCES.md`` in the mirror):

==============================================  ==========  ======================================
catalogue id                                    years       measures
==============================================  ==========  ======================================
cla_sfr27_2010_la_tables (LAA1, LAA7)           2006-2010   count, rate, UASC; rounded to 5/10/100
cla_sfr27_2010_march                            2010        unrounded LA count, mid-2009 population
cla_sfr21_2011, cla_sfr20_2012, cla_sfr36_2013  2011-2013   count, UASC (no rates)
cla_sfr36_2014 ... cla_sfr50_2017               2014-2017   first-release count, UASC
cla2018_underlying                              2014-2018   count, rate, population, UASC
cla2019_underlying                              2015-2019   count, rate, population, UASC
cla_ees20XX_number_rate (2021-2025 releases)    2018-2025   count, rate, population
cla_dashboard_characteristics_20XX              2020-2025   UASC (DfE dashboard object)
cla_ees2024_national_time_series                1994-2024   England count and UASC (no rates)
==============================================  ==========  ======================================

Areas carry the current GSS code of DfE's latest release (``la_code``): older files are mapped
through DfE's 3-digit ``old_la_code``, which stays with an area across code changes (e.g.
North Yorkshire 815: E10000023 until 2023, E06000065 now). Authorities that no longer exist
keep their last code (Bournemouth E06000028, Poole E06000029, Dorset county E10000009,
Northamptonshire E10000021, Cumbria E10000006). Cheshire (875) and Bedfordshire (820), abolished
in 2009 before GSS codes existed, appear for 2006-2009 with ``la_code`` missing and are identified
by ``old_la_code``. Inner and Outer London are not kept (EES releases have only the nine regions).

England's 2022 count is 82,090 in this table: the 2023-2025 releases revised the 82,170 first
published in 2022 (the 2022 figure stays visible in ``cla_la_year_vintages``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.constants import ENGLAND_CODE
from solihull_analytics.sources._common import (
    read_rds_frame,
    require_columns,
    to_number,
)

# ----------------------------------------------------------------------------------------------
# Releases: label, publication order and the catalogue ids that belong to each
# ----------------------------------------------------------------------------------------------
# All of it is in the release registry (data/releases.yaml, kind ``cla``): each release's label,
# year and order, and its files with their layout and, within a release, the ``priority`` of a
# file for a measure (higher wins: the unrounded 2010 underlying file over the rounded LA
# tables, EES number/rate files over the national time series, and the national time series
# over the dashboard object).

#: File layouts this module reads (``layout`` of a CLA file in the release registry).
LAYOUTS = (
    "cla_sfr27_2010_march",
    "cla_sfr27_2010_la_tables",
    "cla_sfr_single_year",
    "cla_underlying_multi_year",
    "cla_ees_number_rate",
    "cla_national_time_series",
    "cla_dashboard_uasc",
)


def _cla_files(optional: bool | None = None) -> list[tuple[releases.Release, releases.ReleaseFile]]:
    return [
        (rel, f)
        for rel in releases.releases("cla")
        for f in rel.files
        if f.layout in LAYOUTS and (optional is None or f.optional == optional)
    ]


def required_inputs() -> list[str]:
    """Catalogue ids of the CLA files the registry lists as always present."""
    return [f.id for _, f in _cla_files(optional=False)]


def optional_inputs() -> list[str]:
    """Catalogue ids of the CLA files used when present (not in the mirror)."""
    return [f.id for _, f in _cla_files(optional=True)]


NATIONAL, REGIONAL, LOCAL = "National", "Regional", "Local authority"
#: Geographic levels as every processed table names them (EES files say National/Regional/...).
OUTPUT_LEVEL = {NATIONAL: "country", REGIONAL: "region", LOCAL: "local_authority"}
ENGLAND_NAME = "England"

#: Upper-tier authorities abolished in 2009, before GSS codes: DfE code -> (name, region code).
PRE_GSS_AUTHORITIES = {
    "875": ("Cheshire", "E12000002"),
    "820": ("Bedfordshire", "E12000006"),
}

LONDON_REGION_CODE = "E12000007"

#: Sub-regions that DfE files list besides the nine regions (dropped).
LONDON_SUBREGIONS = ("inner london", "outer london")

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


def normalise_area_name(name: object) -> str:
    """Return a matching key for an area name as spelt in DfE tables.

    Footnote digits, case, punctuation, "&" and a trailing ", City of" / "City of" prefix are
    ignored, so "Bristol, City of", "Newcastle Upon Tyne", "Cheshire East5" and
    "YORKSHIRE AND HUMBER" match the EES spellings.

    Parameters
    ----------
    name : object
        The name as found (``NaN`` gives ``""``).

    Returns
    -------
    str
        Lower-case words separated by single spaces.
    """
    if not isinstance(name, str):
        return ""
    text = name.strip().lower().replace("&", " and ").replace(", city of", "")
    text = re.sub(r"\d+$", "", text)
    text = re.sub(r"[^a-z ]+", " ", text)
    words = [w for w in text.split() if w not in {"the", "of", "county", "borough"}]
    key = " ".join(words)
    return NAME_ALIASES.get(key, key)


#: Old spellings of authority names (after :func:`normalise_area_name`) -> current spelling.
NAME_ALIASES = {"medway towns": "medway"}


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
# Area codes
# ----------------------------------------------------------------------------------------------


class AreaLookup:
    """Current codes, names and regions of DfE areas, taken from the EES releases.

    Parameters
    ----------
    ees_frames : list of pandas.DataFrame
        The EES number/rate releases read as text, oldest first.
    """

    def __init__(self, ees_frames: list[pd.DataFrame]) -> None:
        parts = []
        for rank, df in enumerate(ees_frames):
            la = df[df["geographic_level"] == LOCAL]
            parts.append(
                la.assign(
                    rank=rank, year=pd.to_numeric(la["time_period"], errors="coerce")
                )[["old_la_code", "new_la_code", "la_name", "region_code", "region_name",
                   "rank", "year"]]
            )
        rows = pd.concat(parts, ignore_index=True)
        rows["old_la_code"] = rows["old_la_code"].str.strip()
        # The latest release names an authority with its current code; for an authority that no
        # longer exists its last year in the latest release that lists it gives its last code.
        latest = rows.sort_values(["rank", "year"]).drop_duplicates("old_la_code", keep="last")
        self.by_old_code = latest.set_index("old_la_code")[
            ["new_la_code", "la_name", "region_code", "region_name"]
        ].copy()
        # EES gives London boroughs the Inner/Outer London code (E13); use the region, London.
        inner_outer = self.by_old_code["region_code"].str.startswith("E13")
        self.by_old_code.loc[inner_outer, "region_code"] = LONDON_REGION_CODE
        regions = pd.concat(
            [df.loc[df["geographic_level"] == REGIONAL, ["region_code", "region_name"]]
             for df in ees_frames]
        ).drop_duplicates("region_code", keep="last")
        regions = regions[regions["region_code"].str.startswith("E12")]
        self.region_names = dict(zip(regions["region_code"], regions["region_name"], strict=True))
        self.region_by_name = {
            normalise_area_name(n): c for c, n in self.region_names.items()
        } | {"yorkshire and humber": "E12000003"}
        self.old_code_by_name = {
            normalise_area_name(name): code
            for code, name in zip(latest["old_la_code"], latest["la_name"], strict=True)
        }
        for code, (name, _region) in PRE_GSS_AUTHORITIES.items():
            self.old_code_by_name[normalise_area_name(name)] = code

    def add_names(self, names: pd.Series, old_codes: pd.Series) -> None:
        """Teach the lookup the names of another file's authorities (e.g. SFR 27/2010).

        These override the EES names, so that "Dorset" in the 2006-2010 tables is the county
        (835), not the unitary authority of 2019 (838).
        """
        for name, code in zip(names, old_codes, strict=True):
            key = normalise_area_name(name)
            if key and isinstance(code, str) and code.strip().isdigit():
                self.old_code_by_name[key] = code.strip()

    def la_code(self, old_codes: pd.Series) -> pd.Series:
        """Current GSS code for DfE's 3-digit codes (``<NA>`` for pre-2009 authorities)."""
        return old_codes.map(self.by_old_code["new_la_code"]).astype("str")

    def region_code_for_name(self, names: pd.Series) -> pd.Series:
        """E12 code for a region name as spelt in DfE tables."""
        return names.map(lambda n: self.region_by_name.get(normalise_area_name(n)))

    def old_code_for_name(self, names: pd.Series, source: Path | str) -> pd.Series:
        """DfE 3-digit code for an authority name; raise if any name is unknown."""
        keys = names.map(normalise_area_name)
        codes = keys.map(self.old_code_by_name)
        unknown = sorted(set(names[codes.isna()].astype(str)))
        if unknown:
            raise BuildError(
                f"{source}: authority name(s) {unknown[:8]} could not be matched to a DfE code. "
                "The table layout or names may have changed: add the spelling to the reader "
                "(normalise_area_name) or check the file against its catalogue entry."
            )
        return codes


# ----------------------------------------------------------------------------------------------
# Readers, one per file layout. Each returns records with RECORD_COLUMNS.
# ----------------------------------------------------------------------------------------------


def _cell_text(values: pd.Series) -> pd.Series:
    """Spreadsheet cells as text: missing -> "", whole floats without ".0"."""
    return values.map(
        lambda v: "" if pd.isna(v) else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                         else str(v).strip())
    ).astype(object)


def _tidy_year_sheet(raw: pd.DataFrame, source: Path, sheet: str) -> pd.DataFrame:
    """Return name + year columns of an SFR 27/2010 LA sheet (numbers block only)."""
    raw = raw.apply(_cell_text)
    header_rows = raw.index[raw.eq("2006").any(axis=1)]
    if len(header_rows) == 0:
        raise BuildError(
            f"{source}, sheet {sheet}: no header row with the year 2006 was found. The layout "
            "changed: check the sheet against the catalogue entry and update the reader."
        )
    header = raw.loc[header_rows[0]]
    name_col = next((c for c in raw.columns if raw[c].eq("Solihull").any()), None)
    if name_col is None:
        raise BuildError(
            f"{source}, sheet {sheet}: no column lists authority names (looked for 'Solihull'). "
            "The layout changed: check the sheet and update the reader."
        )
    year_cols: dict[int, list] = {}
    for column, label in header.items():
        if re.fullmatch(r"20(0[6-9]|10)", label):
            year_cols.setdefault(int(label), []).append(column)
    body = raw.loc[header_rows[0] + 1 :]
    body = body[body[name_col].ne("")]
    body = body[~body[name_col].str.match(r"^\s*(\d+\.|x |\. |Source)")]
    if not year_cols:
        raise BuildError(f"{source}, sheet {sheet}: no 2006-2010 year columns in the header row.")
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


def read_sfr27_2010_la_tables(path: Path, lookup: AreaLookup) -> pd.DataFrame:
    """Read LAA1 (numbers and rates) and LAA7 (UASC), 2006-2010, from the SFR 27/2010 tables.

    Counts are rounded by DfE: authorities to 5, regions to 10, England to 100.
    """
    sheets = pd.read_excel(path, sheet_name=["LAA1", "LAA7"], header=None, engine="calamine")
    laa1 = _tidy_year_sheet(sheets["LAA1"], path, "LAA1")
    laa7 = _tidy_year_sheet(sheets["LAA7"], path, "LAA7")
    if not {f"r{y}" for y in range(2006, 2011)} <= set(laa1.columns):
        raise BuildError(
            f"{path}, sheet LAA1: expected numbers and rates for 2006-2010 side by side. The "
            "layout changed: check the sheet and update read_sfr27_2010_la_tables."
        )
    parts = []
    for frame, kind in ((laa1, "count"), (laa7, "uasc")):
        areas = _classify_sfr_areas(frame["name"], lookup, path)
        frame = frame[areas["keep"]]
        areas = areas[areas["keep"]]
        for year in range(2006, 2011):
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
    return _records(merged, "cla_sfr27_2010_la_tables")


FIRST_YEAR = 2006


def read_sfr27_2010_march(path: Path, lookup: AreaLookup) -> pd.DataFrame:
    """Read the SFR 27/2010 underlying file: 2010 counts and the mid-2009 population 0-17."""
    df = _read_csv_text(path)
    require_columns(df, ["geog_l", "geog_c", "geog_n", "MarTotal_2010", "Mid2009Pop0-17"], path)
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
    out["year"] = 2010
    out["cla_all"] = parse_counts(df["MarTotal_2010"])
    out["dfe_population_0_17"] = parse_counts(df["Mid2009Pop0-17"])
    out["has_count"] = True
    # England is rounded to 100 and regions to 10 in this file, as in the LA tables.
    out["counts_rounded_to"] = out["geographic_level"].map({LOCAL: 1, REGIONAL: 10, NATIONAL: 100})
    return _records(out, "cla_sfr27_2010_march")


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


def read_national_time_series(path: Path) -> pd.DataFrame:
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
    return _records(out, "cla_ees2024_national_time_series")


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


# ----------------------------------------------------------------------------------------------
# Assembly
# ----------------------------------------------------------------------------------------------


def _paths_key(inputs: Inputs) -> tuple[tuple[str, str, int, int], ...]:
    key = []
    for _, f in _cla_files():
        p = inputs.optional_path(f.id) if f.optional else inputs.path(f.id)
        if p is not None:
            st = p.stat()
            key.append((f.id, str(p), st.st_size, st.st_mtime_ns))
    return tuple(key)


def read_all_records(inputs: Inputs) -> pd.DataFrame:
    """Read every CLA release in the release registry into one long frame of records."""
    return _read_all_records_cached(_paths_key(inputs), releases.fingerprint("cla"))


def _read_file(rel: releases.Release, f: releases.ReleaseFile, path: Path,
               lookup: AreaLookup, ees: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Read one CLA file by its layout (the release's year and the file's options as needed)."""
    if f.layout == "cla_sfr27_2010_march":
        return read_sfr27_2010_march(path, lookup)
    if f.layout == "cla_sfr27_2010_la_tables":
        return read_sfr27_2010_la_tables(path, lookup)
    if f.layout == "cla_sfr_single_year":
        return read_sfr_single_year(path, int(f.option("year", rel.year)), f.id, lookup)
    if f.layout == "cla_underlying_multi_year":
        years = range(int(f.option("first_year")), rel.year + 1)
        return read_multi_year_underlying(
            path, years, int(f.option("population_offset", 0)), f.id, lookup)
    if f.layout == "cla_ees_number_rate":
        return read_ees_number_rate(ees[f.id], f.id, lookup)
    if f.layout == "cla_national_time_series":
        return read_national_time_series(path)
    return read_dashboard_uasc(path, f.id, lookup)


@lru_cache(maxsize=2)
def _read_all_records_cached(
    key: tuple[tuple[str, str, int, int], ...], registry: str
) -> pd.DataFrame:
    paths = {entry_id: Path(p) for entry_id, p, _size, _mtime in key}
    # Read layout by layout (in the order of LAYOUTS), releases in order within a layout: the
    # assembly keeps the first of equal records.
    files = sorted(
        ((rel, f) for rel, f in _cla_files() if f.id in paths),
        key=lambda rf: (LAYOUTS.index(rf[1].layout), rf[0].order),
    )
    ees = {f.id: read_ees_frame(paths[f.id]) for _, f in files if f.layout == "cla_ees_number_rate"}
    if not ees:
        raise BuildError("the release registry lists no CLA file in layout cla_ees_number_rate.")
    lookup = AreaLookup(list(ees.values()))
    parts = [_read_file(rel, f, paths[f.id], lookup, ees) for rel, f in files]
    release_of = {f.id: (rel.label, rel.year) for rel, f in files}
    priority = {f.id: int(f.option("priority", 0)) for _, f in files}
    records = pd.concat(parts, ignore_index=True)
    records["release"] = records["source_id"].map(lambda s: release_of[s][0])
    records["release_year"] = records["source_id"].map(lambda s: release_of[s][1]).astype(int)
    records["source_priority"] = records["source_id"].map(priority).fillna(0).astype(int)
    records["year"] = records["year"].astype(int)
    for flag in ("has_count", "has_uasc", "has_rate"):
        records[flag] = records[flag].astype("boolean").fillna(False).astype(bool)
    for column in ("cla_all", "cla_uasc", "dfe_population_0_17", "counts_rounded_to",
                   "uasc_rounded_to"):
        records[column] = records[column].astype("Int64")
    records["dfe_rate_per_10k"] = records["dfe_rate_per_10k"].astype("Float64")
    for column in ("la_code", "old_la_code", "source_la_name", "geographic_level"):
        records[column] = records[column].astype("str")
    records["area_key"] = records["la_code"].fillna("old:" + records["old_la_code"])
    _attach_names(records, lookup)
    return records


def _attach_names(records: pd.DataFrame, lookup: AreaLookup) -> None:
    """Add current names and regions (from the latest EES release) to the records, in place."""
    info = lookup.by_old_code
    records["la_name"] = records["old_la_code"].map(info["la_name"])
    records["region_code"] = records["old_la_code"].map(info["region_code"])
    for code, (name, region) in PRE_GSS_AUTHORITIES.items():
        is_code = records["old_la_code"].eq(code)
        records.loc[is_code, "la_name"] = name
        records.loc[is_code, "region_code"] = region
    is_region = records["geographic_level"].eq(REGIONAL)
    records.loc[is_region, "region_code"] = records.loc[is_region, "la_code"]
    records.loc[is_region, "la_name"] = records.loc[is_region, "la_code"].map(lookup.region_names)
    is_england = records["geographic_level"].eq(NATIONAL)
    records.loc[is_england, "la_name"] = ENGLAND_NAME
    records["la_name"] = records["la_name"].fillna(records["source_la_name"])
    records["region_name"] = records["region_code"].map(lookup.region_names)
    for column in ("la_name", "region_code", "region_name"):
        records[column] = records[column].astype("str")


def _latest(records: pd.DataFrame, flag: str, columns: list[str]) -> pd.DataFrame:
    """Per area and year, the columns from the latest release (then priority) stating ``flag``."""
    chosen = records[records[flag]].sort_values(["release_year", "source_priority"])
    chosen = chosen.drop_duplicates(["area_key", "year"], keep="last")
    return chosen[["area_key", "year", *columns]]


AREA_COLUMNS = ["geographic_level", "la_code", "old_la_code", "la_name", "region_code",
                "region_name"]


@lru_cache(maxsize=2)
def _assemble_latest(key: tuple[tuple[str, str, int, int], ...], registry: str) -> pd.DataFrame:
    records = _read_all_records_cached(key, registry)
    counts = _latest(records, "has_count",
                     [*AREA_COLUMNS, "cla_all", "counts_rounded_to", "source_id", "release"])
    uasc = _latest(records, "has_uasc", ["cla_uasc", "uasc_rounded_to", "source_id"]).rename(
        columns={"source_id": "uasc_source_id"})
    rates = _latest(records, "has_rate", ["dfe_rate_per_10k", "source_id"]).rename(
        columns={"source_id": "rate_source_id"})
    # The population DfE used comes with the rate; for 2010 it is in the underlying file of the
    # same release (SFR 27/2010), the rate in the LA tables.
    population = records[records["dfe_population_0_17"].notna()].sort_values(
        ["release_year", "source_priority"]).drop_duplicates(["area_key", "year"], keep="last")
    rates = rates.merge(
        records[["area_key", "year", "source_id", "release_year"]].rename(
            columns={"source_id": "rate_source_id"}),
        on=["area_key", "year", "rate_source_id"], how="left",
    ).merge(
        population[["area_key", "year", "release_year", "dfe_population_0_17"]],
        on=["area_key", "year", "release_year"], how="left",
    ).drop(columns="release_year")
    out = counts.merge(uasc, on=["area_key", "year"], how="left").merge(
        rates, on=["area_key", "year"], how="left")
    out = out[out["year"] >= FIRST_YEAR]
    out["cla_non_uasc"] = (out["cla_all"] - out["cla_uasc"]).astype("Int64")
    level_order = out["geographic_level"].map({NATIONAL: 0, REGIONAL: 1, LOCAL: 2})
    out = out.assign(_order=level_order).sort_values(["_order", "la_code", "old_la_code", "year"])
    return out[CLA_LA_YEAR_COLUMNS].reset_index(drop=True)


CLA_LA_YEAR_COLUMNS = [
    *AREA_COLUMNS,
    "year",
    "cla_all",
    "cla_uasc",
    "cla_non_uasc",
    "dfe_rate_per_10k",
    "dfe_population_0_17",
    "counts_rounded_to",
    "uasc_rounded_to",
    "source_id",
    "uasc_source_id",
    "rate_source_id",
    "release",
]

_LA_CODE = r"^E(92000001|12[0-9]{6}|0[6-9][0-9]{6}|10[0-9]{6})$"
_STR = pa.Column("str", nullable=False)

CLA_LA_YEAR_SCHEMA = pa.DataFrameSchema(
    {
        "geographic_level": pa.Column("str", pa.Check.isin(list(OUTPUT_LEVEL.values()))),
        "la_code": pa.Column("str", pa.Check.str_matches(_LA_CODE), nullable=True),
        "old_la_code": pa.Column("str", pa.Check.str_matches(r"^[0-9]{3}$"), nullable=True),
        "la_name": _STR,
        "region_code": pa.Column("str", pa.Check.str_matches(r"^E12[0-9]{6}$"), nullable=True),
        "region_name": pa.Column("str", nullable=True),
        "year": pa.Column(int, pa.Check.in_range(1994, 2100)),
        "cla_all": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "cla_uasc": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "cla_non_uasc": pa.Column("Int64", nullable=True),
        "dfe_rate_per_10k": pa.Column("Float64", pa.Check.ge(0), nullable=True),
        "dfe_population_0_17": pa.Column("Int64", pa.Check.gt(0), nullable=True),
        "counts_rounded_to": pa.Column("Int64", pa.Check.isin([1, 5, 10, 100])),
        "uasc_rounded_to": pa.Column("Int64", pa.Check.isin([1, 5, 10, 100]), nullable=True),
        "source_id": _STR,
        "uasc_source_id": pa.Column("str", nullable=True),
        "rate_source_id": pa.Column("str", nullable=True),
        "release": _STR,
    },
    checks=[
        pa.Check(lambda df: df["la_code"].notna() | df["old_la_code"].notna(),
                 name="every row has la_code or old_la_code"),
        pa.Check(lambda df: df["la_code"].notna() | df["year"].lt(2010),
                 name="la_code missing only for authorities abolished in 2009"),
    ],
    unique=["geographic_level", "la_code", "old_la_code", "year"],
    strict=True,
    coerce=False,
)


@table(
    "cla_la_year",
    inputs=required_inputs,
    optional_inputs=optional_inputs,
    release_kinds=("cla",),
    schema=CLA_LA_YEAR_SCHEMA,
    description="CLA at 31 March by LA/region/England 2006+: all, UASC, non-UASC, DfE rate "
    "(latest release wins)",
)
def build_cla_la_year(inputs: Inputs) -> pd.DataFrame:
    """CLA at 31 March by area and year, each measure from the latest release that states it."""
    out = _assemble_latest(_paths_key(inputs), releases.fingerprint("cla")).copy()
    out["geographic_level"] = out["geographic_level"].map(OUTPUT_LEVEL).astype("str")
    return out


CLA_VINTAGE_COLUMNS = [
    "geographic_level",
    "la_code",
    "old_la_code",
    "la_name",
    "year",
    "release",
    "release_year",
    "source_id",
    "cla_all",
    "cla_uasc",
    "dfe_rate_per_10k",
    "dfe_population_0_17",
    "counts_rounded_to",
]

CLA_VINTAGES_SCHEMA = pa.DataFrameSchema(
    {
        "geographic_level": pa.Column("str", pa.Check.isin(list(OUTPUT_LEVEL.values()))),
        "la_code": pa.Column("str", pa.Check.str_matches(_LA_CODE), nullable=True),
        "old_la_code": pa.Column("str", pa.Check.str_matches(r"^[0-9]{3}$"), nullable=True),
        "la_name": _STR,
        "year": pa.Column(int, pa.Check.in_range(1994, 2100)),
        "release": _STR,
        "release_year": pa.Column(int, pa.Check.in_range(2010, 2100)),
        "source_id": _STR,
        "cla_all": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "cla_uasc": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "dfe_rate_per_10k": pa.Column("Float64", pa.Check.ge(0), nullable=True),
        "dfe_population_0_17": pa.Column("Int64", pa.Check.gt(0), nullable=True),
        "counts_rounded_to": pa.Column("Int64", pa.Check.isin([1, 5, 10, 100]), nullable=True),
    },
    unique=["geographic_level", "la_code", "old_la_code", "year", "source_id"],
    strict=True,
    coerce=False,
)


@table(
    "cla_la_year_vintages",
    inputs=required_inputs,
    optional_inputs=optional_inputs,
    release_kinds=("cla",),
    schema=CLA_VINTAGES_SCHEMA,
    description="CLA at 31 March as published in each release (one row per area, year, file)",
)
def build_cla_la_year_vintages(inputs: Inputs) -> pd.DataFrame:
    """Every CLA figure as found in each release file, to show revisions between releases."""
    records = read_all_records(inputs)
    out = records.copy()
    level_order = out["geographic_level"].map({NATIONAL: 0, REGIONAL: 1, LOCAL: 2})
    out = out.assign(_order=level_order).sort_values(
        ["_order", "la_code", "old_la_code", "year", "release_year", "source_id"])
    out["geographic_level"] = out["geographic_level"].map(OUTPUT_LEVEL).astype("str")
    return out[CLA_VINTAGE_COLUMNS].reset_index(drop=True)
