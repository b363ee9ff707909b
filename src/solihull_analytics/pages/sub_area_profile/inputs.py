"""Read page 03's inputs once: the processed tables and the census facts of the release registry.

The two censuses the page compares are the two latest ``census`` releases of
``data/releases.yaml``; their files are found by role (``children_by_lsoa``, ``age_by_la``,
``ethnicity_by_lsoa`` ...); the small-area population estimates used as low-income
denominators are the ``lsoa_population`` releases on the previous census's LSOAs. Nothing here
names a release.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.build import read_table
from solihull_analytics.catalogue import load_catalogue
from solihull_analytics.derived import derived_table
from solihull_analytics.geo import lsoa as lsoa_geo
from solihull_analytics.pages.sub_area_profile.compute import ethnicity_wide, lsoa_wides
from solihull_analytics.pages.sub_area_profile.text import Censuses

#: DWP children in low income families, upper-tier LA (0-4, 5-10, 11-15) and LSOA files.
LOW_INCOME_SOURCES = {
    "la": ["dwp_cilif_utla_age_0_4", "dwp_cilif_utla_age_5_10", "dwp_cilif_utla_age_11_15"],
    "lsoa": ["dwp_cilif_lsoa"],
}
#: Kind of the small-area population estimate releases used as 0-15 denominators.
ESTIMATES_KIND = "lsoa_population"


def _ids(rel: registry.Release, *roles: str) -> list[str]:
    return [f.id for role in roles for f in rel.files_with(role=role)]


def census_sources(latest: registry.Release, previous: registry.Release) -> dict[str, list[str]]:
    """Catalogue ids behind each census measure, by role in the registry."""
    estimates = sorted(
        (f for rel in registry.releases(ESTIMATES_KIND)
         if rel.lsoa_vintage == (previous.lsoa_vintage or previous.year)
         for f in rel.files_with(role="children_by_lsoa")),
        key=lambda f: -int(registry.release_of(f.id, ESTIMATES_KIND)[0].year),
    )
    return {
        "population": _ids(latest, "children_by_lsoa", "age_by_la", "age_by_country"),
        "growth": _ids(previous, "children_by_lsoa") + _ids(latest, "children_by_lsoa"),
        "ethnicity": _ids(latest, "ethnicity_by_lsoa"),
        "ethnicity19": _ids(latest, "ethnicity_by_la"),
        "households": _ids(latest, "households_by_la"),
        "lone_parents": _ids(latest, "households_by_lsoa"),
        "low_income_denominator": [f.id for f in estimates],
    }


@dataclass
class Inputs:
    """Everything page 03 reads, read once by :func:`read_inputs`."""

    censuses: Censuses
    sources: dict[str, list[str]]
    census_lsoa: pd.DataFrame  # latest census by LSOA: lsoa_code, all, 0-15
    previous_lsoa: pd.DataFrame  # previous census by LSOA
    estimates: dict[int, pd.DataFrame]  # mid-year -> small-area estimates by LSOA
    census_la: pd.DataFrame  # census_la rows of the latest census
    topics_lsoa: pd.DataFrame  # census_lsoa (ethnic group; household composition if present)
    ethnicity_lsoa: pd.DataFrame  # census_lsoa's ethnic groups, one row per LSOA
    lookup: pd.DataFrame  # ONS LSOA lookup, previous census's LSOAs -> latest's
    low_income_la: pd.DataFrame  # low_income_la_year, age 0-15
    low_income_lsoa: pd.DataFrame  # low_income_lsoa_year, age 0-15
    iod: pd.DataFrame  # iod_lsoa
    iod_order: list[str]  # IoD labels, oldest first
    lone_parent_entry: tuple[str, str, str, str]  # id, url, member, raw path (if missing)
    previous_ethnicity_source: str  # where the previous census's ethnic group table is


def _lsoa_lookup(c: Censuses) -> registry.Release:
    found = registry.lsoa_lookup_release(c.previous_vintage, c.latest_vintage)
    if found is None:
        raise registry.RegistryError(
            f"page 03 needs an ONS LSOA {c.previous_vintage}-{c.latest_vintage} lookup; the "
            "registry has none (geography records with level lsoa_lookup)."
        )
    return found


def geo_sources(c: Censuses) -> dict[str, list[str]]:
    """Catalogue ids of the geography behind the sub-areas and the maps (release registry).

    ``areas``: the LSOA-to-ward lookups and the LSOA lookup between the two censuses' LSOAs;
    ``maps_latest`` / ``maps_previous``: the LSOA boundaries of each census's LSOAs.
    """
    wards = [i for r in registry.geography("ward_lookup") for i in registry.geography_file_ids(r)]
    ids = lsoa_geo.boundary_source_ids()
    return {
        "areas": wards + registry.geography_file_ids(_lsoa_lookup(c)),
        "maps_latest": [ids[c.latest_vintage]] if c.latest_vintage in ids else [],
        "maps_previous": [ids[c.previous_vintage]] if c.previous_vintage in ids else [],
    }


def _census_pair() -> tuple[registry.Release, registry.Release]:
    known = registry.releases("census")
    if len(known) < 2:
        raise registry.RegistryError("page 03 compares two censuses; the registry has fewer.")
    return known[-1], known[-2]


def _censuses(latest: registry.Release, previous: registry.Release) -> Censuses:
    return Censuses(latest.label, latest.year, latest.lsoa_vintage or latest.year,
                    previous.label, previous.year, previous.lsoa_vintage or previous.year)


def _lone_parent_entry(latest: registry.Release) -> tuple[str, str, str, str]:
    ids = _ids(latest, "households_by_lsoa")
    entry = load_catalogue().get(ids[0]) if ids else None
    if entry is None:
        return ("", "", "", "")
    return (entry.id, entry.download_url or entry.landing_page or "",
            entry.archive_member or "", entry.path)


def _table(name: str, processed_dir: str) -> pd.DataFrame:
    # Not cached here: read_table checks the file against the manifest on every call and parses
    # each table content once per kernel, so a table rebuilt between two LAs is not reused.
    return read_table(name, Path(processed_dir) if processed_dir else None)


#: The columns of ``population_lsoa`` that :func:`lsoa_wide` uses.
POPULATION_COLUMNS = ["lsoa_code", "lsoa_vintage", "year", "age_band", "population"]


def population_wides(
    keys: Iterable[tuple[int, int]], processed_dir: Path | None = None
) -> dict[tuple[int, int], pd.DataFrame]:
    """``population_lsoa`` of each (year, LSOA vintage) pair, one column per age band
    (:func:`~.compute.lsoa_wide`), from one read of the table (only those years and the
    columns used, its codes as categoricals): the page needs five, and each read decoded the
    whole file (issue 16).

    A warm kernel derives them once per table content; each call gets shallow copies.
    """
    keys = tuple(sorted(set(keys)))
    wides = derived_table(
        "population_lsoa", lambda pop: lsoa_wides(pop, list(keys)), keys,
        processed_dir, columns=POPULATION_COLUMNS, read_dictionary=["lsoa_code", "age_band"],
        filters=[("year", "in", sorted({y for y, _ in keys})),
                 ("lsoa_vintage", "in", sorted({v for _, v in keys}))],
    )
    return {key: wide.copy(deep=False) for key, wide in wides.items()}


#: The columns of ``iod_lsoa`` the page uses.
IOD_COLUMNS = ["release", "lsoa_code", "lsoa_vintage", "idaci_decile", "children_0_15",
               "denominator_year"]


def _same(table: pd.DataFrame) -> pd.DataFrame:
    return table


def _ethnic_groups_wide(census_lsoa: pd.DataFrame) -> pd.DataFrame:
    return ethnicity_wide(census_lsoa[census_lsoa["topic"] == "ethnic_group"])


def read_boundaries(vintage: int, lsoa_codes: Iterable[str],
                    processed_dir: Path | None = None) -> pd.DataFrame:
    """The polygons of these LSOAs of one vintage (only their rows are read), in file order."""
    code = lsoa_geo.lsoa_code_column(vintage)
    return read_table(lsoa_geo.boundary_table(vintage), processed_dir,
                      filters=[(code, "in", sorted(set(lsoa_codes)))])


def _estimates(c: Censuses) -> list[registry.Release]:
    """Small-area estimate releases on the previous census's LSOAs (low-income denominators)."""
    return [rel for rel in registry.releases(ESTIMATES_KIND)
            if rel.lsoa_vintage == c.previous_vintage]


def read_inputs(processed_dir: Path | None = None) -> Inputs:
    """Read the page's tables once (``processed_dir``: None for the project's default).

    Tables are parsed once per kernel by :func:`~solihull_analytics.build.read_table` (a batch
    renders many LAs in one kernel) and still checked against the manifest for each LA.
    """

    def read(name: str) -> pd.DataFrame:
        return _table(name, str(processed_dir or ""))

    latest, previous = _census_pair()
    c = _censuses(latest, previous)
    years = [rel.year for rel in _estimates(c)]
    census_keys = [(c.latest_year, c.latest_vintage), (c.previous_year, c.previous_vintage)]
    wides = population_wides([(y, c.previous_vintage) for y in years] + census_keys,
                             processed_dir)
    estimates = {y: wides[(y, c.previous_vintage)] for y in years}
    census_la = read("census_la")
    li_la, li_lsoa = read("low_income_la_year"), read("low_income_lsoa_year")
    return Inputs(
        censuses=c,
        sources={**census_sources(latest, previous), **geo_sources(c)},
        census_lsoa=wides[census_keys[0]],
        previous_lsoa=wides[census_keys[1]],
        estimates=estimates,
        census_la=census_la[census_la["census_year"] == c.latest_year],
        topics_lsoa=read("census_lsoa"),
        ethnicity_lsoa=derived_table("census_lsoa", _ethnic_groups_wide, (), processed_dir),
        lookup=read(registry.geography_table(_lsoa_lookup(c))),
        low_income_la=li_la[li_la["age_band"] == "0-15"],
        low_income_lsoa=li_lsoa[li_lsoa["age_band"] == "0-15"],
        iod=derived_table("iod_lsoa", _same, (), processed_dir, columns=IOD_COLUMNS),
        iod_order=registry.labels("iod"),
        lone_parent_entry=_lone_parent_entry(latest),
        previous_ethnicity_source=str(previous.fact("ethnicity_source", "")),
    )
