"""LSOAs across vintages: IDACI deciles, child populations and boundaries.

Which IoD release applies to a collection year, which LSOA vintage a release is on, each LSOA's
national IDACI decile, its population aged 0-17 (or 0-15), and its polygons. The facts about
releases come from the release registry (``data/releases.yaml``); the tables from
``data/processed/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from solihull_analytics import releases as registry
from solihull_analytics.build import read_table
from solihull_analytics.derived import derived_table

#: Notebook value: the IoD release in force in the cohort year (the latest published by then).
FOR_COHORT = "cohort"
#: The boundary coverage every LA lies in (postcodes of any LA can be placed in LSOAs of it).
WHOLE_COUNTRY = "England"


def resolve_idaci_release(release: str, cohort_year: int) -> str:
    """Resolve an IoD release label, ``"latest"`` or ``"cohort"`` (release registry).

    ``"cohort"`` is the latest release whose year is not after ``cohort_year``.
    """
    if release == FOR_COHORT:
        known = [r for r in registry.releases("iod") if r.year <= cohort_year]
        if not known:
            raise ValueError(f"no IoD release of the registry was published by {cohort_year}.")
        return known[-1].label
    return registry.get("iod", release).label


def release_vintage(release: str, processed_dir: Path | None = None) -> int:
    """LSOA vintage of an IoD release (release registry), e.g. 2011 for a release on 2011 LSOAs.

    ``processed_dir`` is accepted for compatibility and not used.
    """
    try:
        rel = registry.get("iod", release)
    except registry.RegistryError as exc:
        raise ValueError(str(exc)) from exc
    return int(rel.lsoa_vintage or 0)


def boundary_tables() -> dict[int, tuple[str, str]]:
    """Processed LSOA boundary tables by LSOA vintage, with what each covers (release registry).

    One entry per ``lsoa_boundaries`` record of the registry's ``geography`` kind, e.g.
    ``{2011: ("boundaries_lsoa11", "England"), ...}``.
    """
    return {
        r.year: (registry.geography_table(r), str(r.fact("covers", "")))
        for r in registry.geography("lsoa_boundaries")
    }


def boundary_source_ids() -> dict[int, str]:
    """Catalogue ids of the LSOA boundary files by vintage (sources of a page that uses them)."""
    return {r.year: registry.geography_file_ids(r)[0] for r in registry.geography("lsoa_boundaries")
            if registry.geography_file_ids(r)}


def boundary_table(vintage: int) -> str:
    """The processed LSOA boundary table of one LSOA vintage (release registry).

    Raises
    ------
    ValueError
        If the registry has no LSOA boundaries of that vintage (the message lists those it has).
    """
    try:
        return registry.geography_table(registry.lsoa_boundary_release(vintage))
    except registry.RegistryError as exc:
        raise ValueError(str(exc)) from exc


def england_boundary_vintage() -> int:
    """The latest LSOA vintage whose boundaries cover all England (:func:`boundary_tables`).

    Raises
    ------
    ValueError
        If no LSOA boundaries of the registry cover England.
    """
    whole = [v for v, (_, covers) in boundary_tables().items() if covers == WHOLE_COUNTRY]
    if not whole:
        raise ValueError(
            f"no LSOA boundaries of the release registry cover {WHOLE_COUNTRY} "
            "(geography records with level lsoa_boundaries and covers: England)."
        )
    return whole[-1]


def latest_release_on_vintage(vintage: int) -> str:
    """The latest IoD release of the registry on LSOAs of ``vintage``.

    Raises
    ------
    ValueError
        If no IoD release of the registry is on that vintage.
    """
    known = [r for r in registry.releases("iod") if r.lsoa_vintage == vintage]
    if not known:
        raise ValueError(f"no IoD release of the registry is on {vintage} LSOAs.")
    return known[-1].label


def lsoa_idaci_decile(release: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """Each LSOA's national IDACI decile (1 = most deprived 10% in England) for a release.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``la_code``, ``idaci_decile``, ``children_0_15``, ``denominator_year``,
        ``source_id``.

    Raises
    ------
    ValueError
        If the release has no IDACI deciles in the processed data.
    """
    out = derived_table("iod_lsoa", _release_deciles, release, processed_dir,
                        columns=["release", *IDACI_DECILE_COLUMNS],
                        filters=[("release", "==", release)])
    if out.empty:
        raise ValueError(f"no IDACI deciles for release {release!r} in iod_lsoa")
    return out


#: The columns of :func:`lsoa_idaci_decile`'s result.
IDACI_DECILE_COLUMNS = ["lsoa_code", "la_code", "idaci_decile", "children_0_15",
                        "denominator_year", "source_id"]


def _release_deciles(iod: pd.DataFrame) -> pd.DataFrame:
    """The ``iod_lsoa`` rows of one release (read with a filter) that have an IDACI decile."""
    out = iod.loc[iod["idaci_decile"].notna(), IDACI_DECILE_COLUMNS].copy()
    out["idaci_decile"] = out["idaci_decile"].astype(int)
    return out.reset_index(drop=True)


@dataclass
class LsoaPopulation:
    """Children aged 0-17 (or 0-15) per LSOA: the denominators of LSOA-based rates.

    Attributes
    ----------
    population : pandas.Series
        Children per LSOA, indexed by ``lsoa_code``.
    age_band : str
        ``"0-17"`` (small-area estimates) or ``"0-15"`` (the IoD's own population file).
    year : int
        Mid-year of the population.
    source, source_ids, statement
        The source in words, its catalogue ids, and a sentence for the page's method.
    """

    population: pd.Series = field(repr=False)  # indexed by lsoa_code
    age_band: str
    year: int
    source: str
    source_ids: list[str]
    statement: str


def _nearest_year(years: list[int], reference: float) -> int:
    """The mid-year (30 June) estimate nearest ``reference`` (later on a tie)."""
    return min(years, key=lambda y: (abs(y + 0.5 - reference), -y))


def lsoa_denominators(
    lsoa_codes: Iterable[str],
    cohort_year: int = 2019,
    cohort: str = "during_year",
    release: str = FOR_COHORT,
    processed_dir: Path | None = None,
) -> LsoaPopulation:
    """Children aged 0-17 per LSOA from the small-area estimates nearest the cohort.

    The reference date is the middle of the collection year (1 October) for
    ``during_year`` and 31 March for ``at_31_march``; the mid-year (30 June) estimate nearest
    to it is used. When no 0-17 estimate exists for the LSOA vintage of ``release``, the
    0-15 population published with the IoD is used instead, and the statement says so.

    Returns
    -------
    LsoaPopulation
    """
    codes = pd.Index(sorted(set(lsoa_codes)))
    release = resolve_idaci_release(release, cohort_year)
    vintage = release_vintage(release, processed_dir)
    sape = derived_table("population_lsoa", _estimate_rows, vintage, processed_dir,
                         filters=[("age_band", "==", "0-17"), ("lsoa_vintage", "==", vintage)])
    reference = cohort_year - 0.25 if cohort == "during_year" else cohort_year + 0.25
    if not sape.empty:
        years = sorted(sape["year"].unique())
        best = _nearest_year(years, reference)
        rows = sape[sape["year"] == best].set_index("lsoa_code")
        population = rows["population"].reindex(codes).astype(float)
        if population.notna().all():
            ids = sorted(rows["source_id"].dropna().unique())
            return LsoaPopulation(
                population,
                "0-17",
                int(best),
                f"ONS small area population estimates, mid-{best}",
                ids,
                f"Denominators: children aged 0-17 in each LSOA from the ONS mid-{best} small "
                f"area population estimates (the estimate nearest the cohort; available years "
                f"{', '.join(str(y) for y in years)}).",
            )
    return _iod_children_0_15(codes, release, vintage, processed_dir)


def _estimate_rows(pop: pd.DataFrame) -> pd.DataFrame:
    """The small-area estimate rows of ``population_lsoa`` (read filtered to an age band)."""
    return pop[pop["source"].str.startswith("sape")]


def _iod_children_0_15(
    codes: pd.Index, release: str, vintage: int, processed_dir: Path | None
) -> LsoaPopulation:
    """The fallback denominators: children aged 0-15 from the IoD release's population file."""
    iod = lsoa_idaci_decile(release, processed_dir).set_index("lsoa_code")
    population = iod["children_0_15"].reindex(codes).astype(float)
    year = int(iod["denominator_year"].dropna().iloc[0])
    ids = sorted({i for s in iod["source_id"].dropna().unique() for i in s.split(",")})
    return LsoaPopulation(
        population,
        "0-15",
        year,
        f"{release} population denominators, mid-{year}",
        ids,
        f"Denominators: no 0-17 small area estimates for {vintage} LSOAs were available, so "
        f"children aged 0-15 in each LSOA from the {release} population file (mid-{year}) "
        "are used; rates are therefore per 10,000 children aged 0-15 and somewhat higher than "
        "per 10,000 aged 0-17.",
    )


def lsoa_code_column(vintage: int) -> str:
    """The code column of LSOAs of ``vintage`` in processed tables (2011 -> ``lsoa11_code``)."""
    return f"lsoa{int(vintage) % 100:02d}_code"


def lsoa_boundaries(vintage: int, processed_dir: Path | None = None,
                    bbox: tuple[float, float, float, float] | None = None):
    """LSOA polygons of a vintage (:func:`boundary_table` says which table).

    ``bbox`` ``(xmin, ymin, xmax, ymax)`` in British National Grid metres: only the polygons
    that intersect it (:func:`boundaries_in_box` reads them without holding all the table's
    polygons; a kernel kept across LAs selects them from its parsed table instead).

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code`` and ``geometry`` in EPSG:27700.

    Raises
    ------
    ValueError
        If the registry has no LSOA boundaries of that vintage.
    """
    import os

    from solihull_analytics.table_reader import KEEP_TABLES_ENV

    table, code = boundary_table(vintage), lsoa_code_column(vintage)
    gdf = None
    if bbox is not None and os.environ.get(KEEP_TABLES_ENV) != "1":
        gdf = boundaries_in_box(table, bbox, processed_dir)
        if gdf.crs is None or gdf.crs.to_epsg() != 27700:  # the box is in metres of 27700
            gdf = None
    if gdf is None:  # (a warm kernel keeps the whole table parsed: selecting from it is quicker)
        gdf = read_table(table, processed_dir)
    gdf = gdf[[code, "geometry"]].rename(columns={code: "lsoa_code"})
    if gdf.crs is None or gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs(27700)
    return gdf if bbox is None else gdf.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]


#: Polygons converted at a time by :func:`boundaries_in_box`.
BOUNDARY_SLICE_ROWS = 4096


def boundaries_in_box(table: str, bbox: tuple[float, float, float, float],
                      processed_dir: Path | None = None):
    """The polygons of a boundary table that intersect ``bbox``, as ``.cx`` would select them.

    The table's rows are turned into polygons a slice at a time, keeping only those in the
    box, so all England's polygons (about 90 MB for the 2011 LSOAs) are never in memory
    together. Row order and index labels are those of the whole table. The table is checked
    against the build manifest as :func:`~solihull_analytics.build.read_table` checks it.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    from geopandas.io.arrow import _arrow_to_geopandas

    from solihull_analytics.table_reader import checked_table_bytes

    x0, y0, x1, y1 = bbox
    data, _ = checked_table_bytes(table, processed_dir)
    parquet = pq.ParquetFile(io.BytesIO(data))
    geo = json.loads(parquet.metadata.metadata[b"geo"])
    parts, start = [], 0
    for batch in parquet.iter_batches(batch_size=BOUNDARY_SLICE_ROWS):
        part = _arrow_to_geopandas(pa.Table.from_batches([batch]), geo)
        part.index = pd.RangeIndex(start, start + len(part))
        start += len(part)
        parts.append(part.cx[x0:x1, y0:y1])
    pa.default_memory_pool().release_unused()
    return pd.concat(parts) if parts else _arrow_to_geopandas(parquet.schema_arrow.empty_table(),
                                                            geo)


def rows_where_in(table: str, column: str, values: Iterable[str],
                  processed_dir: Path | None = None, columns: list[str] | None = None):
    """The rows of a processed table whose ``column`` is one of ``values``, filtered at read.

    pyarrow drops the other rows before pandas (or geopandas, for a boundary table) sees them,
    so a page drawing one LA turns only that LA's polygons into shapes, not all England's
    (about 90 MB for the 2011 LSOAs). Rows keep the table's order; the index is a new
    ``RangeIndex``. The table is checked against the build manifest as
    :func:`~solihull_analytics.build.read_table` checks it.

    Parameters
    ----------
    table : str
        The processed table.
    column : str
        A text column, e.g. ``lsoa11_code`` or ``la_code``.
    values : iterable of str
        The values to keep (none: no rows).
    processed_dir : Path, optional
        Default :func:`solihull_analytics.paths.processed_dir`.
    columns : list of str, optional
        Read only these columns (default all).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
    """
    import pyarrow as pa

    # A typed array, so that no values still makes a valid filter (an empty list has no type).
    wanted = pa.array(sorted(set(values)), type=pa.string())
    return read_table(table, processed_dir, columns=columns, filters=[(column, "in", wanted)])
