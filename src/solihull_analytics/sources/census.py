"""Census and small-area population tables, built from the census releases of the registry.

Tables
------
``population_lsoa``
    Usual residents by LSOA and age band, long format: every census's children-by-LSOA file and
    every small-area population estimate (single year of age) on a census's LSOAs.
``population_msoa``
    Every census's single-year-of-age file at MSOA, summarised to bands.
``census_lsoa``
    Ethnic group (5 groups) at LSOA; household composition when the optional LSOA bulk file is
    present.
``census_la``
    LA-level census measures (age bands, 19 ethnic groups, households) for upper-tier LAs on
    DfE's current codes, with regions and countries.

Which files these are, and each one's census year, LSOA vintage, layout and reader options
(``code_column``, ``prefix``, ``lsoa_source``), come from the ``census`` releases
of ``data/releases.yaml`` by role; the readers (:mod:`.census_readers`) are chosen by layout. A
new census in known layouts needs a registry record only; small-area estimates between censuses
are ``lsoa_population`` releases. The DWP low-income tables are in
:mod:`.low_income`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from solihull_analytics import releases as registry
from solihull_analytics.build import BuildError, Inputs, table
from solihull_analytics.sources._common import current_la_code, require_columns
from solihull_analytics.sources.census_readers import (
    AREA_CODE,
    LSOA_CODE,
    MSOA_CODE,
    SINGLE_YEAR_AREA_BANDS,
    SINGLE_YEAR_LSOA_BANDS,
    aggregate_ltla,
    read_age6_lsoa,
    read_ethnic5_lsoa,
    read_ethnic19_la,
    read_hierarchy,
    read_households_la,
    read_ks102_lsoa,
    read_nomis_bulk_lsoa,
    read_sape_lsoa,
    read_single_year_msoa,
    read_ts007_nomis,
)

KIND = "census"
#: Small-area population estimates between censuses (one release per mid-year).
ESTIMATES_KIND = "lsoa_population"
#: Geography files the LA-level tables need (LSOA-to-LA lookup; the LA hierarchy).
LSOA_LOOKUP, LA_HIERARCHY = "geo_lookup_lsoa11_lsoa21_exact", "geo_la_hierarchy"
#: Readers of age-by-LSOA files, by layout: each returns the LSOA code, then age-band columns.
LSOA_AGE_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "census_ks102": read_ks102_lsoa,
    "census_age6": read_age6_lsoa,
    "ons_sape_sya": read_sape_lsoa,
}
#: Roles of a census's age-by-area files and the geographic level each gives.
AGE_LEVELS = {"age_by_la": "local_authority", "age_by_region": "region",
              "age_by_country": "country"}

Files = list[tuple[registry.Release, registry.ReleaseFile]]


def census_files(*roles: str, optional: bool | None = False) -> Files:
    """``(release, file)`` of every census file with one of ``roles``, oldest census first."""
    return [
        (rel, f)
        for rel in registry.releases(KIND)
        for role in roles
        for f in rel.files_with(role=role)
        if optional is None or f.optional == optional
    ]


def _ids(files: Files) -> list[str]:
    return list(dict.fromkeys(f.id for _, f in files))


def _reader(f: registry.ReleaseFile, readers: dict[str, Callable]) -> Callable:
    if f.layout not in readers:
        raise BuildError(
            f"{f.id}: no reader for layout {f.layout!r} (release registry); known layouts: "
            f"{', '.join(readers)}."
        )
    return readers[f.layout]


def _option(f: registry.ReleaseFile, name: str) -> object:
    value = f.option(name)
    if value is None:
        raise BuildError(f"{f.id}: the release registry gives no {name!r} for this file.")
    return value


# --------------------------------------------------------------------------------------------
# population_lsoa
# --------------------------------------------------------------------------------------------

POPULATION_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "lsoa_vintage": pa.Column("int64", pa.Check.in_range(2001, 2100)),
        "year": pa.Column("int64", pa.Check.in_range(2001, 2100)),
        "source": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$")),
        "age_band": pa.Column(str, pa.Check.isin(list(SINGLE_YEAR_LSOA_BANDS))),
        "population": pa.Column("int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa_code", "lsoa_vintage", "source", "age_band"],
)


def lsoa_age_files() -> list[tuple[registry.ReleaseFile, int, int, str]]:
    """``(file, year, lsoa_vintage, source)`` of every age-by-LSOA file: censuses, then estimates
    by mid-year (``source`` is the file's or its census's ``lsoa_source``)."""
    out = [(f, rel.year, rel.lsoa_vintage or rel.year, str(_lsoa_source(rel, f)))
           for rel, f in census_files("children_by_lsoa")]
    out += [(f, rel.year, rel.lsoa_vintage or rel.year, str(_lsoa_source(rel, f)))
            for rel, f in estimate_files()]
    return out


def estimate_files() -> Files:
    """``(release, file)`` of every small-area population estimate, by mid-year."""
    return [(rel, f) for rel in registry.releases(ESTIMATES_KIND)
            for f in rel.files_with(role="children_by_lsoa")]


def _lsoa_source(rel: registry.Release, f: registry.ReleaseFile) -> object:
    source = f.option("lsoa_source") or rel.fact("lsoa_source")
    if not source:
        raise BuildError(f"{f.id}: the release registry gives no 'lsoa_source' for {rel.label}.")
    return source


def _long_population(
    wide: pd.DataFrame, vintage: int, year: int, source: str, source_id: str
) -> pd.DataFrame:
    code_col = wide.columns[0]
    long = wide.melt(id_vars=[code_col], var_name="age_band", value_name="population")
    long = long.rename(columns={code_col: "lsoa_code"})
    long["lsoa_vintage"] = vintage
    long["year"] = year
    long["source"] = source
    long["source_id"] = source_id
    return long


@table(
    "population_lsoa",
    inputs=lambda: _ids(census_files("children_by_lsoa") + estimate_files()),
    schema=POPULATION_LSOA_SCHEMA,
    release_kinds=(KIND, ESTIMATES_KIND),
    description="Usual residents by LSOA and age band: every census and small-area estimate.",
)
def build_population_lsoa(inputs: Inputs) -> pd.DataFrame:
    """Usual residents by LSOA and age band from the censuses and ONS SAPE, long format.

    Age bands are those the layout gives: all, 0-15, 0-17, 16-17 from single years of age
    (KS102EW, SAPE), all and 0-15 from the six age categories. England and Wales are both kept.
    """
    parts = [
        _long_population(_reader(f, LSOA_AGE_READERS)(inputs.path(f.id)), vintage, year,
                         source, f.id)
        for f, year, vintage, source in lsoa_age_files()
    ]
    out = pd.concat(parts, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    cols = ["lsoa_code", "lsoa_vintage", "year", "source", "age_band", "population", "source_id"]
    return out[cols]


# --------------------------------------------------------------------------------------------
# population_msoa
# --------------------------------------------------------------------------------------------

POPULATION_MSOA_SCHEMA = pa.DataFrameSchema(
    {
        "msoa_code": pa.Column(str, pa.Check.str_matches(MSOA_CODE)),
        "msoa_vintage": pa.Column("int64", pa.Check.in_range(2001, 2100)),
        "year": pa.Column("int64", pa.Check.in_range(2001, 2100)),
        "age_band": pa.Column(str, pa.Check.isin(list(SINGLE_YEAR_AREA_BANDS))),
        "population": pa.Column("int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["msoa_code", "msoa_vintage", "year", "age_band"],
)


@table(
    "population_msoa",
    inputs=lambda: _ids(census_files("age_by_msoa")),
    schema=POPULATION_MSOA_SCHEMA,
    release_kinds=(KIND,),
    description="Usual residents by MSOA and age band, every census (single year of age).",
)
def build_population_msoa(inputs: Inputs) -> pd.DataFrame:
    """Usual residents by MSOA and age band (all, 0-15, 0-17, 0-18), every census."""
    parts = []
    for rel, f in census_files("age_by_msoa"):
        wide = read_single_year_msoa(inputs.path(f.id), str(_option(f, "code_column")))
        long = wide.melt(id_vars=["msoa_code"], var_name="age_band", value_name="population")
        long["msoa_vintage"] = rel.year
        long["year"] = rel.year
        long["source_id"] = f.id
        parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    return out[["msoa_code", "msoa_vintage", "year", "age_band", "population", "source_id"]]


# --------------------------------------------------------------------------------------------
# census_lsoa
# --------------------------------------------------------------------------------------------

CENSUS_LSOA_SCHEMA = pa.DataFrameSchema(
    {
        "lsoa21_code": pa.Column(str, pa.Check.str_matches(LSOA_CODE)),
        "topic": pa.Column(str, pa.Check.isin(["ethnic_group", "household_composition"])),
        "category": pa.Column(str),
        "count": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "total": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["lsoa21_code", "topic", "category"],
)


@table(
    "census_lsoa",
    inputs=lambda: _ids(census_files("ethnicity_by_lsoa")),
    optional_inputs=lambda: _ids(census_files("households_by_lsoa", optional=True)),
    schema=CENSUS_LSOA_SCHEMA,
    release_kinds=(KIND,),
    description="Census by LSOA: ethnic group (5); household composition if present.",
)
def build_census_lsoa(inputs: Inputs) -> pd.DataFrame:
    """Census topics at LSOA, long: counts with the LSOA total for shares."""
    parts = []
    for _, f in census_files("ethnicity_by_lsoa"):
        eth = read_ethnic5_lsoa(inputs.path(f.id))
        parts.append(eth.assign(source_id=f.id))
    for _, f in census_files("households_by_lsoa", optional=None):
        path = inputs.optional_path(f.id) if f.optional else inputs.path(f.id)
        if path is not None:
            hh = read_nomis_bulk_lsoa(path, str(_option(f, "prefix")), "household_composition")
            parts.append(hh.assign(source_id=f.id))
    out = pd.concat(parts, ignore_index=True)
    return out[["lsoa21_code", "topic", "category", "count", "total", "source_id"]]


# --------------------------------------------------------------------------------------------
# census_la
# --------------------------------------------------------------------------------------------

CENSUS_LA_SCHEMA = pa.DataFrameSchema(
    {
        "la_code": pa.Column(str, pa.Check.str_matches(AREA_CODE)),
        "la_name": pa.Column(str, nullable=True),
        "geographic_level": pa.Column(str, pa.Check.isin(["local_authority", "region", "country"])),
        "census_year": pa.Column("int64", pa.Check.in_range(2001, 2100)),
        "topic": pa.Column(str, pa.Check.isin(["age", "ethnic_group_19", "households"])),
        "category": pa.Column(str),
        "value": pa.Column("Int64", pa.Check.ge(0)),
        "source_id": pa.Column(str),
    },
    strict=True,
    unique=["la_code", "census_year", "topic", "category"],
)


def _age_by_level(inputs: Inputs, rel: registry.Release) -> pd.DataFrame:
    parts = []
    for role, level in AGE_LEVELS.items():
        for f in rel.files_with(role=role):
            wide = read_ts007_nomis(inputs.path(f.id))
            long = wide.melt(id_vars=["la_code", "la_name"], var_name="category",
                             value_name="value")
            parts.append(long.assign(geographic_level=level, source_id=f.id))
    out = pd.concat(parts, ignore_index=True)
    # The region file also lists Wales, which the country file already holds.
    return out[(out["geographic_level"] != "region") | out["la_code"].str.startswith("E12")]


def _age_la(inputs: Inputs, rel: registry.Release, hierarchy: pd.DataFrame) -> pd.DataFrame:
    """Age bands by upper-tier LA, region and country from a census's single-year files."""
    out = _age_by_level(inputs, rel)
    is_la = out["geographic_level"] == "local_authority"
    out.loc[is_la, "la_code"] = current_la_code(out.loc[is_la, "la_code"])
    # Upper tiers abolished since the census without a 1:1 successor (Cumbria) are rebuilt
    # from the lower tiers.
    current = set(hierarchy["UTLACD"].dropna())
    english_or_welsh = out["la_code"].str[0].isin(["E", "W"])
    out = out[~(is_la & english_or_welsh & ~out["la_code"].isin(current))]
    have = set(out.loc[out["geographic_level"] == "local_authority", "la_code"])
    for f in rel.files_with(role="age_by_lower_tier_la"):
        path = inputs.path(f.id)
        ltla = read_ts007_nomis(path).drop(columns="la_name")
        ltla = ltla.melt(id_vars=["la_code"], var_name="category", value_name="value")
        agg = aggregate_ltla(ltla, "la_code", hierarchy, path)
        agg = agg[(agg["geographic_level"] == "local_authority") & ~agg["la_code"].isin(have)]
        out = pd.concat([out, agg.assign(source_id=f.id)], ignore_index=True)
    return out.assign(census_year=rel.year, topic="age")


def _age_la_from_lsoas(inputs: Inputs, rel: registry.Release, hierarchy: pd.DataFrame
                       ) -> pd.DataFrame:
    """Age bands by LA for a census without LA files: its LSOA counts summed through the lookup."""
    f = next(f for f in rel.files_with(role="children_by_lsoa"))
    lsoa = _reader(f, LSOA_AGE_READERS)(inputs.path(f.id)).drop(columns="16-17", errors="ignore")
    code = lsoa.columns[0]
    lookup_path = inputs.path(LSOA_LOOKUP)
    key = f"LSOA{str(rel.lsoa_vintage or rel.year)[2:]}CD"
    lookup = pd.read_csv(lookup_path, dtype=str, encoding="utf-8-sig")
    require_columns(lookup, [key, "LAD22CD"], lookup_path)
    lookup = lookup[[key, "LAD22CD"]].drop_duplicates(key)
    merged = lsoa.merge(lookup, left_on=code, right_on=key, how="left")
    if merged["LAD22CD"].isna().any():
        missing = merged.loc[merged["LAD22CD"].isna(), code].head(5).tolist()
        raise BuildError(
            f"{lookup_path}: LSOAs {missing} from {f.id} are not in the LSOA lookup; use a "
            "lookup of the same vintage."
        )
    long = merged.drop(columns=[code, key]).melt(
        id_vars=["LAD22CD"], var_name="category", value_name="value")
    long = long.groupby(["LAD22CD", "category"], as_index=False, sort=False)["value"].sum()
    out = aggregate_ltla(long, "LAD22CD", hierarchy, lookup_path)
    return out.assign(source_id=f.id, census_year=rel.year, topic="age")


def _counts_la(inputs: Inputs, rel: registry.Release, hierarchy: pd.DataFrame, role: str,
               topic: str) -> list[pd.DataFrame]:
    """Counts by lower-tier LA (``role``: 19 ethnic groups or households), summed upwards."""
    readers = {"ethnicity_by_la": read_ethnic19_la, "households_by_la": read_households_la}
    parts = []
    for f in rel.files_with(role=role):
        path, code = inputs.path(f.id), str(_option(f, "code_column"))
        out = aggregate_ltla(readers[role](path, code), code, hierarchy, path)
        parts.append(out.assign(source_id=f.id, census_year=rel.year, topic=topic))
    return parts


def _census_la_inputs() -> list[str]:
    roles = ("age_by_la", "age_by_region", "age_by_country", "age_by_lower_tier_la",
             "ethnicity_by_la", "households_by_la")
    without_la = [(rel, f) for rel, f in census_files("children_by_lsoa")
                  if not rel.files_with(role="age_by_la")]
    return _ids(census_files(*roles)) + _ids(without_la) + [LSOA_LOOKUP, LA_HIERARCHY]


@table(
    "census_la",
    inputs=_census_la_inputs,
    schema=CENSUS_LA_SCHEMA,
    release_kinds=(KIND,),
    description="Census age bands, 19 ethnic groups and households by upper-tier LA.",
)
def build_census_la(inputs: Inputs) -> pd.DataFrame:
    """Census measures by upper-tier LA (DfE's current codes), region and country, long format.

    Topics: ``age`` (from a census's single-year files by LA, region and country, bands
    all/0-15/0-17/0-18; for a census without them, its LSOA counts aggregated, bands
    all/0-15/0-17), ``ethnic_group_19`` and ``households`` (counts summed from lower-tier LAs).
    Lower-tier counts are summed to the current upper tier with the LA hierarchy, so
    reorganised areas (Cumberland, North Yorkshire) appear on their current codes.
    """
    hierarchy = read_hierarchy(inputs.path(LA_HIERARCHY))
    parts = []
    for rel in registry.releases(KIND):
        if rel.files_with(role="age_by_la"):
            parts.append(_age_la(inputs, rel, hierarchy))
        elif rel.files_with(role="children_by_lsoa"):
            parts.append(_age_la_from_lsoas(inputs, rel, hierarchy))
        parts += _counts_la(inputs, rel, hierarchy, "ethnicity_by_la", "ethnic_group_19")
        parts += _counts_la(inputs, rel, hierarchy, "households_by_la", "households")
    out = pd.concat(parts, ignore_index=True)
    is_la = out["geographic_level"] == "local_authority"
    out.loc[is_la, "la_code"] = current_la_code(out.loc[is_la, "la_code"])
    out["value"] = out["value"].astype("Int64")
    out["census_year"] = out["census_year"].astype("int64")
    cols = ["la_code", "la_name", "geographic_level", "census_year", "topic", "category",
            "value", "source_id"]
    return out[cols].sort_values(["topic", "census_year", "la_code", "category"]).reset_index(
        drop=True
    )
