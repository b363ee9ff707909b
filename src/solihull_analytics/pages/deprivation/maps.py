"""Page 02's maps: the data behind each decile map (polygons, deciles, outlines) and its blocks.

A release is mapped on its own LSOA boundaries where the data used hold them, else through the
ONS lookup on older boundaries; wards and the LA's configured sub-areas are outlined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from solihull_analytics.geo.las import LocalAuthority
from solihull_analytics.methods.idaci_bands import decile_from_rank
from solihull_analytics.pages.deprivation import charts, tables, text
from solihull_analytics.pages.deprivation.compute import (
    NOT_AVAILABLE,
    first_target,
    la_release,
    lookup_pairs,
    map_release_to_vintage,
)
from solihull_analytics.pages.deprivation.inputs import IdaciInputs, child_weights
from solihull_analytics.report import downloads
from solihull_analytics.report.page import Block, Chart, MissingData


def lsoa_polygons(la_lsoas: Sequence[str], boundaries: Any, code_col: str) -> Any | None:
    """Return the polygons of an LA's LSOAs, or ``None`` when any is missing from ``boundaries``.

    Parameters
    ----------
    la_lsoas : sequence of str
        The LA's LSOA codes on the boundaries' vintage.
    boundaries : geopandas.GeoDataFrame
        ``boundaries_lsoa11`` or ``boundaries_lsoa21_wmca`` (EPSG:27700).
    code_col : str
        Its code column (``lsoa11_code`` / ``lsoa21_code``).
    """
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


def decile_map_data(
    inp: IdaciInputs,
    la_code: str,
    release: str,
    boundaries11: Any | None,
    boundaries21: Any | None,
) -> tuple[Any, pd.Series, int, str] | tuple[None, None, None, str]:
    """Return ``(polygons, deciles, polygon_vintage, note)`` for mapping one release.

    A release is mapped on its own LSOA boundaries when the mirror has them for the LA (2011:
    all of England; 2021: West Midlands Combined Authority only). Otherwise a 2021-LSOA release
    is shown on 2011 polygons through the ONS lookup (:func:`map_release_to_vintage`), and the
    note says so. 2001 LSOAs cannot be mapped (no 2001 boundaries in the data used).
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
    if vintage == 2011 and boundaries11 is not None:
        poly = lsoa_polygons(codes, boundaries11, "lsoa11_code")
        if poly is not None:
            return poly, dec, 2011, f"{release} on its own 2011 LSOA boundaries"
    if vintage == 2021:
        if boundaries21 is not None:
            poly = lsoa_polygons(codes, boundaries21, "lsoa21_code")
            if poly is not None:
                return poly, dec, 2021, f"{release} on its own 2021 LSOA boundaries"
        if boundaries11 is not None and inp.lookup_11_21 is not None:
            whole = inp.iod[inp.iod["release"] == release]
            mapped = map_release_to_vintage(
                whole, inp.lookup_11_21, 2011, child_weights(inp.population).get(2021)
            )
            la11 = sorted(
                set(lookup_pairs(inp.lookup_11_21, 2021, 2011).query("source in @codes")["target"])
            )
            mapped = mapped[mapped["lsoa_code"].isin(la11)]
            poly = lsoa_polygons(list(mapped["lsoa_code"]), boundaries11, "lsoa11_code")
            if poly is not None:
                d = mapped.set_index("lsoa_code")["idaci_decile"]
                return (
                    poly,
                    d,
                    2011,
                    f"{release} shown on 2011 LSOA boundaries through the ONS LSOA 2011-2021 "
                    "lookup: 2021 LSOA polygons are available only for the West Midlands "
                    "Combined Authority in the data used",
                )
    return None, None, None, f"LSOA {vintage} boundaries for this LA are {NOT_AVAILABLE}"


def ward_outlines(
    la_code: str,
    polygons: Any,
    polygon_vintage: int,
    boundaries_ward_wm: Any | None,
    lsoa21_ward: pd.DataFrame | None,
    lookup_11_21: pd.DataFrame | None,
) -> tuple[Any | None, str]:
    """Return ward outlines for the map (column ``group`` = ward name) and how they were made.

    The published 2025 ward boundaries are used where the mirror has them (West Midlands
    region); elsewhere wards are drawn by dissolving the LSOA polygons by the ONS LSOA 2021 ->
    ward best-fit lookup, latest ward vintage (2011 LSOAs placed through the LSOA 2011 -> 2021
    lookup).
    """
    if boundaries_ward_wm is not None:
        w = boundaries_ward_wm[boundaries_ward_wm["la_code"] == la_code]
        if len(w):
            vint = int(w["ward_vintage"].iloc[0])
            out = w.rename(columns={"ward_name": "group"})[["group", "geometry"]]
            return out, f"{vint} ward boundaries (ONS)"
    if lsoa21_ward is None:
        return None, "ward boundaries not available"
    vintage = int(lsoa21_ward["ward_vintage"].max())  # the latest wards the lookup holds
    wl = lsoa21_ward[(lsoa21_ward["la_code"] == la_code) & (lsoa21_ward["ward_vintage"] == vintage)]
    ward_of21 = wl.set_index("lsoa21_code")["ward_name"]
    if polygon_vintage == 2021:
        groups = ward_of21
    elif lookup_11_21 is not None:
        groups = first_target(lookup_11_21, 2011, 2021).map(ward_of21)
    else:
        return None, "ward boundaries not available"
    out = dissolve_by(polygons, groups)
    return out, f"{vintage} wards drawn from LSOAs (ONS best-fit lookup; approximate)"


def sub_area_outlines(
    la_code: str,
    la_name: str,
    polygons: Any,
    polygon_vintage: int,
    lookup_11_21: pd.DataFrame | None,
    processed_dir: Path | None = None,
) -> tuple[Any | None, str]:
    """Return the LA's configured sub-areas (``areas/<la_code>.yaml``) as outlines, if any.

    Uses :mod:`~solihull_analytics.geo.sub_areas`; only named sub-areas are drawn (not the rest of
    the
    LA). Returns ``(None, reason)`` when the LA has no configuration.
    """
    try:
        from solihull_analytics.geo import sub_areas as areas
    except ImportError:  # pragma: no cover - areas.py is part of the package
        return None, "sub-area configuration module not available"
    definition = areas.resolve_areas(la_code, la_name, processed_dir)
    if not definition.configured:
        return None, f"no sub-areas are configured for {la_name}"
    named = {a.name for a in definition.areas if a.name != definition.rest_name}
    if polygon_vintage == 2021:
        m = definition.membership().set_index("lsoa21_code")["area"]
    elif lookup_11_21 is not None:
        m = areas.lsoa11_membership(definition, lookup_11_21).set_index("lsoa11_code")["area"]
    else:
        return None, "sub-areas cannot be placed on these LSOAs"
    m = m[m.isin(named)]
    out = dissolve_by(polygons, m)
    return out, f"sub-areas from {definition.config_path.name}: " + ", ".join(sorted(named))

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
    boundaries: dict[str, Any],
    processed_dir: Path | None = None,
) -> list[Block]:
    """One release's map paragraph and chart, or a :class:`MissingData` when it cannot be drawn.

    ``boundaries`` holds the processed tables ``lsoa11``, ``lsoa21`` (LSOA polygons), ``ward``
    (ward polygons) and ``lsoa21_ward`` (the LSOA-to-ward lookup), each possibly ``None``.
    """
    poly, deciles, vint, note = decile_map_data(
        inp, la.code, release, boundaries["lsoa11"], boundaries["lsoa21"]
    )
    if poly is None:
        return [MissingData(f"Map of {release}: {note}.", "https://geoportal.statistics.gov.uk/")]
    wards, ward_note = ward_outlines(
        la.code, poly, vint, boundaries["ward"], boundaries["lsoa21_ward"], inp.lookup_11_21
    )
    subs, sub_note = sub_area_outlines(
        la.code, la.name, poly, vint, inp.lookup_11_21, processed_dir
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
