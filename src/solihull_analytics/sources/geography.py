"""ONS geography vintages: LSOA lookups, LSOA-to-ward lookups and boundary layers.

Every table here is declared from a ``geography`` record of the release registry
(``data/releases.yaml``), not from code: one table per record, or per group of records naming
the same ``table`` (every ward lookup on 2021 LSOAs stacks into ``lsoa21_ward``). The record
says the vintage (``year``), the LSOAs it is on (``lsoa_vintage``), the older LSOAs of a lookup
(``from_vintage``) and its file, whose ``layout`` picks the reader; column names follow the
vintage (``LSOA21CD``, ``WD25CD``), so a new vintage in a known layout needs only a catalogue
entry and a registry record. A file lacking a column its layout needs fails with a one-line
error naming the file and the column.

Tables today: ``lsoa_lookup_01_11``, ``lsoa_lookup_11_21`` (ONS exact-fit LSOA lookups with
change indicators), ``lsoa21_ward`` (2021 LSOA to ward, best fit, ward vintages 2022 and 2024),
``boundaries_lsoa11``, ``boundaries_lsoa21_wmca``, ``boundaries_ward_wm``, ``boundaries_la``
(polygons in EPSG:27700, GeoParquet).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import pandera.pandas as pa
import pyogrio

from solihull_analytics import releases as registry
from solihull_analytics.build import REGISTRY, BuildError, Inputs, table
from solihull_analytics.sources._common import require_columns
from solihull_analytics.sources.geo import (
    ENGLISH_LA,
    ENGLISH_LAD,
    ENGLISH_LSOA,
    ENGLISH_WARD,
    EW_LSOA,
    WGS84,
    geo_schema,
    la_of_district,
    read_district_lookup,
    read_lsoa_lookup,
    read_polygons,
    to_dfe_la_code,
)
from solihull_analytics.sources.geo import vintage_digits as _yy

# --------------------------------------------------------------------------------------------
# Geography vintages: the release registry's ``geography`` records, one table per record (or
# per group of records sharing a table). Column names follow the vintage (yy = its last two
# digits), so a new vintage in a known layout needs a catalogue entry and a registry record only.
# --------------------------------------------------------------------------------------------

CHGIND = ["U", "S", "M", "X"]
ANY_LAD = r"^[EW]0[6-9][0-9]{6}$"

#: LSOA-to-ward lookup layouts: (LSOA code, ward code, ward name, district code) by vintage.
WARD_LOOKUP_LAYOUTS = {
    "ons_lsoa_ward_lookup": ("LSOA{l}CD", "WD{w}CD", "WD{w}NM", "LAD{w}CD"),
    "geographr_lsoa_ward_lookup": ("lsoa{l}_code", "ward{w}_code", "ward{w}_name", "ltla{w}_code"),
}


def _records(level: str, name: str) -> list[registry.Release]:
    """The registry's ``level`` records built into table ``name`` (a clear error if none)."""
    found = [r for r in registry.geography(level) if registry.geography_table(r) == name]
    if not found:
        raise BuildError(
            f"table {name!r}: no {level} record of the release registry builds it any more; "
            "run `solihull-analytics data build` again to retire it."
        )
    return found


def _the_file(rel: registry.Release, layouts: tuple[str, ...]) -> registry.ReleaseFile:
    """The one file a geography record is read from, which must be in one of ``layouts``."""
    read = _read_files(rel)
    if len(read) != 1 or read[0].layout not in layouts:
        raise BuildError(
            f"{registry.registry_path().name}: geography record {rel.label!r} needs one file of "
            f"layout {' or '.join(layouts)}; it lists {[f.layout for f in rel.files]}."
        )
    return read[0]


def _read_files(rel: registry.Release) -> list[registry.ReleaseFile]:
    """The files of a record that are read (a ``layout: none`` file is only cited)."""
    return [f for f in rel.files if f.layout != "none"]


def _lsoa_lookup_schema(rels: list[registry.Release]) -> pa.DataFrameSchema:
    a, b = _yy(rels[-1].fact("from_vintage", 0)), _yy(rels[-1].year)
    return pa.DataFrameSchema(
        {
            f"lsoa{a}_code": pa.Column(str, pa.Check.str_matches(EW_LSOA)),
            f"lsoa{b}_code": pa.Column(str, pa.Check.str_matches(EW_LSOA)),
            "chgind": pa.Column(str, pa.Check.isin(CHGIND)),
            r"^lad\d\d_code$": pa.Column(str, pa.Check.str_matches(ANY_LAD), regex=True),
        },
        unique=[f"lsoa{a}_code", f"lsoa{b}_code"],
        strict=True,
    )


def _build_lsoa_lookup(inputs: Inputs, rels: list[registry.Release]) -> pd.DataFrame:
    """ONS exact-fit LSOA lookup between two vintages with change indicator, England and Wales.

    ``chgind``: U unchanged, S split (one old LSOA to several new), M merged, X irregular.
    """
    rel = rels[-1]
    path = inputs.path(_the_file(rel, ("ons_lsoa_lookup",)).id)
    return read_lsoa_lookup(path, int(rel.fact("from_vintage", 0)), rel.year)


def _ward_lookup_schema(rels: list[registry.Release]) -> pa.DataFrameSchema:
    code = f"lsoa{_yy(rels[0].lsoa_vintage or 0)}_code"
    return pa.DataFrameSchema(
        {
            code: pa.Column(str, pa.Check.str_matches(ENGLISH_LSOA)),
            "ward_vintage": pa.Column(int, pa.Check.isin([r.year for r in rels])),
            "ward_code": pa.Column(str, pa.Check.str_matches(ENGLISH_WARD)),
            "ward_name": pa.Column(str),
            "lad_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LAD)),
            "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA)),
        },
        unique=[code, "ward_vintage"],
        strict=True,
    )


def _build_ward_lookup(inputs: Inputs, rels: list[registry.Release]) -> pd.DataFrame:
    """LSOA to electoral ward (ONS best fit), long form over the registry's ward vintages.

    England only (33,755 2021 LSOAs per vintage). ``lad_code`` is the district of that ward
    vintage; ``la_code`` the current children's-services LA. North Solihull is the three
    pre-2026 wards Chelmsley Wood, Kingshurst and Fordbridge and Smith's Wood (25 LSOAs).
    """
    districts = read_district_lookup(inputs.path("geo_la_hierarchy"))
    lsoa_vintages = {r.lsoa_vintage for r in rels}
    if len(lsoa_vintages) != 1:
        raise BuildError(
            f"{registry.registry_path().name}: ward lookups {[r.label for r in rels]} share a "
            f"table but are on LSOAs of {sorted(map(str, lsoa_vintages))}; give them own tables."
        )
    code = f"lsoa{_yy(rels[0].lsoa_vintage or 0)}_code"
    frames = []
    for rel in rels:
        file = _the_file(rel, tuple(WARD_LOOKUP_LAYOUTS))
        path = inputs.path(file.id)
        cols = [c.format(l=_yy(rel.lsoa_vintage or 0), w=_yy(rel.year))
                for c in WARD_LOOKUP_LAYOUTS[file.layout]]
        raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        require_columns(raw, cols, path)
        part = raw[cols].set_axis([code, "ward_code", "ward_name", "lad_code"], axis=1)
        part = part[part[code].str.startswith("E01", na=False)].copy()
        part["ward_vintage"] = rel.year
        part["la_code"] = la_of_district(part["lad_code"], districts, str(path))
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["ward_vintage"] = out["ward_vintage"].astype("int64")
    return out[[code, "ward_vintage", "ward_code", "ward_name", "lad_code", "la_code"]]


# --------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------


def _lsoa_boundaries_schema(rels: list[registry.Release]) -> pa.DataFrameSchema:
    yy = _yy(rels[-1].year)
    return geo_schema(
        {
            f"lsoa{yy}_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LSOA)),
            f"lsoa{yy}_name": pa.Column(str),
        },
        f"lsoa{yy}_code",
    )


def _build_lsoa_boundaries(inputs: Inputs, rels: list[registry.Release]) -> gpd.GeoDataFrame:
    """English LSOA polygons of one vintage (ONS generalised), EPSG:27700.

    For LA-scale choropleths, not point-in-polygon work near edges. Welsh LSOAs are dropped; the
    few geometries that become invalid are repaired with ``make_valid``.
    """
    rel = rels[-1]
    yy = _yy(rel.year)
    return read_polygons(
        inputs.path(_the_file(rel, ("ons_lsoa_boundaries",)).id),
        {f"LSOA{yy}CD": f"lsoa{yy}_code", f"LSOA{yy}NM": f"lsoa{yy}_name"},
        where=f"LSOA{yy}CD LIKE 'E01%'",
    )


def _ward_boundaries_schema(rels: list[registry.Release]) -> pa.DataFrameSchema:
    return geo_schema(
        {
            "ward_code": pa.Column(str, pa.Check.str_matches(ENGLISH_WARD)),
            "ward_name": pa.Column(str),
            "lad_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LAD)),
            "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA)),
            "ward_vintage": pa.Column(int, pa.Check.eq(rels[-1].year)),
        },
        "ward_code",
    )


def _build_ward_boundaries(inputs: Inputs, rels: list[registry.Release]) -> gpd.GeoDataFrame:
    """Ward polygons of one vintage (ONS BGC), EPSG:27700; ``la_code`` the current LA.

    Solihull's 17 wards of May 2025 keep the codes of the 2022 and 2024 LSOA-to-ward lookups,
    so ``lsoa21_ward`` joins on ``ward_code``.
    """
    rel = rels[-1]
    yy = _yy(rel.year)
    path = inputs.path(_the_file(rel, ("ons_ward_boundaries",)).id)
    gdf = read_polygons(path, {f"WD{yy}CD": "ward_code", f"WD{yy}NM": "ward_name",
                               f"LAD{yy}CD": "lad_code"})
    districts = read_district_lookup(inputs.path("geo_la_hierarchy"))
    gdf["la_code"] = la_of_district(gdf["lad_code"], districts, str(path))
    gdf["ward_vintage"] = rel.year
    gdf["ward_vintage"] = gdf["ward_vintage"].astype("int64")
    return gdf[["ward_code", "ward_name", "lad_code", "la_code", "ward_vintage", "geometry"]]


def _la_boundaries_schema(rels: list[registry.Release]) -> pa.DataFrameSchema:
    return geo_schema(
        {
            "la_code": pa.Column(str, pa.Check.str_matches(ENGLISH_LA)),
            "la_name": pa.Column(str),
        },
        "la_code",
    )


def _build_la_boundaries(inputs: Inputs, rels: list[registry.Release]) -> gpd.GeoDataFrame:
    """Current English children's-services LAs (153) from the ONS UK TopoJSON ``utla`` layer.

    Current means no ``end`` year. The TopoJSON declares no CRS: its coordinates are WGS84
    lon/lat, so EPSG:4326 is set before projecting to EPSG:27700. Display-grade simplification.
    ``la_code`` uses DfE's codes (Barnsley E08000016, Sheffield E08000019).
    """
    path = inputs.path(_the_file(rels[-1], ("ons_topojson_utla",)).id)
    info = pyogrio.read_info(path, layer="utla")
    if "end" not in set(info["fields"]):
        raise BuildError(f"{path}: layer 'utla' has no 'end' attribute; check the file version.")
    gdf = read_polygons(
        path,
        {"areacd": "la_code", "areanm": "la_name", "end": "end"},
        layer="utla",
        assume_crs=WGS84,
    )
    end = pd.to_numeric(gdf["end"].replace({"None": None, "nan": None}), errors="coerce")
    gdf = gdf[end.isna() & gdf["la_code"].str.match(ENGLISH_LA)].copy()
    gdf["la_code"] = to_dfe_la_code(gdf["la_code"])
    return gdf[["la_code", "la_name", "geometry"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Declaring the tables from the registry
# --------------------------------------------------------------------------------------------

Builder = Callable[[Inputs, list[registry.Release]], Any]
SchemaOf = Callable[[list[registry.Release]], pa.DataFrameSchema]

#: Per geography level: builder, schema, whether the table is GeoParquet, other inputs.
GEOGRAPHY_BUILDERS: dict[str, tuple[Builder, SchemaOf, bool, tuple[str, ...]]] = {
    "lsoa_lookup": (_build_lsoa_lookup, _lsoa_lookup_schema, False, ()),
    "ward_lookup": (_build_ward_lookup, _ward_lookup_schema, False, ("geo_la_hierarchy",)),
    "lsoa_boundaries": (_build_lsoa_boundaries, _lsoa_boundaries_schema, True, ()),
    "ward_boundaries": (_build_ward_boundaries, _ward_boundaries_schema, True,
                        ("geo_la_hierarchy",)),
    "la_boundaries": (_build_la_boundaries, _la_boundaries_schema, True, ()),
}
#: Tables declared by :func:`register_registry_tables` (retired when their records go).
_DECLARED: set[str] = set()


def _input_ids(level: str, name: str, extra: tuple[str, ...]) -> list[str]:
    return [f.id for r in _records(level, name) for f in _read_files(r)] + list(extra)


def _builder(level: str, name: str, build: Builder) -> Callable[[Inputs], Any]:
    def build_geography_table(inputs: Inputs) -> Any:
        return build(inputs, _records(level, name))

    build_geography_table.__doc__ = build.__doc__
    return build_geography_table


def _describe(level: str, rels: list[registry.Release]) -> str:
    covers = rels[-1].fact("covers")
    what = ", ".join(r.label for r in rels)
    return f"{what} ({level.replace('_', ' ')}" + (f", {covers})" if covers else ")")


def register_registry_tables() -> None:
    """Declare one table per ``geography`` table of the release registry (called by the build).

    Tables whose records have left the registry are withdrawn, so ``data build`` retires them.
    """
    wanted: dict[str, tuple[str, list[registry.Release]]] = {}
    for level in GEOGRAPHY_BUILDERS:
        for rel in registry.geography(level):
            name = registry.geography_table(rel)
            if name in wanted and wanted[name][0] != level:
                raise BuildError(
                    f"{registry.registry_path().name}: table {name!r} is named by geography "
                    f"records of two levels ({wanted[name][0]}, {level})."
                )
            wanted.setdefault(name, (level, []))[1].append(rel)
    for name in _DECLARED - set(wanted):
        REGISTRY.pop(name, None)
    _DECLARED.intersection_update(wanted)
    for name, (level, rels) in wanted.items():
        build, schema_of, geo, extra = GEOGRAPHY_BUILDERS[level]
        REGISTRY.pop(name, None)  # re-declared: its records (and so its schema) may have changed
        table(
            name,
            inputs=partial(_input_ids, level, name, extra),
            schema=schema_of(rels),
            geo=geo,
            description=_describe(level, rels),
            release_kinds=("geography",),
        )(_builder(level, name, build))
        _DECLARED.add(name)


register_registry_tables()
