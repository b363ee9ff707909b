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

The readers, one per file layout, are in :mod:`solihull_analytics.sources.cla_readers`; the
areas (levels, names, current codes) in :mod:`solihull_analytics.sources.cla_areas`.

England's 2022 count is 82,090 in this table: the 2023-2025 releases revised the 82,170 first
published in 2022 (the 2022 figure stays visible in ``cla_la_year_vintages``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources import cla_readers as readers
from solihull_analytics.sources.cla_areas import (
    ENGLAND_NAME,
    LOCAL,
    NATIONAL,
    OUTPUT_LEVEL,
    PRE_GSS_AUTHORITIES,
    REGIONAL,
    AreaLookup,
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


FIRST_YEAR = 2006



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
        return readers.read_sfr27_2010_march(path, f.id, lookup, int(f.option("year", rel.year)))
    if f.layout == "cla_sfr27_2010_la_tables":
        years = range(int(f.option("first_year", rel.year)), rel.year + 1)
        return readers.read_sfr27_2010_la_tables(path, f.id, lookup, years)
    if f.layout == "cla_sfr_single_year":
        return readers.read_sfr_single_year(path, int(f.option("year", rel.year)), f.id, lookup)
    if f.layout == "cla_underlying_multi_year":
        years = range(int(f.option("first_year")), rel.year + 1)
        return readers.read_multi_year_underlying(
            path, years, int(f.option("population_offset", 0)), f.id, lookup)
    if f.layout == "cla_ees_number_rate":
        return readers.read_ees_number_rate(ees[f.id], f.id, lookup)
    if f.layout == "cla_national_time_series":
        return readers.read_national_time_series(path, f.id)
    return readers.read_dashboard_uasc(path, f.id, lookup)


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
    ees = {f.id: readers.read_ees_frame(paths[f.id])
           for _, f in files if f.layout == "cla_ees_number_rate"}
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
