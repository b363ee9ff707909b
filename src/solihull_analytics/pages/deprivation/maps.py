"""Page 02's maps: the data behind each decile map (polygons, deciles, outlines) and its blocks.

A release is mapped on its own LSOA boundaries where the data used hold them, else through the
ONS lookup on older boundaries; wards and the LA's configured sub-areas are outlined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.geo.las import LocalAuthority
from solihull_analytics.geo.lsoa import (
    WHOLE_COUNTRY,
    boundary_source_ids,
    boundary_tables,
    lsoa_code_column,
    rows_where_in,
)
from solihull_analytics.methods.idaci_bands import decile_from_rank
from solihull_analytics.pages.deprivation import charts, tables, text
from solihull_analytics.pages.deprivation.compute import (
    NOT_AVAILABLE,
    first_target,
    la_release,
    lookup_pairs,
    map_release_to_vintage,
)
from solihull_analytics.pages.deprivation.inputs import IdaciInputs, child_weights, optional_table
from solihull_analytics.report import downloads
from solihull_analytics.report.page import Block, Chart, MissingData


@dataclass(frozen=True)
class BoundaryTable:
    """A processed LSOA boundary table, read a few polygons at a time.

    The maps draw one LA: :meth:`polygons` reads only the rows of the LSOAs asked for (a row
    filter at read time), so all England's polygons are never parsed.

    Attributes
    ----------
    name : str
        The processed table, e.g. ``boundaries_lsoa11``.
    processed_dir : Path or None
        Processed tables folder (``None``: the project's ``data/processed``).
    """

    name: str
    processed_dir: Path | None = None

    def polygons(self, codes: Sequence[str], code_col: str) -> Any | None:
        """The rows (``code_col`` and ``geometry``) of these LSOAs, in the table's order, or
        ``None`` when the table cannot be read (not built)."""
        from solihull_analytics.build import BuildError

        try:
            return rows_where_in(self.name, code_col, codes, self.processed_dir,
                                 columns=[code_col, "geometry"])
        except (BuildError, OSError):
            return None


@dataclass
class MapBoundaries:
    """The processed geography tables the maps use, as the release registry names them.

    Attributes
    ----------
    lsoa : dict of int to BoundaryTable or None
        LSOA boundary tables by LSOA vintage (every ``lsoa_boundaries`` record; ``None`` when
        the table has not been built). Polygons are read per LA (:meth:`BoundaryTable.polygons`).
    ward : GeoDataFrame or None
        Ward polygons of the latest ``ward_boundaries`` record (the LA's only, when loaded for
        one LA).
    ward_lookup : pandas.DataFrame or None
        The LSOA-to-ward lookup table of the latest ``ward_lookup`` record (the LA's rows only,
        when loaded for one LA).
    source_ids : tuple of str
        Catalogue ids of the boundary files (for the page's provenance).
    ward_vintage : int or None
        The latest ward vintage of the whole lookup (``None``: that of ``ward_lookup``).
    """

    lsoa: dict[int, BoundaryTable | None]
    ward: Any | None
    ward_lookup: pd.DataFrame | None
    source_ids: tuple[str, ...]
    ward_vintage: int | None = None


def _built(name: str, processed_dir: Path | None) -> bool:
    """Whether a processed table's file is there (its content is checked when read)."""
    from solihull_analytics import paths

    return ((processed_dir or paths.processed_dir()) / f"{name}.parquet").exists()


def load_map_boundaries(
    processed_dir: Path | None = None, la_code: str | None = None
) -> MapBoundaries:
    """The boundary tables of the release registry's ``geography`` records.

    With ``la_code``, only that LA's ward polygons and LSOA-to-ward lookup rows are read
    (row filters at read time); LSOA polygons are always read per map, for the LSOAs drawn.
    """
    wards = registry.geography("ward_boundaries")
    ward_lookups = registry.geography("ward_lookup")

    def latest(records: list[registry.Release]) -> Any | None:
        if not records:
            return None
        name = registry.geography_table(records[-1])
        if la_code is None:
            return optional_table(name, processed_dir)
        return _la_rows(name, la_code, processed_dir)

    lookup_vintage = None
    if la_code is not None and ward_lookups:
        vintages = _la_rows(registry.geography_table(ward_lookups[-1]), None, processed_dir,
                            ["ward_vintage"])
        if vintages is not None and len(vintages):
            lookup_vintage = int(vintages["ward_vintage"].max())
    return MapBoundaries(
        lsoa={v: BoundaryTable(name, processed_dir) if _built(name, processed_dir) else None
              for v, (name, _) in boundary_tables().items()},
        ward=latest(wards),
        ward_lookup=latest(ward_lookups),
        source_ids=tuple(boundary_source_ids().values())
        + tuple(i for r in wards[-1:] for i in registry.geography_file_ids(r)),
        ward_vintage=lookup_vintage,
    )


def _la_rows(name: str, la_code: str | None, processed_dir: Path | None,
             columns: list[str] | None = None) -> Any | None:
    """One LA's rows of a table with an ``la_code`` column (``None``: only ``columns`` of every
    row), or ``None`` when the table cannot be read (as :func:`.inputs.optional_table`)."""
    from solihull_analytics.build import BuildError, read_table

    try:
        if la_code is None:
            return read_table(name, processed_dir, columns=columns)
        return rows_where_in(name, "la_code", [la_code], processed_dir, columns=columns)
    except (BuildError, OSError):
        return None


def lsoa_polygons(la_lsoas: Sequence[str], boundaries: Any, code_col: str) -> Any | None:
    """Return the polygons of an LA's LSOAs, or ``None`` when any is missing from ``boundaries``.

    Parameters
    ----------
    la_lsoas : sequence of str
        The LA's LSOA codes on the boundaries' vintage.
    boundaries : BoundaryTable or geopandas.GeoDataFrame
        LSOA polygons of one vintage (EPSG:27700), e.g. ``boundaries_lsoa11``: a table read
        for these LSOAs only, or polygons already read.
    code_col : str
        Its code column (e.g. ``lsoa11_code``).
    """
    if isinstance(boundaries, BoundaryTable):
        sel = boundaries.polygons(sorted(set(la_lsoas)), code_col)
        if sel is None:
            return None
    else:
        sel = boundaries[boundaries[code_col].isin(set(la_lsoas))]
    if len(sel) == 0 or sel[code_col].nunique() < len(set(la_lsoas)):
        return None
    out = sel[[code_col, "geometry"]].rename(columns={code_col: "lsoa_code"})
    return out.to_crs(27700) if out.crs is not None and out.crs.to_epsg() != 27700 else out


def dissolve_by(polygons: Any, groups: pd.Series, name: str = "group") -> Any:
    """Dissolve LSOA polygons into larger areas (e.g. wards) given ``lsoa_code -> group``."""
    g = polygons.assign(**{name: polygons["lsoa_code"].map(groups)}).dropna(subset=[name])
    if g.empty:
        return None
    return g[[name, "geometry"]].dissolve(by=name, as_index=False)


def lookup_between(
    lookups: Mapping[tuple[int, int], pd.DataFrame], a: int, b: int
) -> pd.DataFrame | None:
    """The ONS LSOA lookup linking vintages ``a`` and ``b`` (either order), or ``None``."""
    return lookups.get((min(a, b), max(a, b)))


def _on_other_boundaries(
    inp: IdaciInputs, release: str, codes: list[str], vintage: int, other: int, polys: Any
) -> tuple[Any, pd.Series] | None:
    """A release on ``vintage`` LSOAs put on ``other`` LSOAs' polygons through the ONS lookup."""
    lookup = lookup_between(inp.lookups, vintage, other)
    if lookup is None or polys is None:
        return None
    pairs = lookup_pairs(lookup, vintage, other)
    la_other = sorted(set(pairs.loc[pairs["source"].isin(set(codes)), "target"]))
    # Each target LSOA takes its value from the source LSOAs linked to it, so mapping only
    # the sources linked to the LA's targets gives those targets what mapping all England does.
    linked = set(pairs.loc[pairs["target"].isin(set(la_other)), "source"])
    rows = inp.iod[(inp.iod["release"] == release) & inp.iod["lsoa_code"].isin(linked)]
    if rows.empty:
        return None
    mapped = map_release_to_vintage(rows, lookup, other, child_weights(inp.population).get(vintage))
    mapped = mapped[mapped["lsoa_code"].isin(la_other)]
    poly = lsoa_polygons(list(mapped["lsoa_code"]), polys, lsoa_code_column(other))
    return None if poly is None else (poly, mapped.set_index("lsoa_code")["idaci_decile"])


def decile_map_data(
    inp: IdaciInputs,
    la_code: str,
    release: str,
    lsoa_boundaries: Mapping[int, Any],
) -> tuple[Any, pd.Series, int, str] | tuple[None, None, None, str]:
    """Return ``(polygons, deciles, polygon_vintage, note)`` for mapping one release.

    ``lsoa_boundaries`` holds the LSOA polygons of each vintage the release registry has
    boundaries for (``None`` when its table could not be read). A release is mapped on its own
    LSOA boundaries when they hold the LA (today 2011: all of England; 2021: West Midlands
    Combined Authority only). When its own vintage's boundaries cover only part of England and
    miss the LA, it is shown on another vintage's polygons through the ONS lookup
    (:func:`map_release_to_vintage`), and the note says so. A release on LSOAs with no
    boundaries in the registry (2001 today) is not mapped.
    """
    if inp.iod is None:
        return None, None, None, "IoD data not available"
    part = la_release(inp.iod, la_code, release)
    if part.empty:
        return None, None, None, f"{release} is {NOT_AVAILABLE}"
    if part["idaci_decile"].notna().all():
        dec = part.set_index("lsoa_code")["idaci_decile"]
    elif part["idaci_rank"].notna().all():
        n = int(part["lsoas_in_england"].iloc[0])
        dec = pd.Series(decile_from_rank(part["idaci_rank"], n).to_numpy(), index=part["lsoa_code"])
    else:
        return None, None, None, f"{release}: IDACI deciles are {NOT_AVAILABLE}"
    vintage = int(part["lsoa_vintage"].iloc[0])
    codes = list(part["lsoa_code"])
    own = lsoa_boundaries.get(vintage)
    if own is not None:
        poly = lsoa_polygons(codes, own, lsoa_code_column(vintage))
        if poly is not None:
            return poly, dec, vintage, f"{release} on its own {vintage} LSOA boundaries"
    covers = boundary_tables().get(vintage, ("", ""))[1]
    if vintage in lsoa_boundaries and covers != WHOLE_COUNTRY:
        for other, polys in lsoa_boundaries.items():
            found = None if other == vintage else _on_other_boundaries(
                inp, release, codes, vintage, other, polys
            )
            if found is not None:
                lo, hi = sorted((vintage, other))
                return (
                    found[0],
                    found[1],
                    other,
                    f"{release} shown on {other} LSOA boundaries through the ONS LSOA {lo}-{hi} "
                    f"lookup: {vintage} LSOA polygons are available only for the {covers} in "
                    "the data used",
                )
    return None, None, None, f"LSOA {vintage} boundaries for this LA are {NOT_AVAILABLE}"


def _lookup_code_vintage(table: pd.DataFrame) -> tuple[str, int]:
    """The LSOA code column of a table keyed by one LSOA vintage, and that vintage."""
    for col in table.columns:
        if m := re.fullmatch(r"lsoa(\d\d)_code", str(col)):
            return str(col), 2000 + int(m.group(1))
    raise ValueError(f"no lsoaYY_code column in {list(table.columns)}")


def ward_outlines(
    la_code: str,
    polygons: Any,
    polygon_vintage: int,
    ward_boundaries: Any | None,
    ward_lookup: pd.DataFrame | None,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
    ward_vintage: int | None = None,
) -> tuple[Any | None, str]:
    """Return ward outlines for the map (column ``group`` = ward name) and how they were made.

    The published ward boundaries (latest vintage in the release registry) are used where the
    data hold them for the LA (West Midlands region today); elsewhere wards are drawn by
    dissolving the LSOA polygons by the ONS LSOA -> ward best-fit lookup, latest ward vintage
    (LSOAs of another vintage placed through the ONS LSOA lookup between the two).
    ``ward_vintage`` is the latest ward vintage of the whole lookup when ``ward_lookup`` holds
    the LA's rows only (default: the latest in ``ward_lookup``).
    """
    if ward_boundaries is not None:
        w = ward_boundaries[ward_boundaries["la_code"] == la_code]
        if len(w):
            vint = int(w["ward_vintage"].iloc[0])
            out = w.rename(columns={"ward_name": "group"})[["group", "geometry"]]
            return out, f"{vint} ward boundaries (ONS)"
    if ward_lookup is None:
        return None, "ward boundaries not available"
    code, lsoa_vintage = _lookup_code_vintage(ward_lookup)
    # the latest wards the lookup holds
    vintage = int(ward_lookup["ward_vintage"].max()) if ward_vintage is None else ward_vintage
    wl = ward_lookup[(ward_lookup["la_code"] == la_code) & (ward_lookup["ward_vintage"] == vintage)]
    ward_of = wl.set_index(code)["ward_name"]
    lookup = lookup_between(lookups, polygon_vintage, lsoa_vintage)
    if polygon_vintage == lsoa_vintage:
        groups = ward_of
    elif lookup is not None:
        groups = first_target(lookup, polygon_vintage, lsoa_vintage).map(ward_of)
    else:
        return None, "ward boundaries not available"
    out = dissolve_by(polygons, groups)
    return out, f"{vintage} wards drawn from LSOAs (ONS best-fit lookup; approximate)"


def sub_area_outlines(
    la_code: str,
    la_name: str,
    polygons: Any,
    polygon_vintage: int,
    lookups: Mapping[tuple[int, int], pd.DataFrame],
    processed_dir: Path | None = None,
    definition: Any | None = None,
) -> tuple[Any | None, str]:
    """Return the LA's configured sub-areas (``areas/<la_code>.yaml``) as outlines, if any.

    Uses :mod:`~solihull_analytics.geo.sub_areas`; only named sub-areas are drawn (not the rest of
    the LA). Sub-areas are defined on the LSOAs of the ward lookups
    (:func:`~solihull_analytics.geo.sub_areas.areas_lsoa_vintage`); polygons of the vintage
    before are placed through the ONS lookup. Returns ``(None, reason)`` when the LA has no
    configuration. ``definition``: the LA's sub-areas already resolved
    (:func:`sub_area_definition`), e.g. once for all of a page's maps.
    """
    try:
        from solihull_analytics.geo import sub_areas as areas
    except ImportError:  # pragma: no cover - areas.py is part of the package
        return None, "sub-area configuration module not available"
    if definition is None:
        definition = sub_area_definition(la_code, la_name, processed_dir)
    if definition is None or not definition.configured:
        return None, f"no sub-areas are configured for {la_name}"
    named = {a.name for a in definition.areas if a.name != definition.rest_name}
    own = areas.areas_lsoa_vintage()
    lookup = lookup_between(lookups, polygon_vintage, own)
    if polygon_vintage == own:
        m = definition.membership().set_index(lsoa_code_column(own))["area"]
    elif lookup is not None:
        m = areas.lsoa11_membership(definition, lookup).set_index(
            lsoa_code_column(polygon_vintage)
        )["area"]
    else:
        return None, "sub-areas cannot be placed on these LSOAs"
    m = m[m.isin(named)]
    out = dissolve_by(polygons, m)
    return out, f"sub-areas from {definition.config_path.name}: " + ", ".join(sorted(named))


def sub_area_definition(la_code: str, la_name: str, processed_dir: Path | None = None
                        ) -> Any | None:
    """The LA's configured sub-areas (:func:`~solihull_analytics.geo.sub_areas.resolve_areas`),
    or ``None`` when it has no configuration (found without reading the ward lookup)."""
    from solihull_analytics.geo import sub_areas as areas

    if areas.default_config_path(la_code) is None:
        return None
    return areas.resolve_areas(la_code, la_name, processed_dir)


def most_deprived_areas(
    polygons: Any, deciles: pd.Series, groups: Any, top: int = 3
) -> list[tuple[str, int]]:
    """Return the wards (or sub-areas) holding most of the LA's decile-1 LSOAs: (name, count)."""
    if groups is None or not len(groups):
        return []
    pts = polygons.assign(decile=polygons["lsoa_code"].map(deciles))
    pts = pts[pts["decile"] == 1].copy()
    if pts.empty:
        return []
    pts["geometry"] = pts.geometry.representative_point()
    joined = pts.sjoin(groups[["group", "geometry"]], how="inner", predicate="within")
    counts = joined["group"].value_counts().head(top)
    return [(str(k), int(v)) for k, v in counts.items()]


def map_blocks(
    la: LocalAuthority,
    inp: IdaciInputs,
    release: str,
    boundaries: MapBoundaries,
    processed_dir: Path | None = None,
    sub_areas: Any | None = None,
) -> list[Block]:
    """One release's map paragraph and chart, or a :class:`MissingData` when it cannot be drawn.

    ``boundaries`` holds the processed boundary tables the release registry names (each possibly
    ``None``): see :class:`MapBoundaries`. ``sub_areas``: the LA's sub-areas already resolved
    (:func:`sub_area_definition`; default: resolved here).
    """
    poly, deciles, vint, note = decile_map_data(inp, la.code, release, boundaries.lsoa)
    if poly is None:
        return [MissingData(f"Map of {release}: {note}.", "https://geoportal.statistics.gov.uk/")]
    wards, ward_note = ward_outlines(
        la.code, poly, vint, boundaries.ward, boundaries.ward_lookup, inp.lookups,
        boundaries.ward_vintage,
    )
    subs, sub_note = sub_area_outlines(
        la.code, la.name, poly, vint, inp.lookups, processed_dir, sub_areas
    )
    hot = most_deprived_areas(poly, deciles, subs if subs is not None else wards)
    return [
        text.map_note(release, note, ward_note, sub_note, hot),
        Chart(
            charts.plot_decile_map(
                poly, deciles, text.map_title(deciles, release, la.name), wards, subs
            ),
            alt=text.map_alt(deciles, release, la.name, vint, wards, subs),
            source=f"MHCLG/DCLG {release} IDACI deciles; ONS LSOA and ward boundaries "
            "(Open Government Licence; contains OS data © Crown copyright and database "
            "right)",
            data=tables.map_download(deciles, release),
            name=f"chart_map_{downloads.safe_stem(release)}",
        ),
    ]
