"""The map layers of page 03: LSOA polygons with the child share and IDACI decile; reads nothing.

:func:`map_layers` takes the boundaries and tables :mod:`.inputs` read, and returns the
polygons :func:`.charts.maps_figure` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from solihull_analytics.geo.sub_areas import AreaDefinition
from solihull_analytics.pages.sub_area_profile.compute import latest_with_deciles, pct


@dataclass
class MapLayers:
    """Polygons for the maps: LSOAs with values, sub-area outlines, and what was used."""

    lsoas: Any  # GeoDataFrame: geometry, area, pct_0_15, idaci_decile
    outlines: Any  # GeoDataFrame: geometry, area
    lsoa_vintage: int
    idaci_release: str
    note: str


@dataclass
class MapInputs:
    """What the maps are drawn from (see :func:`map_layers`)."""

    census: pd.DataFrame  # latest census by LSOA: lsoa_code, all, 0-15
    census_label: str  # e.g. the registry's label of the latest census
    census_vintage: int  # LSOA vintage of the latest census
    previous_vintage: int  # LSOA vintage of the previous census
    iod: pd.DataFrame  # iod_lsoa
    iod_order: list[str]  # IoD labels, oldest first (release registry)
    boundaries: pd.DataFrame  # latest-vintage LSOA polygons (partial coverage)
    boundaries_previous: pd.DataFrame  # previous-vintage LSOA polygons (England and Wales)
    lookup: pd.DataFrame  # lsoa_lookup_11_21
    previous_membership: pd.DataFrame  # previous-census LSOA -> area


def components(lookup: pd.DataFrame) -> dict[str, str]:
    """Group 2011 LSOAs linked through shared 2021 LSOAs (union-find); 2011 code -> group id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(lookup["lsoa11_code"], "21:" + lookup["lsoa21_code"], strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return {a: find(a) for a in lookup["lsoa11_code"]}


def _latest_layer(defn: AreaDefinition, m: MapInputs, rel: str) -> tuple[Any, str]:
    import geopandas as gpd

    w21 = m.census.set_index("lsoa_code")
    b21 = m.boundaries
    g = b21[b21["lsoa21_code"].isin(defn.la_lsoa21)][["lsoa21_code", "geometry"]]
    g = gpd.GeoDataFrame(g.merge(defn.membership(), on="lsoa21_code"), geometry="geometry")
    g["pct_0_15"] = pct(g["lsoa21_code"].map(w21["0-15"]), g["lsoa21_code"].map(w21["all"]))
    dec = m.iod[m.iod["release"] == rel].set_index("lsoa_code")["idaci_decile"]
    g["idaci_decile"] = g["lsoa21_code"].map(dec)
    note = (f"{m.census_vintage} LSOA boundaries (ONS, generalised clipped); IDACI deciles "
            f"from {rel}.")
    return g, note


def _previous_layer(defn: AreaDefinition, m: MapInputs, rel: str) -> tuple[Any, str] | None:
    import geopandas as gpd

    w21 = m.census.set_index("lsoa_code")
    m11 = m.previous_membership
    b11 = m.boundaries_previous
    g = b11[b11["lsoa11_code"].isin(m11["lsoa11_code"])][["lsoa11_code", "geometry"]]
    if g.empty:
        return None
    g = gpd.GeoDataFrame(g.merge(m11[["lsoa11_code", "area"]], on="lsoa11_code"),
                         geometry="geometry")
    lk = m.lookup[m.lookup["lsoa11_code"].isin(g["lsoa11_code"])]
    comp = components(lk)
    lk = lk.assign(group=lk["lsoa11_code"].map(comp))
    kids = (
        lk.drop_duplicates("lsoa21_code")
        .assign(c=lambda d: d["lsoa21_code"].map(w21["0-15"]),
                t=lambda d: d["lsoa21_code"].map(w21["all"]))
        .groupby("group")[["c", "t"]]
        .sum()
    )
    grp = g["lsoa11_code"].map(comp)
    g["pct_0_15"] = pct(grp.map(kids["c"]), grp.map(kids["t"]))
    dec = m.iod[m.iod["release"] == rel].set_index("lsoa_code")["idaci_decile"]
    g["idaci_decile"] = g["lsoa11_code"].map(dec)
    note = (
        f"{m.census_vintage} LSOA polygons are not available for this LA here, so the maps use "
        f"{m.previous_vintage} LSOA boundaries (ONS, super generalised); the {m.census_label} "
        f"child share is shown on {m.previous_vintage} LSOAs, combining those whose boundaries "
        f"changed; IDACI deciles from {rel}."
    )
    return g, note


def map_layers(defn: AreaDefinition, m: MapInputs) -> MapLayers | None:
    """Build LSOA polygons (EPSG:27700) with the latest census child share and IDACI decile.

    Uses the latest census's LSOA polygons (deciles of the latest IoD release on those LSOAs)
    when the LA's are all in ``m.boundaries`` (which covers part of England only); otherwise
    the previous census's LSOA polygons (England-wide super-generalised file) with the deciles
    of the latest release on those LSOAs, and the latest census's child share on groups of
    older LSOAs that changed (split or merged). Returns None when neither covers the LA.
    """
    rel21 = latest_with_deciles(m.iod, m.census_vintage, m.iod_order)
    rel11 = latest_with_deciles(m.iod, m.previous_vintage, m.iod_order)
    covered = set(defn.la_lsoa21) and set(defn.la_lsoa21) <= set(m.boundaries["lsoa21_code"])
    if rel21 and covered:
        (g, note), vintage, rel = _latest_layer(defn, m, rel21), m.census_vintage, rel21
    else:
        built = _previous_layer(defn, m, rel11) if rel11 is not None else None
        if built is None:
            return None
        (g, note), vintage, rel = built, m.previous_vintage, rel11
    g = g.set_crs(27700, allow_override=True) if g.crs is None else g.to_crs(27700)
    outlines = g.dissolve(by="area").reset_index()[["area", "geometry"]]
    return MapLayers(g, outlines, vintage, rel, note)
